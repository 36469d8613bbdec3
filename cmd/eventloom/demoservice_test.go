package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventloom/eventloom/web/live"
)

// TestServeDemoServiceHandlesBothWays: a fresh server seeds the demo with
// Courier (a signed webhook to the example service on this server's own
// port) and Accounting (pulled by the example service's worker); one
// purchase reaches both, each delivery succeeding through the real HTTP
// path.
func TestServeDemoServiceHandlesBothWays(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "demo-service-token-0123456789")
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "data"), "-retry-unit", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, io.Discard, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start within 60s")
	}
	h := http.Header{"Authorization": {"Bearer demo-service-token-0123456789"}}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/v1/live", h)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger",
		strings.NewReader(`{"ProductId":"P-1","Quantity":1,"CustomerEmail":"ann@example.com","Amount":20}`))
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("trigger = %v %v", resp, err)
	}
	resp.Body.Close()

	// Both real-service deliveries succeed; a failed one says why.
	ws.SetReadDeadline(time.Now().Add(2 * time.Minute))
	succeeded := map[string]bool{}
	for !succeeded["Courier"] || !succeeded["Accounting"] {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("live stream: %v (succeeded so far: %v)", err, succeeded)
		}
		// Notes come one by one or, when several are ready at once, as
		// a batch (live.Message reads both).
		var m live.Message
		if json.Unmarshal(msg, &m) != nil {
			continue
		}
		for _, env := range m.Envelopes() {
			switch n := env.Note; {
			case n.Kind == "delivery.succeeded":
				succeeded[n.App] = true
			case (n.App == "Courier" || n.App == "Accounting") && (n.Kind == "delivery.failed" || n.Kind == "delivery.dead"):
				t.Fatalf("%s's delivery failed: %s", n.App, n.Error)
			}
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s")
	}
}
