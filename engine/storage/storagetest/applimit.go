package storagetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// claimUnder claims up to limit due deliveries of sub at now, leased for
// lease, while the app of sub holds fewer than appLimit leases.
func (fx *fixture) claimUnder(t *testing.T, st storage.Storage, sub design.Subscription, limit, appLimit int, now time.Time) []storage.Claim {
	t.Helper()
	c, err := st.DeliveryClaim(ctx(t), &storage.DeliveryClaimParams{SubscriptionID: sub.ID, Limit: limit, Now: now,
		LeaseUntil: now.Add(lease), AppLimit: appLimit})
	if err != nil {
		t.Fatalf("claim for subscription %d under app limit %d: %v", sub.ID, appLimit, err)
	}
	return c
}

// reservedToMail inserts a Reserved (Stock's event) at `at` delivered to
// Mail, pending.
func (fx *fixture) reservedToMail(t *testing.T, at time.Time) {
	t.Helper()
	fx.insert(t, &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID,
		Parameters: json.RawMessage(`{"Sku":"A-1"}`), CreatedAt: at, QueueCap: bigCap, LeaseUntil: at.Add(lease),
		Deliveries: []storage.NewDelivery{{SubscriptionID: fx.mailReserved.ID, AppID: fx.mailReserved.AppID}}})
}

// claimUnderAppLimit: with AppLimit 2, Mail's five due deliveries over
// its two subscriptions are claimed two at a time, whichever
// subscription asks: a claim of 5 gets 2, the other subscription then
// gets none; another app's leases do not count; a completion frees one
// place; a lease counts until (and at) its end and not after it, swept
// or not; and AppLimit 0 claims without a limit.
func (s *suite) claimUnderAppLimit(t *testing.T) {
	fx := s.fixture(t)
	for range 3 {
		fx.insert(t, fx.order(t0, bigCap, fx.toMail(false), fx.toStock(false)))
	}
	for range 2 {
		fx.reservedToMail(t, t0)
	}
	first := fx.claimUnder(t, fx.st, fx.mailSub, 5, 2, t0)
	if len(first) != 2 {
		t.Fatalf("a claim of 5 under Mail's limit of 2 got %d deliveries, want 2", len(first))
	}
	if got := fx.claimUnder(t, fx.st, fx.mailReserved, 5, 2, t0); len(got) != 0 {
		t.Fatalf("Mail's other subscription claimed %d while Mail holds 2 leases under a limit of 2, want 0", len(got))
	}
	if got := fx.claimUnder(t, fx.st, fx.stockSub, 5, 2, t0); len(got) != 2 {
		t.Fatalf("Stock claimed %d under its own limit of 2 while Mail is full, want 2 (another app's leases do not count)", len(got))
	}

	fx.complete(t, first[0], delivery.Succeeded, time.Time{})
	next := fx.claimUnder(t, fx.st, fx.mailReserved, 5, 2, t0.Add(time.Second))
	if len(next) != 1 || next[0].SubscriptionID != fx.mailReserved.ID {
		t.Fatalf("after one of Mail's 2 completed, a claim of 5 got %+v, want 1 delivery of the other subscription", next)
	}
	if got := fx.claimUnder(t, fx.st, fx.mailSub, 5, 2, t0.Add(time.Second)); len(got) != 0 {
		t.Fatalf("Mail full again, yet a claim got %d, want 0", len(got))
	}

	// first[1]'s lease ends at t0+lease, next[0]'s a second later: at
	// t0+lease both still count (a lease ends after its last instant).
	if got := fx.claimUnder(t, fx.st, fx.mailSub, 5, 2, t0.Add(lease)); len(got) != 0 {
		t.Fatalf("at the instant Mail's first lease ends a claim got %d, want 0 (the lease still counts)", len(got))
	}
	late := t0.Add(lease + time.Nanosecond)
	got := fx.claimUnder(t, fx.st, fx.mailSub, 5, 2, late)
	if len(got) != 1 {
		t.Fatalf("once one of Mail's leases ended (not swept), a claim got %d, want 1: an expired lease frees its place", len(got))
	}
	if d := fx.delivery(t, first[1].DeliveryID); d.Status != delivery.Running {
		t.Fatalf("the expired delivery is %s, want still running until a sweep", d.Status)
	}
	if got := fx.claimUnder(t, fx.st, fx.mailReserved, 5, 2, late); len(got) != 0 {
		t.Fatalf("Mail full with the new lease, yet a claim got %d, want 0", len(got))
	}
	if got := fx.claimUnder(t, fx.st, fx.mailReserved, 5, 0, late); len(got) != 1 {
		t.Fatalf("AppLimit 0 claimed %d of Mail's 1 remaining due delivery, want 1 (no limit)", len(got))
	}
}

// claimUnderAppLimitConcurrently: claimers racing for one app's places,
// on one backend and, when it is shared, on a second open of it too
// (another node), together take exactly the limit and never more.
func (s *suite) claimUnderAppLimitConcurrently(t *testing.T) {
	fx := s.fixture(t)
	sts := []storage.Storage{fx.st}
	if s.f.SharedAcrossProcesses {
		b := s.open(t, fx.dir)
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("close the second backend: %v", err)
			}
		})
		sts = append(sts, b)
	}
	for range 10 {
		fx.insert(t, fx.order(t0, bigCap, fx.toMail(false)))
		fx.reservedToMail(t, t0)
	}
	const appLimit = 3
	var mu sync.Mutex
	taken := 0
	var wg sync.WaitGroup
	for i := range 8 {
		st, sub := sts[i%len(sts)], fx.mailSub
		if i%4 >= 2 {
			sub = fx.mailReserved
		}
		wg.Go(func() {
			for range 3 {
				got := fx.claimUnder(t, st, sub, 2, appLimit, t0)
				mu.Lock()
				taken += len(got)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if taken != appLimit {
		t.Fatalf("racing claimers on %d backend(s) took %d of Mail's deliveries under a limit of %d, want exactly %d",
			len(sts), taken, appLimit, appLimit)
	}
}
