package web_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web/client"
)

func shopEvent(t *testing.T, id string, data map[string]any) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetSource("/shop")
	ev.SetType("Shop.OrderPlaced")
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestClientTriggers: the Go client's Trigger, TriggerCloudEvent and both
// batch calls against a real server, with typed results and refusals.
func TestClientTriggers(t *testing.T) {
	s := pausedShop(t, engine.Config{QueueCap: 5})
	shop := client.New(s.url, s.appKey("Shop"))
	stock := client.New(s.url, s.appKey("Stock"))
	ctx := context.Background()

	res, err := shop.Trigger(ctx, "Shop", "OrderPlaced", map[string]any{"Sku": "A", "Qty": 1})
	if err != nil || res.OccurrenceID == 0 || res.TraceID != res.OccurrenceID || res.Deliveries != 1 {
		t.Fatalf("Trigger = %+v, %v", res, err)
	}
	_, err = shop.Trigger(ctx, "Shop", "OrderPlaced", nil)
	if e, ok := errorsAs(err); !ok || e.Status != 422 || len(e.Details) != 2 || e.Details[0].Field != "Sku" {
		t.Fatalf("Trigger without parameters = %#v; want 422 naming both", err)
	}
	if _, err := stock.Trigger(ctx, "Shop", "OrderPlaced", map[string]any{"Sku": "A", "Qty": 1}); !client.IsCode(err, "not_owner") {
		t.Fatalf("Trigger with another app's key = %v; want not_owner", err)
	}

	ev := shopEvent(t, "ce-1", map[string]any{"Sku": "B", "Qty": 2})
	ev.SetExtension("traceparent", producerTrace)
	res, err = shop.TriggerCloudEvent(ctx, ev)
	if err != nil || res.OccurrenceID == 0 {
		t.Fatalf("TriggerCloudEvent = %+v, %v", res, err)
	}
	o, err := s.eng.Occurrence(ctx, res.OccurrenceID)
	if err != nil || o.Traceparent != producerTrace {
		t.Fatalf("occurrence = %+v, %v; want the extension's traceparent", o, err)
	}
	bad := shopEvent(t, "ce-2", map[string]any{})
	bad.SetType("OrderPlaced")
	if _, err := shop.TriggerCloudEvent(ctx, bad); err == nil {
		t.Fatal("a CloudEvent whose type names no event was sent")
	}

	batch, err := shop.TriggerBatch(ctx, "Shop", "OrderPlaced", []any{map[string]any{"Sku": "C", "Qty": 1}, map[string]any{"Sku": "D"}})
	if err != nil || batch.Accepted != 1 || batch.Refused != 1 || len(batch.Items) != 2 {
		t.Fatalf("TriggerBatch = %+v, %v", batch, err)
	}
	if it := batch.Items[0]; it.Result == nil || it.Result.OccurrenceID == 0 || it.Err != nil || it.Status != 202 {
		t.Fatalf("accepted item = %+v", it)
	}
	if it := batch.Items[1]; it.Result != nil || it.Err == nil || it.Err.Status != 422 || it.Err.Code != "required" || it.Index != 1 {
		t.Fatalf("refused item = %+v", it)
	}

	// Three pending so far; the cap of 5 takes two more.
	evs := []event.Event{shopEvent(t, "b-1", map[string]any{"Sku": "E", "Qty": 1}), shopEvent(t, "b-2", map[string]any{"Sku": "F", "Qty": 1}), shopEvent(t, "b-3", map[string]any{"Sku": "G", "Qty": 1})}
	batch, err = shop.TriggerCloudEventBatch(ctx, evs)
	if err != nil || batch.Accepted != 2 || batch.Refused != 1 || batch.Items[2].Err == nil || batch.Items[2].Err.Code != "queue_full" || batch.Items[2].Status != 429 {
		t.Fatalf("TriggerCloudEventBatch = %+v, %v; want the third refused as queue_full", batch, err)
	}
	if _, err := shop.TriggerBatch(ctx, "Shop", "OrderPlaced", make([]any, engine.MaxTriggerBatch+1)); !client.IsCode(err, "batch_too_large") {
		t.Fatalf("TriggerBatch over the limit = %v; want batch_too_large", err)
	}
}

func errorsAs(err error) (*client.Error, bool) {
	var e *client.Error
	ok := errors.As(err, &e)
	return e, ok
}
