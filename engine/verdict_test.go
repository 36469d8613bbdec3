package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

// verdictOf returns app's verdict on occurrence id.
func (h *harness) verdictOf(id int64, app string) engine.Verdict {
	h.t.Helper()
	vs, err := h.eng.Verdicts(context.Background(), id)
	if err != nil {
		h.t.Fatalf("verdicts of %d: %v", id, err)
	}
	for _, v := range vs {
		if v.App == app {
			return v
		}
	}
	h.t.Fatalf("no verdict for %s among %+v", app, vs)
	return engine.Verdict{}
}

func (h *harness) wantVerdict(id int64, app string, kind engine.VerdictKind, reason string) engine.Verdict {
	h.t.Helper()
	v := h.verdictOf(id, app)
	if v.Verdict != kind || !strings.Contains(v.Reason, reason) {
		h.t.Errorf("%s on occurrence %d: %s %q; want %s with %q", app, id, v.Verdict, v.Reason, kind, reason)
	}
	return v
}

// TestVerdictsWithoutDelivery: every app of the design gets a verdict,
// those that got no delivery saying why not.
func TestVerdictsWithoutDelivery(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	for _, a := range []string{"Ledger", "Billing"} {
		if _, err := h.eng.CreateApp(ctx, design.App{Name: a}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.eng.CreateSubscription(ctx, "Ledger", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, order("A-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	h.waitNote("Stock's delivery", kind(notify.DeliverySucceeded))
	h.clk.Advance(time.Minute)
	if _, err := h.eng.CreateSubscription(ctx, "Billing", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	v := h.wantVerdict(res.OccurrenceID, "Stock", engine.VerdictDelivered, "after 1 attempt")
	if v.DeliveryID == 0 || v.Attempts != 1 {
		t.Errorf("delivered verdict = %+v", v)
	}
	h.wantVerdict(res.OccurrenceID, "Billing", engine.VerdictSubscribedLater, "after this occurrence")
	h.wantVerdict(res.OccurrenceID, "Ledger", engine.VerdictDisabled, "is disabled")
	h.wantVerdict(res.OccurrenceID, "Mail", engine.VerdictNotSubscribed, "Mail has no subscription to Shop.OrderPlaced")
	vs, _ := h.eng.Verdicts(ctx, res.OccurrenceID)
	if len(vs) != 5 || vs[0].App != "Stock" {
		t.Errorf("verdicts = %+v; want the delivered app first, then the other four", vs)
	}

	audit, err := h.eng.Trigger(ctx, engine.TriggerRequest{Event: design.EventRef{App: "Shop", Event: "Audit"}, Values: map[string]any{"Sku": "A-1"}})
	if err != nil {
		t.Fatal(err)
	}
	h.wantVerdict(audit.OccurrenceID, "Stock", engine.VerdictPrivate, "only Shop may handle it")
	h.wantVerdict(audit.OccurrenceID, "Shop", engine.VerdictNotSubscribed, "Shop has no subscription")
	if _, err := h.eng.Verdicts(ctx, 999999); !isKind(err, fault.ErrNotFound) {
		t.Errorf("unknown occurrence: %v", err)
	}
}

// TestVerdictsWhileWaiting: a delivery that waits says for what: its
// app's free slot, older deliveries, a pause; a failed one says when it
// is tried again, a dead one why it died.
func TestVerdictsWhileWaiting(t *testing.T) {
	release := make(chan struct{})
	hold := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		if d.Value("Sku") == "fail" {
			return nil, errors.New("the ledger was offline")
		}
		select {
		case <-release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	h := newHarness(t, engine.Config{MaxRetries: 1, Handlers: map[string]engine.Handler{"stock": hold}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.UpdateApp(ctx, "Stock", design.App{Name: "Stock", Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	h.start()
	var ids []int64
	for range 4 {
		res, err := h.eng.Trigger(ctx, order("A-1", 1))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.OccurrenceID)
	}
	h.waitNote("the first run", kind(notify.DeliveryStarted))
	h.wantVerdict(ids[0], "Stock", engine.VerdictRunning, "attempt 1 is running")
	h.wantVerdict(ids[1], "Stock", engine.VerdictWaiting, "waits for a free handler slot (1 of 1 in progress)")
	h.wantVerdict(ids[2], "Stock", engine.VerdictWaiting, "at its concurrency limit (1 of 1")
	if v := h.wantVerdict(ids[3], "Stock", engine.VerdictWaiting, "behind 1 older deliveries"); v.Ahead != 1 {
		t.Errorf("ahead = %d, want 1", v.Ahead)
	}
	close(release)
	for range 4 {
		h.waitNote("a run to finish", kind(notify.DeliverySucceeded))
	}

	if _, err := h.eng.PauseSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	paused, err := h.eng.Trigger(ctx, order("A-2", 1))
	if err != nil {
		t.Fatal(err)
	}
	h.wantVerdict(paused.OccurrenceID, "Stock", engine.VerdictWaiting, "the subscription is paused")
	if _, err := h.eng.ResumeSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	h.waitNote("the resumed run", kind(notify.DeliverySucceeded))

	failing, err := h.eng.Trigger(ctx, order("fail", 1))
	if err != nil {
		t.Fatal(err)
	}
	failed := h.waitNote("the failure", kind(notify.DeliveryFailed))
	v := h.wantVerdict(failing.OccurrenceID, "Stock", engine.VerdictRetrying, "attempt 1 failed with: the ledger was offline; the next attempt is at")
	if !v.NextAttemptAt.Equal(failed.NextAttemptAt) {
		t.Errorf("next attempt at %s, the engine said %s", v.NextAttemptAt, failed.NextAttemptAt)
	}
	h.waitTimer(failed.NextAttemptAt)
	h.clk.Set(failed.NextAttemptAt)
	h.waitNote("the death", kind(notify.DeliveryDead))
	h.wantVerdict(failing.OccurrenceID, "Stock", engine.VerdictDead, "dead after 2 attempts; the last failed with: the ledger was offline")
}
