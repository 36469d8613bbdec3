package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/store"
	"github.com/eventloom/eventloom/web"
)

const adminToken = "test-admin-token-0123456789"

// apiServer is a real HTTP server over a real engine and SQLite store.
type apiServer struct {
	t     testing.TB
	url   string
	eng   *engine.Engine
	notes *notify.Subscriber
	web   *web.Server
	srv   *httptest.Server
	// api checks every call's request and answer against the OpenAPI
	// document.
	api *contract
}

func newAPIServer(t testing.TB, cfg engine.Config) *apiServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Storage = st
	if cfg.AdminTokenMemoryKiB == 0 {
		cfg.AdminTokenMemoryKiB = 64 // argon2id at its default cost takes seconds under -race
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Bus = notify.New()
	notes := cfg.Bus.Subscribe(100000)
	eng, err := engine.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.InitAdminToken(ctx, adminToken); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	a := &apiServer{t: t, eng: eng, notes: notes, api: newContract(t)}
	a.startWeb("")
	a.url = a.srv.URL
	t.Cleanup(func() {
		a.stopWeb()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_ = eng.Close(cctx)
		_ = st.Close()
	})
	return a
}

// startWeb serves the console and API over the engine, on addr when given
// (a restart keeps the address the browser knows).
func (s *apiServer) startWeb(addr string) {
	s.t.Helper()
	s.web = web.New(web.Config{Engine: s.eng})
	s.srv = httptest.NewUnstartedServer(s.web.Handler())
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			s.t.Fatalf("listen again on %s: %v", addr, err)
		}
		s.srv.Listener.Close()
		s.srv.Listener = l
	}
	s.srv.Start()
}

