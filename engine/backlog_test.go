package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestSubscriptionBacklogsCountRetryingAndDead reads what waits on each
// subscription from the store: failed deliveries with a retry due, and
// dead letters, keyed by the handling app and the event.
// stockOrders is Stock's subscription to Shop.OrderPlaced.
var stockOrders = design.SubscriptionRef{App: "Stock", Producer: "Shop", Event: "OrderPlaced"}

func TestSubscriptionBacklogsCountRetryingAndDead(t *testing.T) {
	fail := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("warehouse offline")
	}
	h := newHarness(t, engine.Config{RetryWaits: []int{1}, MaxRetries: 1, Handlers: map[string]engine.Handler{"stock": fail}})
	h.shopDesign()
	h.start()
	ctx := context.Background()
	if got, err := h.eng.SubscriptionBacklogs(ctx); err != nil || len(got) != 0 {
		t.Fatalf("backlogs before any delivery = %v, %v; want none", got, err)
	}
	for _, sku := range []string{"A", "B"} {
		if _, err := h.eng.Trigger(ctx, order(sku, 1)); err != nil {
			t.Fatal(err)
		}
		h.waitNote("failure", kind(notify.DeliveryFailed))
	}
	got, err := h.eng.SubscriptionBacklogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := got[stockOrders]; b != (engine.Backlog{Retrying: 2}) || len(got) != 1 {
		t.Fatalf("after two failures backlogs = %v, want Stock:Shop.OrderPlaced retrying 2", got)
	}
	retry := start.Add(time.Minute)
	h.waitTimer(retry)
	h.clk.Set(retry)
	h.waitNote("dead", kind(notify.DeliveryDead))
	h.waitNote("dead", kind(notify.DeliveryDead))
	if _, err := h.eng.Trigger(ctx, order("C", 1)); err != nil {
		t.Fatal(err)
	}
	h.waitNote("failure", kind(notify.DeliveryFailed))
	got, err = h.eng.SubscriptionBacklogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := got[stockOrders]; b != (engine.Backlog{Retrying: 1, Dead: 2}) {
		t.Fatalf("backlogs = %v, want Stock:Shop.OrderPlaced retrying 1, dead 2", got)
	}
}
