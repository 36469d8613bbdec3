package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web/client"
)

// TestClientReadsTheTimeline reads a recorded chain through the Go
// client, and a window it holds too much of as a typed refusal.
func TestClientReadsTheTimeline(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := context.Background()
	c := client.New(s.url, adminToken, client.WithHTTPClient(s.srv.Client()))
	res, err := c.Trigger(ctx, "Shop", "OrderPlaced", map[string]any{"Sku": "A-1", "Qty": 1})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, func(n notify.Note) bool { return n.Kind == notify.DeliverySucceeded && n.App == "Mail" })
	tl, err := c.Timeline(ctx, time.Time{}, time.Time{}, 0)
	if err != nil || len(tl.Items) != 6 || !tl.Until.After(tl.Since) {
		t.Fatalf("timeline = %+v %v; want the chain's 6 steps", tl, err)
	}
	if first := tl.Items[0]; first.Kind != "occurrence.triggered" || first.App != "Shop" || first.Event != "Shop.OrderPlaced" || first.OccurrenceID != res.OccurrenceID || first.Seq != 1 {
		t.Fatalf("first step = %+v", first)
	}
	_, err = c.Timeline(ctx, time.Time{}, time.Time{}, 3)
	if e, ok := err.(*client.Error); !ok || e.Status != http.StatusUnprocessableEntity || e.Code != "window_too_busy" {
		t.Fatalf("a window over the limit = %v; want 422 window_too_busy", err)
	}
}