func (s *apiServer) stopWeb() {
	s.web.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// restartWeb stops the web server as a restart would (live streams end,
// sessions are forgotten) and starts a new one on the same address, over
// the same engine.
func (s *apiServer) restartWeb() {
	s.t.Helper()
	addr := s.srv.Listener.Addr().String()
	s.stopWeb()
	s.startWeb(addr)
}

// call sends body (a string of JSON, or "" for none) with the token and
// returns the status and the decoded JSON answer.
func (s *apiServer) call(method, path, token, body string) (int, map[string]any, http.Header) {
	s.t.Helper()
	contentType := "application/json"
	if method == "FORMJSON" {
		// What curl -d sends: a JSON body labelled as a form.
		method, contentType = "POST", "application/x-www-form-urlencoded"
	}
	headers := map[string]string{}
	if body != "" {
		headers["Content-Type"] = contentType
	}
	return s.request(method, path, token, body, headers)
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

const shopDesign = `{
 "apps":[{"name":"Shop"},{"name":"Stock"},{"name":"Mail"}],
 "events":[
  {"app":"Shop","name":"OrderPlaced","public":true,"parameters":[
    {"name":"Sku","type":"Text","mandatory":true},{"name":"Qty","type":"Integer","mandatory":true}]},
  {"app":"Shop","name":"Audit","public":false,"parameters":[]},
  {"app":"Stock","name":"Reserved","public":true,"parameters":[{"name":"Sku","type":"Text","mandatory":true}]}
 ],
 "subscriptions":[
  {"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"log","message":"reserving {{ Qty }} of {{ Sku }}"},
    {"type":"trigger","event":"Reserved","parameters":{"Sku":"Sku"}}]}},
  {"app":"Mail","event":"Stock.Reserved","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"log","message":"mail about {{ Sku }}"}]}}
 ]}`

func TestAPIScenarios(t *testing.T) {
	s := newAPIServer(t, engine.Config{RetryUnit: time.Second})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, key, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	shopKey, _ := key["key"].(string)
	_, key, _ = s.call("POST", "/api/v1/apps/Stock/keys", adminToken, "")
	stockKey, _ := key["key"].(string)
	if shopKey == "" || stockKey == "" {
		t.Fatalf("no keys created: %v", key)
	}
	big := `{"Sku":"` + strings.Repeat("x", 10300) + `","Qty":1}`
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"list apps", "GET", "/api/v1/apps", adminToken, "", 200, ""},
		{"no token", "GET", "/api/v1/apps", "", "", 401, "unauthorized"},
		{"wrong token", "GET", "/api/v1/apps", "nope", "", 401, "unauthorized"},
		{"app key is not admin", "GET", "/api/v1/apps", shopKey, "", 401, "unauthorized"},
		{"create app", "POST", "/api/v1/apps", adminToken, `{"name":"Billing","color":"#112233"}`, 201, ""},
		{"create app twice", "POST", "/api/v1/apps", adminToken, `{"name":"Billing"}`, 409, "exists"},
		{"bad app name", "POST", "/api/v1/apps", adminToken, `{"name":"1bad"}`, 422, "invalid_name"},
		{"malformed json", "POST", "/api/v1/apps", adminToken, `{"name":`, 400, "malformed_json"},
		{"unknown field", "POST", "/api/v1/apps", adminToken, `{"nmae":"X"}`, 400, "malformed_json"},
		{"get unknown app", "GET", "/api/v1/apps/Nope", adminToken, "", 404, "unknown_app"},
		{"patch app", "PATCH", "/api/v1/apps/Billing", adminToken, `{"concurrency":5}`, 200, ""},
		{"create event", "POST", "/api/v1/apps/Billing/events", adminToken, `{"name":"Invoiced","public":true,"parameters":[{"name":"Total","type":"Currency","mandatory":true}]}`, 201, ""},
		{"bad parameter type", "POST", "/api/v1/apps/Billing/events", adminToken, `{"name":"X","parameters":[{"name":"A","type":"Blob"}]}`, 422, "invalid_type"},
		{"get event", "GET", "/api/v1/apps/Shop/events/OrderPlaced", adminToken, "", 200, ""},
		{"subscribe to private event of another app", "POST", "/api/v1/apps/Mail/subscriptions", adminToken, `{"event":"Shop.Audit","handler":{"kind":"flow","steps":[{"type":"log","message":"x"}]}}`, 403, "private_event"},
		{"duplicate subscription", "POST", "/api/v1/apps/Stock/subscriptions", adminToken, `{"event":"Shop.OrderPlaced","handler":{"kind":"flow","steps":[{"type":"log","message":"x"}]}}`, 409, "exists"},
		{"broken expression", "POST", "/api/v1/apps/Mail/subscriptions", adminToken, `{"event":"Shop.OrderPlaced","handler":{"kind":"flow","steps":[{"type":"log","message":"{{ Qty + }}"}]}}`, 422, ""},
		{"create subscription", "POST", "/api/v1/apps/Billing/subscriptions", adminToken, `{"event":"Shop.OrderPlaced","handler":{"kind":"flow","steps":[{"type":"log","message":"bill {{ Sku }}"}]}}`, 201, ""},
		{"get subscription", "GET", "/api/v1/apps/Billing/subscriptions/Shop.OrderPlaced", adminToken, "", 200, ""},
		{"bad subscription ref", "GET", "/api/v1/apps/Billing/subscriptions/ShopOrderPlaced", adminToken, "", 400, "bad_reference"},
		{"pause", "POST", "/api/v1/apps/Billing/subscriptions/Shop.OrderPlaced/pause", adminToken, "", 200, ""},
		{"resume", "POST", "/api/v1/apps/Billing/subscriptions/Shop.OrderPlaced/resume", adminToken, "", 200, ""},
		{"delete handled event", "DELETE", "/api/v1/apps/Shop/events/OrderPlaced", adminToken, "", 409, "breaking_change"},
		{"delete app others depend on", "DELETE", "/api/v1/apps/Shop", adminToken, "", 409, "breaking_change"},
		{"trigger with owner key", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, `{"Sku":"A","Qty":2}`, 202, ""},
		{"trigger with curl's default form content type", "FORMJSON", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, `{"Sku":"A","Qty":2}`, 202, ""},
		{"trigger with admin", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A","Qty":2}`, 202, ""},
		{"trigger another app's event", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", stockKey, `{"Sku":"A","Qty":2}`, 403, "not_owner"},
		{"trigger without key", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", "", `{"Sku":"A","Qty":2}`, 401, "unauthorized"},
		{"trigger with revoked-looking key", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", "elk_nope", `{"Sku":"A","Qty":2}`, 401, "bad_key"},
		{"trigger wrong type", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, `{"Sku":"A","Qty":"two"}`, 422, ""},
		{"trigger missing mandatory", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, `{"Sku":"A"}`, 422, "required"},
		{"trigger too large", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, big, 413, "payload_too_large"},
		{"trigger malformed", "POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, `{"Sku":`, 400, "malformed_json"},
		{"trigger unknown event", "POST", "/api/v1/apps/Shop/events/Nope/trigger", adminToken, `{}`, 404, "unknown_event"},
		{"occurrences", "GET", "/api/v1/occurrences?app=Shop&limit=1", adminToken, "", 200, ""},
		{"occurrences bad status", "GET", "/api/v1/occurrences?status=weird", adminToken, "", 400, "bad_query"},
		{"occurrences bad since", "GET", "/api/v1/occurrences?since=yesterday", adminToken, "", 400, "bad_query"},
		{"unknown occurrence", "GET", "/api/v1/occurrences/999999", adminToken, "", 404, "not_found"},
		{"bad id", "GET", "/api/v1/occurrences/abc", adminToken, "", 400, "bad_id"},
		{"dead deliveries", "GET", "/api/v1/deliveries?status=dead", adminToken, "", 200, ""},
		{"replay a non-dead delivery", "POST", "/api/v1/deliveries/1/replay", adminToken, "", 409, ""},
		{"unknown trace", "GET", "/api/v1/traces/999999", adminToken, "", 404, "not_found"},
		{"stats", "GET", "/api/v1/stats", adminToken, "", 200, ""},
		{"export", "GET", "/api/v1/design", adminToken, "", 200, ""},
		{"import dry run", "PUT", "/api/v1/design?dryRun=true", adminToken, `{"apps":[],"events":[],"subscriptions":[]}`, 200, ""},
		{"unknown route", "GET", "/api/v1/nope", adminToken, "", 404, "not_found"},
		{"revoke unknown key", "DELETE", "/api/v1/apps/Shop/keys/99999", adminToken, "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := s.call(c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Fatalf("%s %s = %d %v, want %d", c.method, c.path, status, body, c.status)
			}
			if c.code != "" && errCode(body) != c.code {
				t.Fatalf("error code %q (%v), want %q", errCode(body), body, c.code)
			}
			if status >= 400 {
				e, _ := body["error"].(map[string]any)
				if msg, _ := e["message"].(string); msg == "" {
					t.Fatalf("error without a message: %v", body)
				}
			}
		})
	}
	// A dry run changed nothing.
	_, body, _ := s.call("GET", "/api/v1/apps", adminToken, "")
	if items, _ := body["items"].([]any); len(items) != 4 {
		t.Fatalf("after a dry run %d apps, want 4", len(items))
	}
}

func TestAPICreateReturnsLocation(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	status, body, h := s.call("POST", "/api/v1/apps", adminToken, `{"name":"Shop"}`)
	if status != 201 || h.Get("Location") != "/api/v1/apps/Shop" || body["name"] != "Shop" {
		t.Fatalf("create = %d, Location %q, body %v", status, h.Get("Location"), body)
	}
	status, body, _ = s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	if status != 201 || body["id"] == nil || !strings.HasPrefix(body["key"].(string), "elk_") || body["createdAt"] == nil {
		t.Fatalf("create key = %d %v", status, body)
	}
	id := int64(body["id"].(float64))
	if status, _, _ := s.call("DELETE", "/api/v1/apps/Shop/keys/"+jsonNum(id), adminToken, ""); status != 204 {
		t.Fatalf("revoke = %d", status)
	}
	if status, body, _ := s.call("POST", "/api/v1/apps/Shop/events/X/trigger", body["key"].(string), "{}"); status != 401 {
		t.Fatalf("revoked key still works: %d %v", status, body)
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestAPIChainEndToEnd triggers over the API and follows the chain to the
// second app through the trace endpoint.
func TestAPIChainEndToEnd(t *testing.T) {
	s := newAPIServer(t, engine.Config{RetryUnit: time.Second})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	status, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":3}`)
	if status != 202 || body["occurrenceId"] == nil || body["traceId"] == nil || body["deliveries"].(float64) != 1 {
		t.Fatalf("trigger = %d %v", status, body)
	}
	trace := int64(body["traceId"].(float64))
	waitFor(t, s, func(n notify.Note) bool { return n.Kind == notify.DeliverySucceeded && n.App == "Mail" })
	status, body, _ = s.call("GET", "/api/v1/traces/"+jsonNum(trace), adminToken, "")
	occ, _ := body["occurrences"].([]any)
	if status != 200 || len(occ) != 2 {
		t.Fatalf("trace = %d with %d occurrences, want 2: %v", status, len(occ), body)
	}
	child := occ[1].(map[string]any)
	if child["event"] != "Reserved" || child["parentDeliveryId"] == nil || child["traceId"].(float64) != float64(trace) {
		t.Fatalf("child occurrence = %v", child)
	}
}

func waitFor(t *testing.T, s *apiServer, match func(notify.Note) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case n := <-s.notes.C():
			if match(n) {
				return
			}
		case <-deadline:
			t.Fatal("the awaited notification did not come within 20s")
		}
	}
}

// TestAPIEveryRouteNeedsCredentials calls every route without a token and
// with an app key where only the admin token will do.
func TestAPIEveryRouteNeedsCredentials(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, key, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	shopKey := key["key"].(string)
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/apps"}, {"POST", "/api/v1/apps"}, {"GET", "/api/v1/apps/Shop"}, {"PATCH", "/api/v1/apps/Shop"}, {"DELETE", "/api/v1/apps/Shop"},
		{"GET", "/api/v1/apps/Shop/events"}, {"POST", "/api/v1/apps/Shop/events"}, {"GET", "/api/v1/apps/Shop/events/OrderPlaced"},
		{"PATCH", "/api/v1/apps/Shop/events/OrderPlaced"}, {"DELETE", "/api/v1/apps/Shop/events/OrderPlaced"},
		{"GET", "/api/v1/apps/Stock/subscriptions"}, {"POST", "/api/v1/apps/Stock/subscriptions"},
		{"GET", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced"}, {"PATCH", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced"},
		{"DELETE", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced"}, {"POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/pause"},
		{"POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/resume"},
		{"GET", "/api/v1/apps/Shop/keys"}, {"POST", "/api/v1/apps/Shop/keys"}, {"DELETE", "/api/v1/apps/Shop/keys/1"},
		{"GET", "/api/v1/occurrences"}, {"GET", "/api/v1/occurrences/1"}, {"GET", "/api/v1/traces/1"},
		{"GET", "/api/v1/deliveries"}, {"GET", "/api/v1/deliveries/1"}, {"POST", "/api/v1/deliveries/1/retry"},
		{"POST", "/api/v1/deliveries/1/replay"}, {"POST", "/api/v1/deliveries/1/discard"},
		{"GET", "/api/v1/stats"}, {"GET", "/api/v1/design"}, {"PUT", "/api/v1/design"},
		{"GET", "/api/v1/lint"}, {"GET", "/api/v1/layout"}, {"PUT", "/api/v1/layout"}, {"GET", "/api/v1/live"},
	}
	for _, r := range routes {
		for _, tok := range []string{"", shopKey} {
			status, body, _ := s.call(r.method, r.path, tok, "")
			if status != 401 || errCode(body) != "unauthorized" {
				t.Errorf("%s %s with token %q = %d %v, want 401 unauthorized", r.method, r.path, tok, status, body)
			}
		}
	}
	// The trigger route takes the owner's key but nothing less.
	if status, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", "", `{"Sku":"A","Qty":1}`); status != 401 {
		t.Errorf("trigger without a token = %d %v", status, body)
	}
}

// TestAPIQueueFull fills a paused subscription's queue to its cap and gets
// 429 with nothing stored.
func TestAPIQueueFull(t *testing.T) {
	s := pausedShop(t, engine.Config{QueueCap: 2})
	for i := 0; i < 2; i++ {
		if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A","Qty":1}`); code != 202 {
			t.Fatalf("trigger %d = %d %v", i+1, code, body)
		}
	}
	status, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A","Qty":1}`)
	if status != 429 || errCode(body) != "queue_full" {
		t.Fatalf("trigger past the cap = %d %v, want 429 queue_full", status, body)
	}
	_, body, _ = s.call("GET", "/api/v1/occurrences", adminToken, "")
	if n := len(body["items"].([]any)); n != 2 {
		t.Fatalf("%d occurrences stored, want 2", n)
	}
	_, body, _ = s.call("GET", "/api/v1/stats", adminToken, "")
	q := body["queues"].(map[string]any)["Shop.OrderPlaced"].(map[string]any)
	if q["pending"].(float64) != 2 || q["cap"].(float64) != 2 {
		t.Fatalf("queue = %v, want 2 of 2", q)
	}
}

func TestAPILintAndLayout(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, body, _ := s.call("GET", "/api/v1/lint", adminToken, "")
	var codes []string
	for _, f := range body["items"].([]any) {
		m := f.(map[string]any)
		codes = append(codes, m["code"].(string)+" "+m["subject"].(string))
	}
	joined := strings.Join(codes, ", ")
	for _, want := range []string{"unhandled_event Shop.Audit", "idle_app Shop"} {
		if !strings.Contains(joined, want) {
			t.Errorf("lint %q lacks %q", joined, want)
		}
	}
	if code, body, _ := s.call("PUT", "/api/v1/layout", adminToken, `{"positions":{"app:Shop":{"x":10,"y":20}}}`); code != 200 {
		t.Fatalf("save layout = %d %v", code, body)
	}
	s.call("PUT", "/api/v1/layout", adminToken, `{"positions":{"event:Shop.OrderPlaced":{"x":-5,"y":7.5}}}`)
	_, body, _ = s.call("GET", "/api/v1/layout", adminToken, "")
	pos := body["positions"].(map[string]any)
	if len(pos) != 2 || pos["app:Shop"].(map[string]any)["x"].(float64) != 10 {
		t.Fatalf("layout = %v, want both moves kept", pos)
	}
	if code, _, _ := s.call("PUT", "/api/v1/layout", adminToken, `{"positions":{"":{"x":1,"y":1}}}`); code != 422 {
		t.Fatalf("a nameless node = %d, want 422", code)
	}
}
