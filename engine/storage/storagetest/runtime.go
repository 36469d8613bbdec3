package storagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// sameJSON reports whether a and b hold the same JSON value; a backend
// may re-encode the parameters (key order, spacing).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// occurrenceInsert: a root is its own trace, a child keeps the trace and
// parent it is given, deliveries start Pending (due at creation) or
// Running under token 1, and an occurrence without deliveries is
// completed at once.
func (s *suite) occurrenceInsert(t *testing.T) {
	fx := s.fixture(t)
	root := fx.insert(t, fx.order(t0, bigCap, fx.toStock(false), fx.toMail(true)))
	if root.OccurrenceID == 0 || root.TraceID != root.OccurrenceID {
		t.Fatalf("root = %+v; want its own id as its trace", root)
	}
	for i, sub := range []design.Subscription{fx.stockSub, fx.mailSub} {
		c := root.Deliveries[i]
		if c.DeliveryID == 0 || c.OccurrenceID != root.OccurrenceID || c.SubscriptionID != sub.ID || c.AppID != sub.AppID {
			t.Fatalf("result delivery %d = %+v; want subscription %d's, in the params' order", i, c, sub.ID)
		}
	}
	if root.Deliveries[0].DeliveryID == root.Deliveries[1].DeliveryID {
		t.Fatal("two deliveries share an id")
	}
	c := root.Deliveries[1]
	if c.Token != 1 || !c.LeaseUntil.Equal(t0.Add(lease)) || c.TraceID != root.TraceID || c.EventID != fx.placed.ID ||
		!sameJSON(c.Parameters, []byte(orderJSON)) || !c.CreatedAt.Equal(t0) || c.Attempts != 0 {
		t.Fatalf("claim made at insert = %+v; want token 1, the lease, trace, event, parameters, creation time, no attempts", c)
	}

	o := fx.occurrence(t, root.OccurrenceID)
	if o.ID != root.OccurrenceID || o.EventID != fx.placed.ID || o.AppID != fx.shop.ID || o.App != "Shop" || o.Event != "OrderPlaced" ||
		o.TraceID != root.TraceID || o.ParentDeliveryID != 0 || !sameJSON(o.Parameters, []byte(orderJSON)) || !o.CreatedAt.Equal(t0) ||
		o.Status != delivery.OccurrencePending || len(o.Deliveries) != 2 {
		t.Fatalf("occurrence = %+v", o)
	}
	for _, d := range o.Deliveries {
		want, wantApp, sub := delivery.Pending, "Stock", fx.stockSub
		if d.ID == c.DeliveryID {
			want, wantApp, sub = delivery.Running, "Mail", fx.mailSub
		}
		if d.Status != want || d.App != wantApp || d.SubscriptionID != sub.ID || d.AppID != sub.AppID || d.EventID != fx.placed.ID ||
			d.OccurrenceID != o.ID || d.Attempts != 0 || d.LastError != "" || len(d.AttemptList) != 0 || !d.CreatedAt.Equal(t0) {
			t.Fatalf("delivery = %+v; want %s to %s, no attempts", d, want, wantApp)
		}
		if want == delivery.Pending && !d.NextAttemptAt.Equal(t0) {
			t.Fatalf("pending delivery due at %s, want its creation time %s", d.NextAttemptAt, t0)
		}
	}
	if got := fx.claim(t, fx.mailSub, 10, t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a delivery claimed at insert was claimed again: %+v", got)
	}
	fx.complete(t, c, delivery.Succeeded, time.Time{})

	child := fx.insert(t, &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID, Parameters: json.RawMessage(`{"Sku":"A-1"}`),
		TraceID: root.TraceID, ParentDeliveryID: c.DeliveryID, CreatedAt: t0.Add(time.Second), QueueCap: bigCap,
		Deliveries: []storage.NewDelivery{{SubscriptionID: fx.mailReserved.ID, AppID: fx.mailReserved.AppID}}})
	if child.OccurrenceID == root.OccurrenceID || child.TraceID != root.TraceID || child.Deliveries[0].TraceID != root.TraceID {
		t.Fatalf("child = %+v; want a new id in the root's trace %d", child, root.TraceID)
	}
	co := fx.occurrence(t, child.OccurrenceID)
	if co.TraceID != root.TraceID || co.ParentDeliveryID != c.DeliveryID || co.App != "Stock" || co.Event != "Reserved" || co.Status != delivery.OccurrencePending {
		t.Fatalf("child = %+v; want the root's trace, its parent delivery, pending", co)
	}

	alone := fx.insert(t, fx.order(t0, bigCap))
	if alone.TraceID != alone.OccurrenceID || len(alone.Deliveries) != 0 {
		t.Fatalf("occurrence without deliveries = %+v", alone)
	}
	if o := fx.occurrence(t, alone.OccurrenceID); o.Status != delivery.OccurrenceCompleted || len(o.Deliveries) != 0 {
		t.Fatalf("occurrence without deliveries is %s with %d deliveries, want completed at once", o.Status, len(o.Deliveries))
	}
}

