package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web"
)

// TestTracePageLinksTheExternalTrace: with a trace URL configured, the
// trace page of an occurrence triggered with a traceparent links the
// producer's W3C trace in the tracing UI; without one, or for a trace
// with no traceparent, there is no link.
func TestTracePageLinksTheExternalTrace(t *testing.T) {
	s, plain := pagesServer(t, engine.Config{}, shopDesign)
	ws := web.New(web.Config{Engine: s.eng, TraceURL: "http://127.0.0.1:16686/trace/" + web.TraceIDPlaceholder + "?uiFind=x"})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() { ws.Close(); srv.Close() })
	c := newConsoleClient(t, srv.URL, http.DefaultClient)
	c.signIn()

	req, _ := http.NewRequest("POST", s.url+"/api/v1/apps/Shop/events/OrderPlaced/trigger", strings.NewReader(`{"Sku": "A-1", "Qty": 1}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("trigger with a traceparent = %v, %v", resp, err)
	}
	var res engine.TriggerResult
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	first := jsonNum(res.TraceID)
	_, untraced, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku": "A-2", "Qty": 1}`)

	_, doc := c.send("GET", "/traces/"+first, nil, nil)
	link := doc.Find(`[data-testid="external-trace"]`)
	if href := link.AttrOr("href", ""); href != "http://127.0.0.1:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736?uiFind=x" {
		t.Fatalf("the external trace link = %q, want the producer's trace in the template", href)
	}
	if _, doc := plain.send("GET", "/traces/"+first, nil, nil); doc.Find(`[data-testid="external-trace"]`).Length() != 0 {
		t.Fatal("a server without a trace URL links an external trace")
	}
	if _, doc := c.send("GET", "/traces/"+jsonNum(int64(untraced["traceId"].(float64))), nil, nil); doc.Find(`[data-testid="external-trace"]`).Length() != 0 {
		t.Fatal("a trace without a traceparent links an external trace")
	}
}

func TestCheckTraceURL(t *testing.T) {
	if err := web.CheckTraceURL("https://tempo.example.com/explore?traceId={traceId}"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"http://127.0.0.1:16686/trace/", "ftp://x/{traceId}", "/trace/{traceId}"} {
		if err := web.CheckTraceURL(bad); err == nil || !strings.Contains(err.Error(), "such as http://127.0.0.1:16686/trace/{traceId}") {
			t.Errorf("CheckTraceURL(%q) = %v; want an error with an example", bad, err)
		}
	}
}
