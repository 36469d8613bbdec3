package client

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine/cloudevent"
)

var (
	oldSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("the previous secret of Mail....."))
	newSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("the current secret of Mail......"))
	webhookAt = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

// signed is a webhook request as the server sends one: the CloudEvent of a
// delivery, signed by each of secrets at ts with the Standard Webhooks
// library itself.
func signed(t *testing.T, url string, body []byte, ts time.Time, secrets ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var sigs []string
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := wh.Sign("msg_42", ts, body)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, sig)
	}
	req.Header.Set("Content-Type", cloudevent.ContentType)
	req.Header.Set(standardwebhooks.HeaderWebhookID, "msg_42")
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, strings.Join(sigs, " "))
	return req
}

func deliveryBody(t *testing.T) []byte {
	t.Helper()
	b, err := cloudevent.Structured(cloudevent.Delivery{ID: 42, OccurrenceID: 7, TraceID: 7, Producer: "Shop", Event: "OrderPlaced",
		Time: webhookAt, Parameters: []byte(`{"Sku":"A-1","Qty":2}`), Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifierOnARealServer: a handler behind the Verifier on 127.0.0.1
// receives the CloudEvent of every webhook signed by a current secret
// within the tolerance, and never runs for any other request (401, or 400
// for a signed body that is not a CloudEvent).
func TestVerifierOnARealServer(t *testing.T) {
	now := webhookAt
	v, err := NewVerifier([]string{newSecret, oldSecret}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan event.Event, 10)
	srv := httptest.NewServer(v.Handler(func(w http.ResponseWriter, r *http.Request, ev event.Event) {
		got <- ev
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	body := deliveryBody(t)
	send := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tampered := bytes.Replace(body, []byte(`"Qty":2`), []byte(`"Qty":9`), 1)
	notCE := []byte(`{"hello":"world"}`)
	cases := []struct {
		name   string
		req    *http.Request
		status int
		says   string
	}{
		{"signed by the new secret", signed(t, srv.URL, body, now, newSecret), 204, ""},
		{"signed by the previous secret (rotation)", signed(t, srv.URL, body, now, oldSecret), 204, ""},
		{"both signatures during the grace period", signed(t, srv.URL, body, now, oldSecret, newSecret), 204, ""},
		{"timestamp within the tolerance", signed(t, srv.URL, body, now.Add(-4*time.Minute), newSecret), 204, ""},
		{"another secret", signed(t, srv.URL, body, now, "whsec_"+base64.StdEncoding.EncodeToString([]byte("someone else"))), 401, "no matching signature"},
		{"a tampered body", func() *http.Request {
			r := signed(t, srv.URL, body, now, newSecret)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(tampered)), int64(len(tampered))
			return r
		}(), 401, "no matching signature"},
		{"too old", signed(t, srv.URL, body, now.Add(-6*time.Minute), newSecret), 401, "tolerance"},
		{"from the future", signed(t, srv.URL, body, now.Add(6*time.Minute), newSecret), 401, "tolerance"},
		{"unsigned", func() *http.Request {
			r := signed(t, srv.URL, body, now, newSecret)
			r.Header.Del(standardwebhooks.HeaderWebhookSignature)
			return r
		}(), 401, "missing required headers"},
		{"signed but not a CloudEvent", signed(t, srv.URL, notCE, now, newSecret), 400, "CloudEvent"},
	}
	for _, c := range cases {
		status, text := send(c.req)
		if status != c.status || !strings.Contains(text, c.says) {
			t.Fatalf("%s = %d %q; want %d saying %q", c.name, status, text, c.status, c.says)
		}
		if c.status != 204 {
			continue
		}
		ev := <-got
		var data map[string]any
		if err := ev.DataAs(&data); err != nil || data["Sku"] != "A-1" || ev.ID() != "42" || ev.Type() != "Shop.OrderPlaced" || ev.Source() != "Shop" {
			t.Fatalf("%s: handler got %s (data %v, %v)", c.name, ev, data, err)
		}
		if tp, _ := ev.Extensions()["traceparent"].(string); !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
			t.Fatalf("%s: traceparent %q is not the producer's trace", c.name, tp)
		}
	}
	if len(got) != 0 {
		t.Fatalf("the handler ran %d times for refused requests", len(got))
	}

	// After the grace period the service drops the previous secret.
	v2, err := NewVerifier([]string{newSecret}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(signed(t, srv.URL, body, now, oldSecret)); err == nil {
		t.Fatal("a webhook signed by a dropped secret verified")
	}
	if _, err := v2.Verify(signed(t, srv.URL, body, now, oldSecret, newSecret)); err != nil {
		t.Fatalf("a webhook also signed by the kept secret: %v", err)
	}
}

func TestNewVerifierRefusesBadSecrets(t *testing.T) {
	for _, secrets := range [][]string{nil, {""}, {"whsec_not base64!"}} {
		if _, err := NewVerifier(secrets); err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("NewVerifier(%q) = %v; want an error naming the secret", secrets, err)
		}
	}
}
