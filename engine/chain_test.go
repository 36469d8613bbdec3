package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestSelfTriggeringFlowStopsAtTheDepthLimit: Shop handles its own
// OrderPlaced with a flow that triggers OrderPlaced again. The chain grows
// to MaxChainDepth occurrences; the delivery at the bottom has its trigger
// refused, and fails (here dead, with no retries) with the reason.
func TestSelfTriggeringFlowStopsAtTheDepthLimit(t *testing.T) {
	h := newHarness(t, engine.Config{MaxChainDepth: 5, MaxRetries: -1, Handlers: map[string]engine.Handler{"stock": nothing}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.CreateSubscription(ctx, "Shop", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{
		Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepTrigger, Event: "OrderPlaced", Parameters: map[string]string{"Sku": "Sku", "Qty": "Qty + 1"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, order("loop", 1))
	if err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("the loop's dead delivery", func(n notify.Note) bool { return n.Kind == notify.DeliveryDead && n.App == "Shop" })
	if !strings.Contains(n.Error, "at most 5 deep") {
		t.Fatalf("dead with %q, want the depth limit named", n.Error)
	}
	trace, err := h.eng.Trace(ctx, res.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(trace) != 5 {
		t.Fatalf("the chain has %d occurrences, want 5 (the limit)", len(trace))
	}
	last := trace[4]
	if string(last.Parameters) != `{"Sku":"loop","Qty":5}` {
		t.Fatalf("the deepest occurrence = %s", last.Parameters)
	}
	for _, d := range last.Deliveries {
		if d.App != "Shop" {
			continue
		}
		if d.Status != delivery.Dead || !strings.Contains(d.LastError, "would be occurrence 6 of its chain") || len(d.AttemptList) != 1 {
			t.Fatalf("the bottom delivery = %s, %q, %d attempts; want dead with the depth named", d.Status, d.LastError, len(d.AttemptList))
		}
	}
	// Nothing more was triggered after the refusal.
	if page, err := h.eng.TracePage(ctx, res.TraceID, last.ID, 10); err != nil || len(page) != 0 {
		t.Fatalf("after the deepest occurrence the trace has %d more (%v), want none", len(page), err)
	}
}

// TestChainDepthSurvivesARestart: a new engine knows no depths of the
// occurrences the old one triggered, so it reads them from the store; the
// limit holds across the restart all the same. The store stays open: what
// restarts is the engine and its memory.
func TestChainDepthSurvivesARestart(t *testing.T) {
	h := newHarness(t, engine.Config{MaxChainDepth: 3, MaxRetries: -1, Handlers: map[string]engine.Handler{"stock": nothing}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.CreateSubscription(ctx, "Shop", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{
		Kind: design.KindFlow, Steps: []design.Step{
			{Type: design.StepWait, Duration: design.Duration(time.Minute)},
			{Type: design.StepTrigger, Event: "OrderPlaced", Parameters: map[string]string{"Sku": "Sku", "Qty": "Qty + 1"}},
		},
	}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, order("loop", 1))
	if err != nil {
		t.Fatal(err)
	}
	link := func(n notify.Note) bool { return n.Kind == notify.OccurrenceTriggered && n.ParentDeliveryID != 0 }
	waitAndGo := func() {
		t.Helper()
		h.waitTimer(h.clk.Now().Add(time.Minute))
		h.clk.Advance(time.Minute)
	}
	waitAndGo()
	h.waitNote("the second link", link)
	// Restart while the second link's run waits: it is released unrun.
	h.waitTimer(h.clk.Now().Add(time.Minute))
	closing, cancel := context.WithCancel(ctx)
	cancel()
	_ = h.eng.Close(closing)
	h.eng = nil
	h.open() // a new engine over the same store
	h.start()
	waitAndGo()
	h.waitNote("the third link", link)
	waitAndGo()
	n := h.waitNote("the refused fourth", func(n notify.Note) bool { return n.Kind == notify.DeliveryDead && n.App == "Shop" })
	if !strings.Contains(n.Error, "would be occurrence 4 of its chain") {
		t.Fatalf("dead with %q, want the fourth link refused", n.Error)
	}
	trace, err := h.eng.Trace(ctx, res.TraceID)
	if err != nil || len(trace) != 3 {
		t.Fatalf("the chain has %d occurrences (%v), want 3", len(trace), err)
	}
}
