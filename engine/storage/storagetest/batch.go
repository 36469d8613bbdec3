package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// producerTrace is a W3C traceparent as a producer sends it.
const producerTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// traceparent: the traceparent given at insert is kept on the occurrence
// and returned on every claim of its deliveries, those created claimed and
// those claimed later; an occurrence inserted without one reads as empty.
func (s *suite) traceparent(t *testing.T) {
	fx := s.fixture(t)
	p := fx.order(t0, bigCap, fx.toStock(false), fx.toMail(true))
	p.Traceparent = producerTrace
	r := fx.insert(t, p)
	if got := r.Deliveries[1].Traceparent; got != producerTrace {
		t.Fatalf("claim made at insert has traceparent %q, want %q", got, producerTrace)
	}
	if o := fx.occurrence(t, r.OccurrenceID); o.Traceparent != producerTrace {
		t.Fatalf("occurrence has traceparent %q, want %q", o.Traceparent, producerTrace)
	}
	if got := fx.list(t, storage.OccurrenceListParams{}); len(got) != 1 || got[0].Traceparent != producerTrace {
		t.Fatalf("listed occurrences = %+v; want one with traceparent %q", got, producerTrace)
	}
	if c := fx.claimOne(t, fx.stockSub, t0); c.Traceparent != producerTrace {
		t.Fatalf("claimed delivery has traceparent %q, want %q", c.Traceparent, producerTrace)
	}
	plain := fx.insert(t, fx.order(t0.Add(time.Second), bigCap, fx.toStock(false)))
	if o := fx.occurrence(t, plain.OccurrenceID); o.Traceparent != "" {
		t.Fatalf("occurrence inserted without a traceparent has %q", o.Traceparent)
	}
	if c := fx.claimOne(t, fx.stockSub, t0.Add(time.Second)); c.Traceparent != "" {
		t.Fatalf("claim of an occurrence without a traceparent has %q", c.Traceparent)
	}
}

// insertBatch: a batch stores its items in order, each counting those
// before it against its event's queue cap; items past the cap are
// refused alone with fault.ErrQueueFull, and another event's items in the
// same batch are not affected by that cap.
func (s *suite) insertBatch(t *testing.T) {
	fx := s.fixture(t)
	const cap = 3
	fx.insert(t, fx.order(t0, cap, fx.toStock(false)))
	reserved := func() *storage.OccurrenceInsertParams {
		return &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID, Parameters: json.RawMessage(`{"Sku":"B-2"}`),
			CreatedAt: t0, QueueCap: cap, LeaseUntil: t0.Add(lease),
			Deliveries: []storage.NewDelivery{{SubscriptionID: fx.mailReserved.ID, AppID: fx.mailReserved.AppID}}}
	}
	traced := fx.order(t0, cap, fx.toStock(false), fx.toMail(true))
	traced.Traceparent = producerTrace
	items := []*storage.OccurrenceInsertParams{
		fx.order(t0, cap, fx.toStock(false)),
		traced,
		fx.order(t0, cap, fx.toStock(true)), // the fourth pending OrderPlaced: over the cap
		reserved(),
		fx.order(t0, cap, fx.toMail(false)), // still over the cap
	}
	out, err := fx.st.OccurrenceInsertBatch(ctx(t), items)
	if err != nil {
		t.Fatalf("insert batch: %v", err)
	}
	if len(out) != len(items) {
		t.Fatalf("batch answered %d outcomes for %d items", len(out), len(items))
	}
	for i, accepted := range []bool{true, true, false, true, false} {
		o := out[i]
		if accepted != (o.Result != nil) || (o.Result == nil) == (o.Err == nil) {
			t.Fatalf("item %d = %+v; want accepted %v and exactly one of result and error", i, o, accepted)
		}
		if !accepted {
			wantKind(t, o.Err, fault.ErrQueueFull, "an item past the cap")
			continue
		}
		if len(o.Result.Deliveries) != len(items[i].Deliveries) || o.Result.TraceID != o.Result.OccurrenceID {
			t.Fatalf("item %d stored as %+v; want a root with %d deliveries", i, o.Result, len(items[i].Deliveries))
		}
		st := fx.occurrence(t, o.Result.OccurrenceID)
		if st.EventID != items[i].EventID || len(st.Deliveries) != len(items[i].Deliveries) {
			t.Fatalf("item %d read back as %+v", i, st)
		}
	}
	if out[0].Result.OccurrenceID >= out[1].Result.OccurrenceID || out[1].Result.OccurrenceID >= out[3].Result.OccurrenceID {
		t.Fatalf("batch ids %d, %d, %d are not in the items' order", out[0].Result.OccurrenceID, out[1].Result.OccurrenceID, out[3].Result.OccurrenceID)
	}
	if c := out[1].Result.Deliveries[1]; c.Token != 1 || c.Traceparent != producerTrace {
		t.Fatalf("claim made by the batch = %+v; want token 1 and the producer's traceparent", c)
	}
	if d := fx.depth(t, fx.placed.ID); d != cap {
		t.Fatalf("OrderPlaced has %d pending after the batch, want the cap %d", d, cap)
	}
	if d := fx.depth(t, fx.reserved.ID); d != 1 {
		t.Fatalf("Reserved has %d pending after the batch, want 1", d)
	}
	if got := fx.list(t, storage.OccurrenceListParams{}); len(got) != 4 {
		t.Fatalf("%d occurrences stored, want 4 (one before the batch, three accepted)", len(got))
	}
	if got := fx.claim(t, fx.stockSub, 10, t0); len(got) != 3 {
		t.Fatalf("claimed %d pending Stock deliveries, want 3 (the one before the batch and two accepted; the refused item made none)", len(got))
	}

	empty, err := fx.st.OccurrenceInsertBatch(ctx(t), nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty batch = %v, %v; want no outcomes and no error", empty, err)
	}
}
