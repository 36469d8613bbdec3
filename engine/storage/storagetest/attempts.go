package storagetest

import (
	"sort"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// attemptFinishedList: a delivery that failed once and then died, and one
// that succeeded, are read back by finish time, in every page size, with
// the dead flag on the dead delivery's last attempt only.
func (s *suite) attemptFinishedList(t *testing.T) {
	fx := s.fixture(t)
	r := fx.orderBoth(t, true)
	first, second := r.Deliveries[0], r.Deliveries[1]
	if first.SubscriptionID != fx.stockSub.ID { // the retry below is claimed through Stock
		first, second = second, first
	}
	fail := delivery.Attempt{DeliveryID: first.DeliveryID, Number: 1, StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(time.Minute + time.Second), Outcome: delivery.OutcomeFailed, Error: "boom"}
	retryAt := t0.Add(3 * time.Minute)
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: first.DeliveryID, Token: first.Token, Completion: completionFor(delivery.Retrying, retryAt), Attempt: fail}); err != nil {
		t.Fatalf("fail the first attempt: %v", err)
	}
	again := fx.claimOne(t, fx.stockSub, retryAt)
	dead := delivery.Attempt{DeliveryID: first.DeliveryID, Number: 2, StartedAt: retryAt, FinishedAt: retryAt.Add(2 * time.Second), Outcome: delivery.OutcomeFailed, Error: "boom again"}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: again.DeliveryID, Token: again.Token, Completion: storage.Dead(), Attempt: dead}); err != nil {
		t.Fatalf("kill the delivery: %v", err)
	}
	ok := delivery.Attempt{DeliveryID: second.DeliveryID, Number: 1, StartedAt: t0.Add(2 * time.Minute), FinishedAt: t0.Add(2*time.Minute + 500*time.Millisecond), Outcome: delivery.OutcomeSucceeded}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: second.DeliveryID, Token: second.Token, Completion: storage.Succeeded(), Attempt: ok}); err != nil {
		t.Fatalf("succeed: %v", err)
	}
	appOf := map[int64]int64{first.DeliveryID: first.AppID, second.DeliveryID: second.AppID}
	all := func(since, until time.Time, limit int) []storage.FinishedAttempt {
		t.Helper()
		var out []storage.FinishedAttempt
		after := int64(0)
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("more than 10 pages of %d for 2 deliveries: the cursor does not move", limit)
			}
			p, err := fx.st.AttemptFinishedList(ctx(t), &storage.AttemptFinishedListParams{Since: since, Until: until, AfterDeliveryID: after, Limit: limit})
			if err != nil {
				t.Fatalf("finished attempts: %v", err)
			}
			out = append(out, p.Attempts...)
			if p.Next == 0 {
				break
			}
			if p.Next <= after {
				t.Fatalf("next page after %d, want past %d", p.Next, after)
			}
			after = p.Next
		}
		sort.Slice(out, func(i, j int) bool { return out[i].FinishedAt.Before(out[j].FinishedAt) })
		return out
	}
	for _, limit := range []int{1, 2, 0} {
		got := all(t0, t0.Add(time.Hour), limit)
		if len(got) != 3 {
			t.Fatalf("limit %d: %d attempts, want 3: %+v", limit, len(got), got)
		}
		for i, want := range []struct {
			a    delivery.Attempt
			dead bool
		}{{fail, false}, {ok, false}, {dead, true}} {
			g := got[i]
			if g.DeliveryID != want.a.DeliveryID || g.Number != want.a.Number || g.Outcome != want.a.Outcome || g.Dead != want.dead ||
				!g.StartedAt.Equal(want.a.StartedAt) || !g.FinishedAt.Equal(want.a.FinishedAt) ||
				g.EventID != fx.placed.ID || g.AppID != appOf[g.DeliveryID] {
				t.Fatalf("limit %d, attempt %d = %+v; want %+v (dead %v, event %d, app %d)", limit, i, g, want.a, want.dead, fx.placed.ID, appOf[g.DeliveryID])
			}
		}
	}
	// The window is half-open on finish time: the first failure finished
	// at t0+1m1s and is out of a window starting just after it.
	if got := all(fail.FinishedAt.Add(time.Nanosecond), ok.FinishedAt, 0); len(got) != 0 {
		t.Fatalf("window (1m1s, 2m0.5s) = %+v, want nothing (its end is exclusive)", got)
	}
	if got := all(t0.Add(2*time.Hour), t0.Add(3*time.Hour), 0); len(got) != 0 {
		t.Fatalf("a later window = %+v, want nothing", got)
	}
}
