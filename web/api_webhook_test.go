package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

func TestAPISecretRoute(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, key, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	shopKey, _ := key["key"].(string)
	for _, c := range []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no token", "", "/api/v1/apps/Shop/secrets", 401, "unauthorized"},
		{"an app key is not the admin", shopKey, "/api/v1/apps/Shop/secrets", 401, "unauthorized"},
		{"unknown app", adminToken, "/api/v1/apps/Nope/secrets", 404, "unknown_app"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := s.call("POST", c.path, c.token, "")
			if status != c.status || errCode(body) != c.code {
				t.Fatalf("POST %s = %d %v; want %d %s", c.path, status, body, c.status, c.code)
			}
			if e, _ := body["error"].(map[string]any); e["message"] == "" {
				t.Fatalf("refusal without a message: %v", body)
			}
		})
	}

	status, first, h := s.call("POST", "/api/v1/apps/Shop/secrets", adminToken, "")
	secret, _ := first["secret"].(string)
	if status != 200 || !strings.HasPrefix(secret, "whsec_") || first["previousValidUntil"] != nil || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("first secret = %d %v (Cache-Control %q); want 200, whsec_..., previousValidUntil null, no-store", status, first, h.Get("Cache-Control"))
	}
	if _, err := standardwebhooks.NewWebhook(secret); err != nil {
		t.Fatalf("the secret is not one the Standard Webhooks library takes: %v", err)
	}
	status, second, _ := s.call("POST", "/api/v1/apps/Shop/secrets", adminToken, "")
	until, err := time.Parse(time.RFC3339Nano, second["previousValidUntil"].(string))
	if status != 200 || second["secret"] == secret || err != nil || until.Sub(time.Now()) < 23*time.Hour || until.Sub(time.Now()) > 25*time.Hour {
		t.Fatalf("rotation = %d %v; want a new secret, the old one valid for 24 h", status, second)
	}

	// The answer is the only place a secret appears: not in the app, the
	// export, the audit log, nor any other route.
	for _, path := range []string{"/api/v1/apps/Shop", "/api/v1/design", "/api/v1/audit", "/api/v1/apps/Shop/secrets"} {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), strings.TrimPrefix(secret, "whsec_")) || strings.Contains(string(b), strings.TrimPrefix(second["secret"].(string), "whsec_")) {
			t.Fatalf("GET %s shows a secret: %s", path, b)
		}
	}
	_, audit, _ := s.call("GET", "/api/v1/audit?action=secret.rotate", adminToken, "")
	if items, _ := audit["items"].([]any); len(items) != 2 {
		t.Fatalf("audit has %d secret.rotate entries, want 2: %v", len(items), audit)
	}
}

// TestAPIWebhookDeliveryShowsTheAnswer: a webhook subscription made over
// the API delivers to a real receiver, and the delivery's JSON carries
// the receiver's answer on its attempt.
func TestAPIWebhookDeliveryShowsTheAnswer(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "down for maintenance")
	}))
	t.Cleanup(rc.Close)
	s := newAPIServer(t, engine.Config{HTTPClient: rc.Client()})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	code, body, _ := s.call("POST", "/api/v1/apps/Mail/subscriptions", adminToken, `{"event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"webhook","path":"/orders"}}`)
	if code != 422 || errCode(body) != "endpoint_required" {
		t.Fatalf("webhook without an endpoint = %d %v; want 422 endpoint_required", code, body)
	}
	if code, body, _ := s.call("PATCH", "/api/v1/apps/Mail", adminToken, `{"endpoint":"`+rc.URL+`"}`); code != 200 {
		t.Fatalf("set endpoint = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Mail/secrets", adminToken, ""); code != 200 {
		t.Fatalf("secret = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Mail/subscriptions", adminToken, `{"event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"webhook","path":"/orders"}}`); code != 201 {
		t.Fatalf("webhook subscription = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A","Qty":1}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	var n notify.Note
	for n.App != "Mail" {
		n = waitNote(t, s, notify.DeliveryFailed)
	}
	_, d, _ := s.call("GET", "/api/v1/deliveries/"+jsonNum(n.DeliveryID), adminToken, "")
	attempts, _ := d["attemptList"].([]any)
	if len(attempts) != 1 {
		t.Fatalf("delivery = %v; want one attempt", d)
	}
	resp, _ := attempts[0].(map[string]any)["response"].(map[string]any)
	headers, _ := resp["headers"].(map[string]any)
	if resp["status"] != float64(503) || resp["body"] != "down for maintenance" || headers["Retry-After"] != "3600" {
		t.Fatalf("attempt's response = %v; want 503, its body and Retry-After", resp)
	}
	next, err := time.Parse(time.RFC3339Nano, d["nextAttemptAt"].(string))
	if err != nil || next.Sub(time.Now()) < 50*time.Minute {
		t.Fatalf("next attempt at %v (%v); want about an hour away, as Retry-After asked", d["nextAttemptAt"], err)
	}
}

// TestAPIWebhookImportExport: a design with a webhook subscription
// imports (with its path), exports the same, and one whose app has no
// endpoint is refused whole with the field named.
func TestAPIWebhookImportExport(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	doc := `{"apps":[{"name":"Shop"},{"name":"Stock","endpoint":"https://stock.example.com/hooks"}],
 "events":[{"app":"Shop","name":"OrderPlaced","public":true,"parameters":[]}],
 "subscriptions":[{"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"webhook","path":"/orders"}}]}`
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, doc); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, exp, _ := s.call("GET", "/api/v1/design", adminToken, "")
	subs, _ := exp["subscriptions"].([]any)
	if len(subs) != 1 {
		t.Fatalf("export = %v", exp)
	}
	if h, _ := subs[0].(map[string]any)["handler"].(map[string]any); h["kind"] != "webhook" || h["path"] != "/orders" {
		t.Fatalf("exported handler = %v", h)
	}
	noEndpoint := strings.Replace(doc, `,"endpoint":"https://stock.example.com/hooks"`, "", 1)
	code, body, _ := s.call("PUT", "/api/v1/design", adminToken, noEndpoint)
	if code != 422 || !strings.Contains(jsonText(body), "endpoint_required") || !strings.Contains(jsonText(body), "subscriptions[Stock:Shop.OrderPlaced].handler.kind") {
		t.Fatalf("import without an endpoint = %d %v; want 422 endpoint_required on the subscription's handler.kind", code, body)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
