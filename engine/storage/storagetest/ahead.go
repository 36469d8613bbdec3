package storagetest

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

// deliveriesAhead: the deliveries counted ahead of one are the same
// subscription's waiting ones that DeliveryClaim takes first — due
// earlier, or due together with a smaller id — never running, finished
// or other subscriptions' ones.
func (s *suite) deliveriesAhead(t *testing.T) {
	fx := s.fixture(t)
	first := fx.insert(t, fx.order(t0, bigCap, fx.toStock(false), fx.toMail(false))).Deliveries[0].DeliveryID
	second := fx.orderStock(t, t0.Add(time.Second), false).Deliveries[0].DeliveryID
	third := fx.orderStock(t, t0.Add(2*time.Second), false).Deliveries[0].DeliveryID
	twin := fx.orderStock(t, t0.Add(2*time.Second), false).Deliveries[0].DeliveryID // due with third, created after it
	ahead := func(id int64, due time.Time, limit int) int {
		t.Helper()
		n, err := fx.st.DeliveriesAhead(ctx(t), fx.stockSub.ID, id, due, limit)
		if err != nil {
			t.Fatalf("DeliveriesAhead(%d): %v", id, err)
		}
		return n
	}
	for _, c := range []struct {
		name  string
		id    int64
		due   time.Time
		limit int
		want  int
	}{
		{"the oldest", first, t0, 100, 0},
		{"the second", second, t0.Add(time.Second), 100, 1},
		{"the third", third, t0.Add(2 * time.Second), 100, 2},
		{"due together, larger id", twin, t0.Add(2 * time.Second), 100, 3},
		{"limit", third, t0.Add(2 * time.Second), 1, 1},
	} {
		if got := ahead(c.id, c.due, c.limit); got != c.want {
			t.Errorf("%s: %d ahead, want %d", c.name, got, c.want)
		}
	}
	// The oldest is claimed (running: no longer waiting), then fails and
	// waits for a retry due after the others: it is behind them now.
	c := fx.claimOne(t, fx.stockSub, t0.Add(3*time.Second))
	if c.DeliveryID != first {
		t.Fatalf("claimed delivery %d, want the oldest %d", c.DeliveryID, first)
	}
	if got := ahead(third, t0.Add(2*time.Second), 100); got != 1 {
		t.Errorf("while the oldest runs: %d ahead of the third, want 1", got)
	}
	fx.complete(t, c, delivery.Retrying, t0.Add(time.Hour))
	if got := ahead(third, t0.Add(2*time.Second), 100); got != 1 {
		t.Errorf("with the oldest retrying later: %d ahead of the third, want 1", got)
	}
	if got := ahead(first, t0.Add(time.Hour), 100); got != 3 {
		t.Errorf("the retrying oldest: %d ahead, want 3", got)
	}
}
