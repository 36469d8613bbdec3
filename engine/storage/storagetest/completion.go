package storagetest

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// completeInvalid: a completion no constructor could have built (the
// zero Completion, a retry without its time) is refused with
// fault.ErrInvalid and changes nothing; the claim still completes after.
func (s *suite) completeInvalid(t *testing.T) {
	fx := s.fixture(t)
	c := fx.orderStock(t, t0, true).Deliveries[0]
	before := fx.state(t)
	for _, tc := range []struct {
		name       string
		completion storage.Completion
	}{
		{"the zero completion", storage.Completion{}},
		{"a retry without its time", storage.Retrying(time.Time{})},
	} {
		p := completion(c, delivery.Retrying, time.Time{})
		p.Completion = tc.completion
		_, err := fx.st.DeliveryComplete(ctx(t), p)
		wantKind(t, err, fault.ErrInvalid, tc.name)
		fx.sameState(t, before, tc.name)
	}
	next := t0.Add(time.Hour)
	if _, err := fx.st.DeliveryComplete(ctx(t), completion(c, delivery.Retrying, next)); err != nil {
		t.Fatalf("a valid completion after the refused ones: %v", err)
	}
	if d := fx.delivery(t, c.DeliveryID); d.Status != delivery.Retrying || !d.NextAttemptAt.Equal(next) || d.Attempts != 1 {
		t.Fatalf("the delivery after its completion = %+v; want retrying at %s after 1 attempt", d, next)
	}
}

// deliveryTraceID: every read of a delivery carries its occurrence's
// trace, down a chain too, so the engine names a delivery's trace in its
// notes without reading the occurrence again.
func (s *suite) deliveryTraceID(t *testing.T) {
	fx := s.fixture(t)
	root := fx.orderStock(t, t0, true)
	p := completion(root.Deliveries[0], delivery.Succeeded, time.Time{})
	p.Completion = storage.Succeeded(fx.reservedBy(root.Deliveries[0], bigCap, false))
	res, err := fx.st.DeliveryComplete(ctx(t), p)
	if err != nil {
		t.Fatalf("complete with a trigger: %v", err)
	}
	child := res.Triggered[0].Deliveries[0].DeliveryID
	check := func(what string) func(delivery.Delivery, error) {
		return func(d delivery.Delivery, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if d.TraceID != root.TraceID {
				t.Fatalf("%s: delivery %d carries trace %d, want %d (its root's)", what, d.ID, d.TraceID, root.TraceID)
			}
		}
	}
	check("get the root's delivery")(fx.st.DeliveryGet(ctx(t), root.Deliveries[0].DeliveryID))
	check("get the triggered delivery")(fx.st.DeliveryGet(ctx(t), child))
	ds, err := fx.st.DeliveryList(ctx(t), &storage.DeliveryListParams{TraceID: root.TraceID, Limit: 10})
	if len(ds) != 2 {
		t.Fatalf("the trace lists %d deliveries (%v), want 2", len(ds), err)
	}
	for _, d := range ds {
		check("list the trace's deliveries")(d, err)
	}
	for _, o := range []delivery.Occurrence{fx.occurrence(t, root.OccurrenceID), fx.occurrence(t, res.Triggered[0].OccurrenceID)} {
		for _, d := range o.Deliveries {
			check("an occurrence's delivery")(d, nil)
		}
	}
	check("retry the triggered delivery now")(fx.st.DeliveryRetryNow(ctx(t), child, opAt))
	check("discard it")(fx.st.DeliveryDiscard(ctx(t), child, opAt))
	check("replay it")(fx.st.DeliveryReplay(ctx(t), child, opAt))
}