// queueCap: an event type holds at most QueueCap pending occurrences;
// the one past it is refused with fault.ErrQueueFull and stores nothing.
func (s *suite) queueCap(t *testing.T) {
	full := func(t *testing.T, fx *fixture, p *storage.OccurrenceInsertParams, what string) {
		t.Helper()
		before := fx.state(t)
		_, err := fx.st.OccurrenceInsert(ctx(t), p)
		wantKind(t, err, fault.ErrQueueFull, what)
		fx.sameState(t, before, what)
	}
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("cap %d", n), func(t *testing.T) {
			fx := s.fixture(t)
			for i := range n {
				if _, err := fx.st.OccurrenceInsert(ctx(t), fx.order(t0, n, fx.toStock(false), fx.toMail(i%2 == 0))); err != nil {
					t.Fatalf("insert %d of cap %d: %v", i+1, n, err)
				}
			}
			full(t, fx, fx.order(t0, n, fx.toStock(false), fx.toMail(false)), "the insert past the cap")
			full(t, fx, fx.order(t0, n, fx.toStock(true)), "a claimed insert past the cap")
			if got := fx.list(t, storage.OccurrenceListParams{}); len(got) != n {
				t.Fatalf("%d occurrences stored, want %d", len(got), n)
			}
			if d := fx.depth(t, fx.placed.ID); d != n {
				t.Fatalf("queue depth %d, want %d", d, n)
			}
		})
	}
	t.Run("finishing an occurrence frees one place", func(t *testing.T) {
		fx := s.fixture(t)
		first := fx.insert(t, fx.order(t0, 2, fx.toStock(true), fx.toMail(true)))
		fx.insert(t, fx.order(t0, 2, fx.toStock(false)))
		// A failure waiting to retry keeps its occurrence pending.
		fx.complete(t, first.Deliveries[0], delivery.Retrying, t0.Add(time.Hour))
		fx.complete(t, first.Deliveries[1], delivery.Succeeded, time.Time{})
		full(t, fx, fx.order(t0, 2, fx.toStock(false)), "an insert while a retry keeps the queue full")
		fx.complete(t, fx.claimOne(t, fx.stockSub, t0.Add(time.Hour)), delivery.Dead, time.Time{})
		if d := fx.depth(t, fx.placed.ID); d != 1 {
			t.Fatalf("queue depth %d after an occurrence finished, want 1", d)
		}
		fx.insert(t, fx.order(t0, 2, fx.toStock(false)))
		full(t, fx, fx.order(t0, 2, fx.toStock(false)), "the second insert after one place freed")
	})
	t.Run("discarding frees a place", func(t *testing.T) {
		fx := s.fixture(t)
		r := fx.insert(t, fx.order(t0, 1, fx.toStock(false)))
		full(t, fx, fx.order(t0, 1, fx.toStock(false)), "an insert into a full queue")
		if _, err := fx.st.DeliveryDiscard(ctx(t), r.Deliveries[0].DeliveryID, t0); err != nil {
			t.Fatalf("discard: %v", err)
		}
		fx.insert(t, fx.order(t0, 1, fx.toStock(false)))
	})
	t.Run("per event type", func(t *testing.T) {
		fx := s.fixture(t)
		fx.insert(t, fx.order(t0, 1, fx.toStock(false)))
		reserved := &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID, Parameters: json.RawMessage(`{"Sku":"A-1"}`),
			CreatedAt: t0, QueueCap: 1, Deliveries: []storage.NewDelivery{{SubscriptionID: fx.mailReserved.ID, AppID: fx.mailReserved.AppID}}}
		fx.insert(t, reserved)
		full(t, fx, reserved, "the second Reserved")
		full(t, fx, fx.order(t0, 1, fx.toStock(false)), "the second OrderPlaced")
		depths, err := fx.st.QueueDepths(ctx(t))
		if err != nil || !reflect.DeepEqual(depths, map[int64]int{fx.placed.ID: 1, fx.reserved.ID: 1}) {
			t.Fatalf("queue depths = %v %v; want 1 for each event", depths, err)
		}
	})
	t.Run("occurrences without deliveries take no place", func(t *testing.T) {
		fx := s.fixture(t)
		for range 3 {
			fx.insert(t, fx.order(t0, 1))
		}
		if depths, _ := fx.st.QueueDepths(ctx(t)); len(depths) != 0 {
			t.Fatalf("queue depths %v after occurrences without deliveries, want none", depths)
		}
		fx.insert(t, fx.order(t0, 1, fx.toStock(false)))
		full(t, fx, fx.order(t0, 1, fx.toStock(false)), "an insert past the cap")
	})
	t.Run("replay may exceed the cap by one", func(t *testing.T) {
		fx := s.fixture(t)
		dead := fx.insert(t, fx.order(t0, 1, fx.toStock(true)))
		fx.complete(t, dead.Deliveries[0], delivery.Dead, time.Time{})
		fx.insert(t, fx.order(t0, 1, fx.toStock(false)))
		if _, err := fx.st.DeliveryReplay(ctx(t), dead.Deliveries[0].DeliveryID, t0.Add(time.Hour)); err != nil {
			t.Fatalf("replay into a full queue: %v", err)
		}
		if d := fx.depth(t, fx.placed.ID); d != 2 {
			t.Fatalf("queue depth %d after a replay, want 2", d)
		}
		full(t, fx, fx.order(t0, 2, fx.toStock(false)), "an insert after a replay filled the queue")
	})
	t.Run("concurrent inserts stop at the cap", func(t *testing.T) {
		fx := s.fixture(t)
		const capN, workers, each = 50, 8, 20
		var mu sync.Mutex
		ok, refused := 0, 0
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					_, err := fx.st.OccurrenceInsert(ctx(t), fx.order(t0, capN, fx.toStock((w+i)%2 == 0), fx.toMail(false)))
					mu.Lock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, fault.ErrQueueFull):
						refused++
					default:
						t.Errorf("insert: %v", err)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != capN || refused != workers*each-capN {
			t.Fatalf("%d inserts accepted and %d refused; want %d and %d", ok, refused, capN, workers*each-capN)
		}
		if n := len(fx.list(t, storage.OccurrenceListParams{Limit: 2 * capN})); n != capN {
			t.Fatalf("%d occurrences stored, want %d", n, capN)
		}
		if d := fx.depth(t, fx.placed.ID); d != capN {
			t.Fatalf("queue depth %d, want %d", d, capN)
		}
	})
}

