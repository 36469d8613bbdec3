package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestSubscriptionFilter: an occurrence gets a delivery for a filtered
// subscription only when the filter holds; the verdict and the dry run
// say when it did not; a filter that does not type-check is refused on
// save, naming the field.
func TestSubscriptionFilter(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	sub, err := h.eng.Subscription("Stock", orderPlaced)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`Qty > "ten"`, `Qty + 1`, `Colour == "red"`} {
		sub.Filter = bad
		_, err := h.eng.UpdateSubscription(ctx, "Stock", orderPlaced, sub)
		all := fault.All(err)
		if len(all) != 1 || !strings.HasSuffix(all[0].Field, "filter") || all[0].Code != "expression" {
			t.Errorf("filter %q: %v; want one expression error on filter", bad, err)
		}
	}
	sub.Filter = `Qty >= 10 && Sku != "SAMPLE"`
	if _, err := h.eng.UpdateSubscription(ctx, "Stock", orderPlaced, sub); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.eng.Subscription("Stock", orderPlaced); got.Filter != sub.Filter {
		t.Fatalf("stored filter = %q", got.Filter)
	}
	h.start()

	small, err := h.eng.Trigger(ctx, order("A-1", 2))
	if err != nil || small.Deliveries != 0 {
		t.Fatalf("a small order = %+v, %v; want no delivery", small, err)
	}
	h.wantVerdict(small.OccurrenceID, "Stock", engine.VerdictFiltered, `filter Qty >= 10 && Sku != "SAMPLE" is false for this occurrence`)
	dry, err := h.eng.TriggerDryRun(ctx, order("SAMPLE", 50))
	if err != nil || len(dry.Subscriptions) != 1 || dry.Subscriptions[0].Delivery || !strings.HasPrefix(dry.Subscriptions[0].Note, "filtered out") {
		t.Fatalf("dry run of a sample = %+v, %v; want filtered out", dry, err)
	}

	big, err := h.eng.Trigger(ctx, order("A-1", 12))
	if err != nil || big.Deliveries != 1 {
		t.Fatalf("a big order = %+v, %v; want one delivery", big, err)
	}
	h.waitNote("the big order's delivery", kind(notify.DeliverySucceeded))
	h.wantVerdict(big.OccurrenceID, "Stock", engine.VerdictDelivered, "after 1 attempt")

	// The design document carries the filter (export and import use it).
	var found bool
	for _, s := range h.eng.Design().Subscriptions {
		found = found || s.App == "Stock" && s.Filter == sub.Filter
	}
	if !found {
		t.Fatalf("the design lost the filter: %+v", h.eng.Design().Subscriptions)
	}
}
