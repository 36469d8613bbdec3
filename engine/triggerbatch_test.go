package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

const producerTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// TestTriggerKeepsTheProducersTraceparent: a valid traceparent is kept on
// the occurrence, handed to the handler and carried on to the occurrences
// the handler triggers; an invalid one is refused naming the field, and
// nothing is stored.
func TestTriggerKeepsTheProducersTraceparent(t *testing.T) {
	got, child := make(chan string, 1), make(chan string, 1)
	stock := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		got <- d.Traceparent
		return []engine.Trigger{{Event: "Reserved"}}, nil
	}
	mail := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		child <- d.Traceparent
		return nil, nil
	}
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": stock, "mail": mail}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.CreateEvent(ctx, "Stock", design.Event{Name: "Reserved", Public: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: design.EventRef{App: "Stock", Event: "Reserved"},
		Handler: design.Handler{Kind: design.KindGo, Name: "mail"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	h.start()
	req := order("A", 1)
	req.Traceparent = producerTrace
	res, err := h.eng.Trigger(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if tp := <-got; tp != producerTrace {
		t.Fatalf("handler saw traceparent %q, want %q", tp, producerTrace)
	}
	if tp := <-child; tp != producerTrace {
		t.Fatalf("the handler of the occurrence it triggered saw traceparent %q, want %q", tp, producerTrace)
	}
	o, err := h.eng.Occurrence(ctx, res.OccurrenceID)
	if err != nil || o.Traceparent != producerTrace {
		t.Fatalf("occurrence = %+v, %v; want traceparent %q", o, err, producerTrace)
	}

	for _, bad := range []string{"00-abc-def-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "banana"} {
		req.Traceparent = bad
		_, err := h.eng.Trigger(ctx, req)
		var fe *fault.Error
		if !errors.As(err, &fe) || !errors.Is(err, fault.ErrInvalid) || fe.Field != "traceparent" || fe.Code != "bad_traceparent" {
			t.Fatalf("trigger with traceparent %q = %v; want an invalid traceparent refusal", bad, err)
		}
	}
	if list, _ := h.eng.Occurrences(ctx, engine.OccurrenceFilter{}); len(list) != 2 {
		t.Fatalf("%d occurrences stored, want 2 (the root and its child): refused triggers store nothing", len(list))
	}
}

// TestTriggerBatchAnswersPerItem: valid items are committed, each refusal
// is the error a single trigger would give, and the refused items store
// nothing.
func TestTriggerBatchAnswersPerItem(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	traced := order("B", 2)
	traced.Traceparent = producerTrace
	reqs := []engine.TriggerRequest{
		order("A", 1),
		{Event: orderPlaced, JSON: json.RawMessage(`{"Sku":"C"}`)}, // Qty missing
		traced,
		{Caller: "Stock", Event: orderPlaced, Values: map[string]any{"Sku": "D", "Qty": 1}},
		{Event: orderPlaced, Values: map[string]any{"Sku": "E", "Qty": 1}, Traceparent: "nope"},
	}
	out, err := h.eng.TriggerBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{nil, fault.ErrInvalid, nil, fault.ErrForbidden, fault.ErrInvalid} {
		o := out[i]
		if want == nil {
			if o.Err != nil || o.Result == nil || o.Result.Deliveries != 1 {
				t.Fatalf("item %d = %+v, %v; want accepted with one delivery", i, o.Result, o.Err)
			}
			continue
		}
		if o.Result != nil || !errors.Is(o.Err, want) {
			t.Fatalf("item %d = %+v, %v; want refused with %v", i, o.Result, o.Err, want)
		}
		_, single := h.eng.Trigger(ctx, reqs[i])
		if single == nil || single.Error() != o.Err.Error() {
			t.Fatalf("item %d refused with %q, a single trigger with %v", i, o.Err, single)
		}
	}
	o, err := h.eng.Occurrence(ctx, out[2].Result.OccurrenceID)
	if err != nil || o.Traceparent != producerTrace {
		t.Fatalf("batch occurrence = %+v, %v; want traceparent %q", o, err, producerTrace)
	}
	if list, _ := h.eng.Occurrences(ctx, engine.OccurrenceFilter{}); len(list) != 2 {
		t.Fatalf("%d occurrences stored, want the 2 accepted", len(list))
	}
	// Deliveries of the batch run like any other.
	h.start()
	for range 2 {
		h.waitNote("success", kind(notify.DeliverySucceeded))
	}
}

// TestTriggerBatchFillsTheQueueInOrder: the queue cap counts the items
// before each, so the earlier ones are accepted and the rest refused as
// queue_full, naming the event.
func TestTriggerBatchFillsTheQueueInOrder(t *testing.T) {
	h := newHarness(t, engine.Config{QueueCap: 3, Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
		t.Fatal(err)
	}
	reqs := make([]engine.TriggerRequest, 4)
	for i := range reqs {
		reqs[i] = order("B", i+1)
	}
	out, err := h.eng.TriggerBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if i < 2 {
			if o.Err != nil {
				t.Fatalf("item %d refused (%v); want accepted while the queue has room", i, o.Err)
			}
			continue
		}
		var fe *fault.Error
		if !errors.As(o.Err, &fe) || fe.Code != "queue_full" || !errors.Is(o.Err, fault.ErrQueueFull) {
			t.Fatalf("item %d = %+v, %v; want queue_full", i, o.Result, o.Err)
		}
	}
	depths, _ := h.eng.QueueDepths(ctx)
	if d := depths["Shop.OrderPlaced"]; d.Pending != 3 {
		t.Fatalf("queue depth = %+v, want 3 of 3", d)
	}

	_, err = h.eng.TriggerBatch(ctx, make([]engine.TriggerRequest, engine.MaxTriggerBatch+1))
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrTooLarge) || fe.Code != "batch_too_large" {
		t.Fatalf("batch of %d = %v; want batch_too_large", engine.MaxTriggerBatch+1, err)
	}
}
