package storagetest

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// deliveryListTouched: DeliveryListTouched finds the deliveries whose
// attempts (or creation) may fall in a window, oldest first, with their
// attempts:
//
//	dA to Stock, created t0,    attempt t0+10s..t0+12s, succeeded
//	dB to Stock, created t0+1m, attempt t0+70s..t0+75s, retrying
//	dC to Mail,  created t0+5m, pending
func (s *suite) deliveryListTouched(t *testing.T) {
	fx := s.fixture(t)
	attempt := func(c storage.Claim, status delivery.Status, from, to time.Duration, next time.Time) {
		t.Helper()
		a := delivery.Attempt{Number: 1, StartedAt: t0.Add(from), FinishedAt: t0.Add(to), Outcome: delivery.OutcomeSucceeded}
		if status != delivery.Succeeded {
			a.Outcome, a.Error = delivery.OutcomeFailed, "boom"
		}
		p := &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Completion: completionFor(status, next), Attempt: a}
		if _, err := fx.st.DeliveryComplete(ctx(t), p); err != nil {
			t.Fatalf("complete delivery %d: %v", c.DeliveryID, err)
		}
	}
	a := fx.orderStock(t, t0, true).Deliveries[0]
	attempt(a, delivery.Succeeded, 10*time.Second, 12*time.Second, time.Time{})
	b := fx.orderStock(t, t0.Add(time.Minute), true).Deliveries[0]
	attempt(b, delivery.Retrying, 70*time.Second, 75*time.Second, t0.Add(10*time.Minute))
	c := fx.insert(t, fx.order(t0.Add(5*time.Minute), bigCap, fx.toMail(false))).Deliveries[0]
	dA, dB, dC := a.DeliveryID, b.DeliveryID, c.DeliveryID
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	cases := []struct {
		name string
		p    storage.DeliveryTouchedParams
		want []int64
	}{
		{"attempt ends in the window", storage.DeliveryTouchedParams{Since: at(11 * time.Second), Until: at(20 * time.Second), Limit: 10}, []int64{dA}},
		{"updated before the window", storage.DeliveryTouchedParams{Since: at(13 * time.Second), Until: at(2 * time.Minute), Limit: 10}, []int64{dB}},
		{"every one", storage.DeliveryTouchedParams{Since: t0, Until: at(10 * time.Minute), Limit: 10}, []int64{dA, dB, dC}},
		{"after id", storage.DeliveryTouchedParams{Since: t0, Until: at(10 * time.Minute), AfterID: dA, Limit: 10}, []int64{dB, dC}},
		{"limit", storage.DeliveryTouchedParams{Since: t0, Until: at(10 * time.Minute), Limit: 2}, []int64{dA, dB}},
		{"created after the window", storage.DeliveryTouchedParams{Since: t0, Until: at(time.Minute), Limit: 10}, []int64{dA}},
		{"quiet window", storage.DeliveryTouchedParams{Since: at(6 * time.Minute), Until: at(7 * time.Minute), Limit: 10}, nil},
		{"until past 2262", storage.DeliveryTouchedParams{Since: farPast, Until: farFuture, Limit: 10}, []int64{dA, dB, dC}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := fx.st.DeliveryListTouched(ctx(t), &c.p)
			if err != nil {
				t.Fatalf("DeliveryListTouched(%+v): %v", c.p, err)
			}
			ids := make([]int64, len(got))
			for i, d := range got {
				ids[i] = d.ID
			}
			if !sameIDs(ids, c.want) {
				t.Fatalf("DeliveryListTouched(%+v) = %v, want %v", c.p, ids, c.want)
			}
		})
	}
	got, err := fx.st.DeliveryListTouched(ctx(t), &storage.DeliveryTouchedParams{Since: t0, Until: at(time.Minute), Limit: 10})
	if err != nil || len(got) != 1 {
		t.Fatalf("DeliveryListTouched = %+v, %v", got, err)
	}
	d := got[0]
	if d.App != "Stock" || d.OccurrenceID != a.OccurrenceID || d.Status != delivery.Succeeded || len(d.AttemptList) != 1 {
		t.Fatalf("listed delivery = %+v", d)
	}
	if x := d.AttemptList[0]; x.Number != 1 || !x.StartedAt.Equal(at(10*time.Second)) || !x.FinishedAt.Equal(at(12*time.Second)) || x.Outcome != delivery.OutcomeSucceeded {
		t.Fatalf("its attempt = %+v", x)
	}
}
