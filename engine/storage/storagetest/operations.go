package storagetest

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
)

// opAt is when the suite's operations (retry now, replay, discard) run.
var opAt = t0.Add(5 * time.Minute)

// refusedIn checks, for every status not in allowed, that op on a
// delivery in it fails with fault.ErrConflict and changes nothing.
func (s *suite) refusedIn(t *testing.T, allowed []delivery.Status, op func(t *testing.T, fx *fixture, id int64) (delivery.Delivery, error)) {
	for _, st := range statuses {
		if contains(allowed, st) {
			continue
		}
		t.Run("refused when "+string(st), func(t *testing.T) {
			fx := s.fixture(t)
			_, c := fx.deliveryIn(t, st)
			before := fx.state(t)
			_, err := op(t, fx, c.DeliveryID)
			wantKind(t, err, fault.ErrConflict, "on a "+string(st)+" delivery")
			fx.sameState(t, before, "a refused operation")
		})
	}
	t.Run("unknown delivery", func(t *testing.T) {
		fx := s.fixture(t)
		_, err := op(t, fx, 1<<40)
		wantKind(t, err, fault.ErrNotFound, "on an unknown delivery")
	})
}

func contains(ss []delivery.Status, s delivery.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// retryNow: a Retrying or Pending delivery becomes due now, keeping its
// attempts; any other is refused with fault.ErrConflict.
func (s *suite) retryNow(t *testing.T) {
	allowed := []delivery.Status{delivery.Retrying, delivery.Pending}
	for _, st := range allowed {
		t.Run(string(st), func(t *testing.T) {
			fx := s.fixture(t)
			var id int64
			wantAttempts := 0
			if st == delivery.Retrying {
				_, c := fx.deliveryIn(t, st) // due at t0+1h
				id, wantAttempts = c.DeliveryID, 1
			} else {
				id = fx.orderStock(t, t0.Add(time.Hour), false).Deliveries[0].DeliveryID // due at t0+1h
			}
			d, err := fx.st.DeliveryRetryNow(ctx(t), id, opAt)
			if err != nil {
				t.Fatalf("retry now: %v", err)
			}
			if d.ID != id || d.Status != st || !d.NextAttemptAt.Equal(opAt) || d.Attempts != wantAttempts {
				t.Fatalf("retry now returned %+v; want it %s, due at %s, %d attempts", d, st, opAt, wantAttempts)
			}
			if got := fx.delivery(t, id); got.Status != st || !got.NextAttemptAt.Equal(opAt) {
				t.Fatalf("after retry now: %+v", got)
			}
			if next, ok, err := fx.st.DeliveryNextDue(ctx(t), fx.stockSub.ID); err != nil || !ok || !next.Equal(opAt) {
				t.Fatalf("next due = %s %v %v, want %s", next, ok, err, opAt)
			}
			c := fx.claimOne(t, fx.stockSub, opAt)
			if c.DeliveryID != id || c.Attempts != wantAttempts {
				t.Fatalf("claimed %+v at the retry-now time", c)
			}
		})
	}
	s.refusedIn(t, allowed, func(t *testing.T, fx *fixture, id int64) (delivery.Delivery, error) {
		return fx.st.DeliveryRetryNow(ctx(t), id, opAt)
	})
}

// replay: a Dead or Discarded delivery becomes Pending, due now, its
// attempts kept, and its occurrence pending again; any other is refused.
func (s *suite) replay(t *testing.T) {
	allowed := []delivery.Status{delivery.Dead, delivery.Discarded}
	for _, st := range allowed {
		t.Run(string(st), func(t *testing.T) {
			fx := s.fixture(t)
			occ, c := fx.deliveryIn(t, st)
			wantAttempts := boolInt(st == delivery.Dead)
			if d := fx.depth(t, fx.placed.ID); d != 0 {
				t.Fatalf("set-up: queue depth %d, want 0", d)
			}
			d, err := fx.st.DeliveryReplay(ctx(t), c.DeliveryID, opAt)
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			if d.ID != c.DeliveryID || d.Status != delivery.Pending || !d.NextAttemptAt.Equal(opAt) || d.Attempts != wantAttempts || len(d.AttemptList) != wantAttempts {
				t.Fatalf("replay returned %+v; want pending, due at %s, %d attempts kept", d, opAt, wantAttempts)
			}
			// The retry schedule starts over: it counts failures after
			// the attempts made before the replay.
			if d.ScheduleBase != wantAttempts {
				t.Fatalf("replay returned schedule base %d, want %d (the attempts before it)", d.ScheduleBase, wantAttempts)
			}
			if o := fx.occurrence(t, occ); o.Status != delivery.OccurrencePending {
				t.Fatalf("occurrence after a replay is %s, want pending", o.Status)
			}
			if d := fx.depth(t, fx.placed.ID); d != 1 {
				t.Fatalf("queue depth %d after a replay, want 1", d)
			}
			if got := fx.claim(t, fx.stockSub, 10, opAt.Add(-time.Nanosecond)); len(got) != 0 {
				t.Fatalf("a replayed delivery was due before the replay: %+v", got)
			}
			again := fx.claimOne(t, fx.stockSub, opAt)
			if again.DeliveryID != c.DeliveryID || again.Attempts != wantAttempts || again.ScheduleBase != wantAttempts || again.Token == c.Token {
				t.Fatalf("replayed claim = %+v; want %d attempts, the schedule counted from them, and a new token", again, wantAttempts)
			}
			res := fx.complete(t, again, delivery.Succeeded, time.Time{})
			if res.OccurrenceStatus != delivery.OccurrenceCompleted {
				t.Fatalf("a replayed occurrence completes as %s, want completed", res.OccurrenceStatus)
			}
			if d := fx.delivery(t, c.DeliveryID); d.Attempts != wantAttempts+1 || len(d.AttemptList) != wantAttempts+1 {
				t.Fatalf("after the replayed run: %+v", d)
			}
			if d := fx.depth(t, fx.placed.ID); d != 0 {
				t.Fatalf("queue depth %d after the replay finished, want 0", d)
			}
		})
	}
	s.refusedIn(t, allowed, func(t *testing.T, fx *fixture, id int64) (delivery.Delivery, error) {
		return fx.st.DeliveryReplay(ctx(t), id, opAt)
	})
}

// discard: an unfinished or Dead delivery becomes Discarded and its
// occurrence settles; a Succeeded or Discarded one is refused.
func (s *suite) discard(t *testing.T) {
	allowed := []delivery.Status{delivery.Pending, delivery.Running, delivery.Retrying, delivery.Dead}
	for _, st := range allowed {
		t.Run(string(st), func(t *testing.T) {
			fx := s.fixture(t)
			occ, c := fx.deliveryIn(t, st)
			d, err := fx.st.DeliveryDiscard(ctx(t), c.DeliveryID, opAt)
			if err != nil {
				t.Fatalf("discard: %v", err)
			}
			if d.ID != c.DeliveryID || d.Status != delivery.Discarded {
				t.Fatalf("discard returned %+v; want it discarded", d)
			}
			if got := fx.delivery(t, c.DeliveryID); got.Status != delivery.Discarded || got.Attempts != d.Attempts {
				t.Fatalf("after discard: %+v", got)
			}
			if o := fx.occurrence(t, occ); o.Status != delivery.OccurrenceCompleted {
				t.Fatalf("an occurrence whose only delivery was discarded is %s, want completed", o.Status)
			}
			if d := fx.depth(t, fx.placed.ID); d != 0 {
				t.Fatalf("queue depth %d after a discard, want 0", d)
			}
			if got := fx.claim(t, fx.stockSub, 10, t0.Add(100*time.Hour)); len(got) != 0 {
				t.Fatalf("a discarded delivery was claimed: %+v", got)
			}
			if _, ok, err := fx.st.DeliveryNextDue(ctx(t), fx.stockSub.ID); err != nil || ok {
				t.Fatalf("next due reported for a discarded delivery (%v)", err)
			}
			if st == delivery.Running {
				_, err := fx.st.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{}))
				wantKind(t, err, fault.ErrLeaseLost, "completing a discarded run")
			}
		})
	}
	t.Run("one of two", func(t *testing.T) {
		fx := s.fixture(t)
		r := fx.orderBoth(t, false)
		if _, err := fx.st.DeliveryDiscard(ctx(t), r.Deliveries[1].DeliveryID, opAt); err != nil {
			t.Fatalf("discard: %v", err)
		}
		if o := fx.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrencePending {
			t.Fatalf("occurrence with a pending delivery left is %s, want pending", o.Status)
		}
		if got := fx.claim(t, fx.stockSub, 10, t0); len(got) != 1 {
			t.Fatalf("the other delivery was not claimable after a discard: %+v", got)
		}
	})
	s.refusedIn(t, allowed, func(t *testing.T, fx *fixture, id int64) (delivery.Delivery, error) {
		return fx.st.DeliveryDiscard(ctx(t), id, opAt)
	})
}