// claimOnlyDue: a claim takes only due deliveries of its subscription
// (Pending, or Retrying with NextAttemptAt <= Now), at most Limit, and
// makes them Running under a token, with what a handler needs.
func (s *suite) claimOnlyDue(t *testing.T) {
	fx := s.fixture(t)
	ids := map[delivery.Status]int64{}
	for _, st := range statuses {
		_, c := fx.deliveryIn(t, st)
		ids[st] = c.DeliveryID
	}
	later := fx.orderStock(t, t0.Add(10*time.Minute), false).Deliveries[0].DeliveryID
	mail := fx.insert(t, fx.order(t0, bigCap, fx.toMail(false)))

	if got := fx.claim(t, fx.stockSub, 10, t0.Add(-time.Second)); len(got) != 0 {
		t.Fatalf("claimed %+v before anything was due", got)
	}
	got := fx.claim(t, fx.stockSub, 10, t0)
	if len(got) != 1 || got[0].DeliveryID != ids[delivery.Pending] {
		t.Fatalf("claimed %+v at t0; want only the pending delivery %d", got, ids[delivery.Pending])
	}
	c := got[0]
	if c.Token == 0 || !c.LeaseUntil.Equal(t0.Add(lease)) || c.SubscriptionID != fx.stockSub.ID || c.AppID != fx.stock.ID ||
		c.EventID != fx.placed.ID || c.OccurrenceID == 0 || c.TraceID != c.OccurrenceID || c.Attempts != 0 ||
		!sameJSON(c.Parameters, []byte(orderJSON)) || !c.CreatedAt.Equal(t0) {
		t.Fatalf("claim = %+v; want a token, the lease, ids, trace, parameters and creation time", c)
	}
	if d := fx.delivery(t, c.DeliveryID); d.Status != delivery.Running || d.Attempts != 0 {
		t.Fatalf("claimed delivery is %s with %d attempts, want running with 0", d.Status, d.Attempts)
	}
	if got := fx.claim(t, fx.stockSub, 10, t0.Add(10*time.Minute-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("claimed %+v before the later pending delivery was due", got)
	}
	if got := fx.claim(t, fx.stockSub, 10, t0.Add(10*time.Minute)); len(got) != 1 || got[0].DeliveryID != later {
		t.Fatalf("claimed %+v at the later delivery's creation; want it", got)
	}
	if got := fx.claim(t, fx.stockSub, 10, t0.Add(time.Hour-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("claimed %+v before the retry was due", got)
	}
	got = fx.claim(t, fx.stockSub, 10, t0.Add(time.Hour))
	if len(got) != 1 || got[0].DeliveryID != ids[delivery.Retrying] || got[0].Attempts != 1 {
		t.Fatalf("claimed %+v exactly at the retry time; want the retrying delivery with 1 attempt", got)
	}
	if got := fx.claim(t, fx.stockSub, 10, t0.Add(100*time.Hour)); len(got) != 0 {
		t.Fatalf("claimed %+v; running and finished deliveries are never due", got)
	}
	if got := fx.claim(t, fx.mailSub, 10, t0.Add(100*time.Hour)); len(got) != 1 || got[0].DeliveryID != mail.Deliveries[0].DeliveryID {
		t.Fatalf("Mail claimed %+v; want its own one delivery, untouched by Stock's claims", got)
	}

	t.Run("limit", func(t *testing.T) {
		fx := s.fixture(t)
		for range 10 {
			fx.orderStock(t, t0, false)
		}
		seen := map[int64]bool{}
		for _, want := range []int{3, 3, 4, 0} {
			got := fx.claim(t, fx.stockSub, 3+boolInt(want == 4), t0)
			if len(got) != want {
				t.Fatalf("claimed %d, want %d", len(got), want)
			}
			for _, c := range got {
				if seen[c.DeliveryID] {
					t.Fatalf("delivery %d claimed twice", c.DeliveryID)
				}
				seen[c.DeliveryID] = true
			}
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// claimConcurrent: claimers racing on one subscription never receive the
// same delivery, and together receive all of them; completions racing
// with the claims are each recorded.
func (s *suite) claimConcurrent(t *testing.T) {
	fx := s.fixture(t)
	const total, inserters = 500, 10
	var wg sync.WaitGroup
	for range inserters {
		wg.Go(func() {
			for range total / inserters {
				if _, err := fx.st.OccurrenceInsert(ctx(t), fx.order(t0, bigCap, fx.toStock(false), fx.toMail(false))); err != nil {
					t.Errorf("insert: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	for range 8 {
		wg.Go(func() {
			for {
				got, err := fx.st.DeliveryClaim(ctx(t), &storage.DeliveryClaimParams{SubscriptionID: fx.stockSub.ID, Limit: 7, Now: t0, LeaseUntil: t0.Add(lease)})
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					seen[c.DeliveryID]++
				}
				mu.Unlock()
				for _, c := range got {
					if _, err := fx.st.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{})); err != nil {
						t.Errorf("complete delivery %d: %v", c.DeliveryID, err)
					}
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(seen) != total {
		t.Fatalf("concurrent claimers took %d deliveries, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d claimed %d times", id, n)
		}
	}
	counts, err := fx.st.DeliveryCounts(ctx(t), time.Time{})
	if err != nil || counts[delivery.Succeeded] != total || counts[delivery.Pending] != total || counts[delivery.Running] != 0 {
		t.Fatalf("counts = %v %v; want %d succeeded (Stock) and %d pending (Mail)", counts, err, total, total)
	}
	if d := fx.depth(t, fx.placed.ID); d != total {
		t.Fatalf("queue depth %d, want %d (Mail's deliveries wait)", d, total)
	}
}

// release: DeliveryRelease returns claims to Pending without counting an
// attempt, and leaves alone a delivery no longer under the given token.
func (s *suite) release(t *testing.T) {
	fx := s.fixture(t)
	for range 2 {
		fx.orderStock(t, t0, false)
	}
	_, retried := fx.deliveryIn(t, delivery.Retrying)
	claims := fx.claim(t, fx.stockSub, 10, t0.Add(time.Hour))
	if len(claims) != 3 {
		t.Fatalf("set-up: claimed %d, want 3", len(claims))
	}
	if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Now: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatalf("release of nothing: %v", err)
	}
	at := t0.Add(2 * time.Hour)
	if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Claims: claims, Now: at}); err != nil {
		t.Fatalf("release: %v", err)
	}
	for _, c := range claims {
		d := fx.delivery(t, c.DeliveryID)
		want := 0
		if c.DeliveryID == retried.DeliveryID {
			want = 1
		}
		if d.Status != delivery.Pending || d.Attempts != want || len(d.AttemptList) != want {
			t.Fatalf("released delivery = %+v; want pending with %d attempts", d, want)
		}
	}
	again := fx.claim(t, fx.stockSub, 10, at)
	if len(again) != 3 {
		t.Fatalf("claimed %d released deliveries at the release time, want 3", len(again))
	}
	byID := map[int64]storage.Claim{}
	for _, c := range again {
		byID[c.DeliveryID] = c
	}
	for _, c := range claims {
		if byID[c.DeliveryID].Token == c.Token {
			t.Fatalf("delivery %d claimed again under its released token %d", c.DeliveryID, c.Token)
		}
	}
	// Stale claims (released and claimed again, with a wrong token, of a
	// finished delivery) are ignored; a valid one beside them is released.
	done := again[2]
	fx.complete(t, done, delivery.Succeeded, time.Time{})
	wrong := again[1]
	wrong.Token += 1000
	before := fx.delivery(t, again[0].DeliveryID)
	if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Claims: []storage.Claim{claims[0], claims[1], claims[2], wrong, done}, Now: at}); err != nil {
		t.Fatalf("release of stale claims: %v", err)
	}
	if d := fx.delivery(t, again[0].DeliveryID); !reflect.DeepEqual(d, before) {
		t.Fatalf("a stale token released a newer claim: %+v, was %+v", d, before)
	}
	if d := fx.delivery(t, done.DeliveryID); d.Status != delivery.Succeeded || d.Attempts != 1+boolInt(done.DeliveryID == retried.DeliveryID) {
		t.Fatalf("releasing a finished delivery's claim changed it: %+v", d)
	}
	if d := fx.delivery(t, wrong.DeliveryID); d.Status != delivery.Running {
		t.Fatalf("a wrong token released a claim: %+v", d)
	}
	if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Claims: []storage.Claim{wrong, again[1]}, Now: at}); err != nil {
		t.Fatalf("release: %v", err)
	}
	if d := fx.delivery(t, again[1].DeliveryID); d.Status != delivery.Pending {
		t.Fatalf("a valid claim beside a stale one was not released: %+v", d)
	}
	fx.complete(t, again[0], delivery.Succeeded, time.Time{})
	_, err := fx.st.DeliveryComplete(ctx(t), completion(again[1], delivery.Succeeded, time.Time{}))
	wantKind(t, err, fault.ErrLeaseLost, "completing a released claim")
}

// releaseExpired: every Running delivery whose lease ended before now
// becomes Retrying, due now, with the lost run counted as a failed
// attempt (started at its claim); others stay.
func (s *suite) releaseExpired(t *testing.T) {
	fx := s.fixture(t)
	atInsert := fx.orderBoth(t, true) // both leased until t0+1m
	_, retried := fx.deliveryIn(t, delivery.Retrying)
	early := fx.claimOne(t, fx.stockSub, t0.Add(time.Hour)) // the retry, leased until t0+1h1m
	if early.DeliveryID != retried.DeliveryID {
		t.Fatalf("set-up: claimed %d, want the retry %d", early.DeliveryID, retried.DeliveryID)
	}
	fx.orderStock(t, t0, false)
	late := fx.claimOne(t, fx.stockSub, t0.Add(2*time.Hour)) // leased until t0+2h1m
	for _, st := range []delivery.Status{delivery.Pending, delivery.Succeeded, delivery.Dead, delivery.Discarded} {
		fx.deliveryIn(t, st)
	}
	if n, err := fx.st.DeliveryReleaseExpired(ctx(t), expired(t0.Add(lease-time.Second))); err != nil || n != 0 {
		t.Fatalf("released %d (%v) before any lease ended, want 0", n, err)
	}
	before := fx.state(t)
	now := t0.Add(time.Hour + lease + time.Second)
	n, err := fx.st.DeliveryReleaseExpired(ctx(t), expired(now))
	if err != nil || n != 3 {
		t.Fatalf("released %d (%v), want 3 (two claimed at insert, the retry)", n, err)
	}
	for _, c := range []storage.Claim{atInsert.Deliveries[0], atInsert.Deliveries[1], early} {
		d := fx.delivery(t, c.DeliveryID)
		want := boolInt(c.DeliveryID == retried.DeliveryID) + 1
		if d.Status != delivery.Retrying || d.Attempts != want || len(d.AttemptList) != want || d.LastError != lostError {
			t.Fatalf("expired delivery = %+v; want retrying with %d attempts, the last lost", d, want)
		}
		if a := d.AttemptList[want-1]; a.Number != want || a.Outcome != delivery.OutcomeFailed || a.Error != lostError || !a.FinishedAt.Equal(now) || a.StartedAt.After(now) {
			t.Fatalf("the lost run's attempt = %+v; want number %d, failed with %q, finished now", a, want, lostError)
		}
		if d.NextAttemptAt.After(now) {
			t.Fatalf("expired delivery due at %s, want now (%s) at the latest", d.NextAttemptAt, now)
		}
		_, err := fx.st.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{}))
		wantKind(t, err, fault.ErrLeaseLost, "completing a claim whose lease expired")
	}
	if d := fx.delivery(t, late.DeliveryID); d.Status != delivery.Running {
		t.Fatalf("a delivery still leased is %s, want running", d.Status)
	}
	// Nothing else moved.
	after := fx.state(t)
	for i, o := range before.Occurrences {
		for j, d := range o.Deliveries {
			if d.Status == delivery.Running {
				continue
			}
			if got := after.Occurrences[i].Deliveries[j]; !reflect.DeepEqual(got, d) {
				t.Fatalf("a %s delivery changed on lease expiry: %+v, was %+v", d.Status, got, d)
			}
		}
	}
	if n, err := fx.st.DeliveryReleaseExpired(ctx(t), expired(now)); err != nil || n != 0 {
		t.Fatalf("a second release at the same time released %d (%v), want 0", n, err)
	}
	if got := fx.claim(t, fx.stockSub, 10, now); len(got) != 3 {
		t.Fatalf("claimed %d Stock deliveries at the expiry time, want 3 (two expired, one pending)", len(got))
	}
	if got := fx.claim(t, fx.mailSub, 10, now); len(got) != 1 {
		t.Fatalf("claimed %d expired Mail deliveries at the expiry time, want 1", len(got))
	}
	fx.complete(t, late, delivery.Succeeded, time.Time{})
}

// releaseExpiredEndsDead: a delivery whose runs keep being lost (its
// handler crashes the process) is dead once the lost runs reach
// MaxAttempts, and its occurrence is settled dead; it is not claimed
// again.
func (s *suite) releaseExpiredEndsDead(t *testing.T) {
	fx := s.fixture(t)
	r := fx.orderStock(t, t0, true)
	c := r.Deliveries[0]
	now := t0
	for i := 1; i <= 3; i++ {
		now = c.LeaseUntil.Add(time.Second)
		n, err := fx.st.DeliveryReleaseExpired(ctx(t), &storage.DeliveryReleaseExpiredParams{Now: now, MaxAttempts: 3, Error: lostError})
		if err != nil || n != 1 {
			t.Fatalf("reclaim %d: %d %v", i, n, err)
		}
		d := fx.delivery(t, c.DeliveryID)
		if d.Attempts != i {
			t.Fatalf("after lost run %d the delivery has %d attempts", i, d.Attempts)
		}
		if i < 3 {
			if d.Status != delivery.Retrying {
				t.Fatalf("after lost run %d the delivery is %s, want retrying", i, d.Status)
			}
			c = fx.claimOne(t, fx.stockSub, now)
			continue
		}
		if d.Status != delivery.Dead || d.LastError != lostError || len(d.AttemptList) != 3 {
			t.Fatalf("after the third lost run = %+v; want dead with 3 attempts", d)
		}
	}
	if o := fx.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrenceDead {
		t.Fatalf("occurrence of a dead delivery is %s, want dead", o.Status)
	}
	if got := fx.claim(t, fx.stockSub, 10, now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a dead delivery was claimed again: %+v", got)
	}
}
