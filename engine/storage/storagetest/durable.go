package storagetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

func (s *suite) needDurable(t *testing.T) {
	t.Helper()
	if !s.f.Durable {
		t.Skip("the backend is not durable across a reopen (Features.Durable)")
	}
}

// crash: a process dies between a claim and its completion. After the
// restart the lease expires, the delivery returns to Pending with its
// attempts unchanged, a new claim gets a new token and the dead
// process's token completes nothing; a delivery that succeeded before
// the crash is never claimable again.
func (s *suite) crash(t *testing.T) {
	s.needDurable(t)
	fx := s.fixture(t)
	r := fx.orderBoth(t, true)
	stock, mail := r.Deliveries[0], r.Deliveries[1]
	fx.complete(t, mail, delivery.Succeeded, time.Time{})
	_, retried := fx.deliveryIn(t, delivery.Retrying)
	held := fx.claimOne(t, fx.stockSub, t0.Add(time.Hour)) // the retry, attempt 2 in flight
	if held.DeliveryID != retried.DeliveryID {
		t.Fatalf("set-up: claimed %d, want the retry %d", held.DeliveryID, retried.DeliveryID)
	}
	fx.reopen(t) // the process dies holding Stock's claim and the retry's

	if got := fx.claim(t, fx.stockSub, 10, t0); len(got) != 0 {
		t.Fatalf("a leased delivery was claimable after a restart, before its lease expired: %+v", got)
	}
	for _, c := range []storage.Claim{stock, held} {
		if d := fx.delivery(t, c.DeliveryID); d.Status != delivery.Running {
			t.Fatalf("a delivery claimed before the restart is %s after it, want running", d.Status)
		}
	}
	after := held.LeaseUntil.Add(time.Second)
	n, err := fx.st.DeliveryReleaseExpired(ctx(t), expired(after))
	if err != nil || n != 2 {
		t.Fatalf("released %d (%v) after the restart, want 2", n, err)
	}
	for _, c := range []storage.Claim{stock, held} {
		d := fx.delivery(t, c.DeliveryID)
		if want := boolInt(c.DeliveryID == retried.DeliveryID) + 1; d.Status != delivery.Retrying || d.Attempts != want {
			t.Fatalf("expired delivery = %+v; want retrying with %d attempts (the lost run counted)", d, want)
		}
	}
	again := fx.claim(t, fx.stockSub, 10, after)
	if len(again) != 2 {
		t.Fatalf("claimed %d after the expiry, want 2", len(again))
	}
	old := map[int64]int64{stock.DeliveryID: stock.Token, held.DeliveryID: held.Token}
	for _, c := range again {
		if c.Token == old[c.DeliveryID] {
			t.Fatalf("delivery %d claimed after the restart under its old token %d", c.DeliveryID, c.Token)
		}
	}
	for _, c := range []storage.Claim{stock, held} {
		_, err := fx.st.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{}))
		wantKind(t, err, fault.ErrLeaseLost, "a completion with the dead process's token")
	}
	if got := fx.claim(t, fx.mailSub, 10, t0.Add(100*time.Hour)); len(got) != 0 {
		t.Fatalf("a delivery that succeeded before the restart was claimed after it: %+v", got)
	}
	for _, c := range again {
		fx.complete(t, c, delivery.Succeeded, time.Time{})
	}
	if o := fx.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrenceCompleted {
		t.Fatalf("occurrence %s after both succeeded, want completed", o.Status)
	}
	if d := fx.depth(t, fx.placed.ID); d != 0 {
		t.Fatalf("queue depth %d after everything finished, want 0", d)
	}
}

// triggeredAcrossRestart: a flow's triggered occurrences exist exactly
// once across a restart: a completion stored them once, a completion
// that never happened stored none, and the old claims trigger nothing
// more after it.
func (s *suite) triggeredAcrossRestart(t *testing.T) {
	s.needDurable(t)
	fx := s.fixture(t)
	done := fx.orderStock(t, t0, true).Deliveries[0]
	lost := fx.orderStock(t, t0, true).Deliveries[0]
	p := completion(done, delivery.Succeeded, time.Time{})
	p.Completion = storage.Succeeded(fx.reservedBy(done, bigCap, false), fx.reservedBy(done, bigCap, true), fx.reservedBy(done, bigCap, false))
	if _, err := fx.st.DeliveryComplete(ctx(t), p); err != nil {
		t.Fatalf("complete with triggers: %v", err)
	}
	fx.reopen(t) // lost's run never completed

	byParent := func() map[int64]int {
		m := map[int64]int{}
		for _, o := range fx.list(t, storage.OccurrenceListParams{EventID: fx.reserved.ID, Limit: 500}) {
			m[o.ParentDeliveryID]++
		}
		return m
	}
	if got := byParent(); !reflect.DeepEqual(got, map[int64]int{done.DeliveryID: 3}) {
		t.Fatalf("triggered occurrences by parent after the restart = %v; want 3 of delivery %d, none of the lost run", got, done.DeliveryID)
	}
	if d := fx.depth(t, fx.reserved.ID); d != 3 {
		t.Fatalf("Reserved's queue depth %d after the restart, want 3", d)
	}
	// The old claims trigger nothing more after the restart: the
	// finished one is finished, the lost one's lease expires.
	retrigger := func(c storage.Claim) error {
		p := completion(c, delivery.Succeeded, time.Time{})
		p.Completion = storage.Succeeded(fx.reservedBy(c, bigCap, false))
		_, err := fx.st.DeliveryComplete(ctx(t), p)
		return err
	}
	wantKind(t, retrigger(done), fault.ErrLeaseLost, "completing a finished delivery again after the restart")
	if n, err := fx.st.DeliveryReleaseExpired(ctx(t), expired(lost.LeaseUntil.Add(time.Second))); err != nil || n != 1 {
		t.Fatalf("released %d (%v) after the restart, want the lost run's 1", n, err)
	}
	wantKind(t, retrigger(lost), fault.ErrLeaseLost, "completing the lost run with its old token")
	// The lost run is redone under a new claim: its triggers, once.
	c := fx.claimOne(t, fx.stockSub, lost.LeaseUntil.Add(time.Second))
	if err := retrigger(c); err != nil {
		t.Fatalf("complete the redone run: %v", err)
	}
	wantKind(t, retrigger(c), fault.ErrLeaseLost, "completing the redone run twice")
	if got := byParent(); !reflect.DeepEqual(got, map[int64]int{done.DeliveryID: 3, lost.DeliveryID: 1}) {
		t.Fatalf("triggered occurrences by parent = %v; want 3 and 1", got)
	}
}

// countersSurviveReopen: the queue counters are the same after a reopen,
// so the cap holds across restarts and finishing still frees room.
func (s *suite) countersSurviveReopen(t *testing.T) {
	s.needDurable(t)
	fx := s.fixture(t)
	const capN = 3
	var rs []*storage.OccurrenceInsertResult
	for i := range capN {
		rs = append(rs, fx.insert(t, fx.order(t0, capN, fx.toStock(i == 0), fx.toMail(false))))
	}
	fx.insert(t, fx.order(t0, bigCap)) // completed at once
	fx.complete(t, rs[0].Deliveries[0], delivery.Retrying, t0.Add(time.Hour))
	before, err := fx.st.QueueDepths(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	fx.reopen(t)
	after, err := fx.st.QueueDepths(ctx(t))
	if err != nil || !reflect.DeepEqual(after, before) || after[fx.placed.ID] != capN {
		t.Fatalf("queue depths after a reopen = %v %v; want %v", after, err, before)
	}
	_, err = fx.st.OccurrenceInsert(ctx(t), fx.order(t0, capN, fx.toStock(false)))
	wantKind(t, err, fault.ErrQueueFull, "an insert past the cap after a reopen")
	if got := fx.list(t, storage.OccurrenceListParams{}); len(got) != capN+1 {
		t.Fatalf("%d occurrences after a refused insert, want %d", len(got), capN+1)
	}
	// Finishing the first occurrence after the reopen frees one place.
	if _, err := fx.st.DeliveryDiscard(ctx(t), rs[0].Deliveries[1].DeliveryID, t0); err != nil {
		t.Fatal(err)
	}
	var others []storage.Claim
	for _, c := range fx.claim(t, fx.stockSub, 10, t0.Add(time.Hour)) {
		if c.DeliveryID == rs[0].Deliveries[0].DeliveryID {
			fx.complete(t, c, delivery.Succeeded, time.Time{})
		} else {
			others = append(others, c)
		}
	}
	if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Claims: others, Now: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if d := fx.depth(t, fx.placed.ID); d != capN-1 {
		t.Fatalf("queue depth %d after one occurrence finished, want %d", d, capN-1)
	}
	fx.insert(t, fx.order(t0, capN, fx.toStock(false)))
	_, err = fx.st.OccurrenceInsert(ctx(t), fx.order(t0, capN, fx.toStock(false)))
	wantKind(t, err, fault.ErrQueueFull, "the second insert after one place freed")
	fx.reopen(t)
	if d := fx.depth(t, fx.placed.ID); d != capN {
		t.Fatalf("queue depth %d after a second reopen, want %d", d, capN)
	}
}

// everythingSurvivesReopen: what was written before Close reads the same
// after a reopen, and new ids after it are new.
func (s *suite) everythingSurvivesReopen(t *testing.T) {
	s.needDurable(t)
	fx := s.fixture(t)
	upd := fx.mail
	upd.Description, upd.Concurrency = "sends mail", 3
	fx.apply(t, t0.Add(time.Minute),
		storage.DesignOp{Kind: storage.AppPut, App: &upd},
		storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Gone"}},
	)
	gone, _ := design.NewIndex(fx.load(t)).App("Gone")
	fx.apply(t, t0.Add(2*time.Minute), storage.DesignOp{Kind: storage.AppDelete, ID: gone.ID})
	key, err := fx.st.KeyInsert(ctx(t), &storage.KeyInsertParams{AppID: fx.shop.ID, Prefix: "elk_1", Hash: fx.key("h1"), CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.SettingPut(ctx(t), fx.id("admin"), "secret-hash"); err != nil {
		t.Fatal(err)
	}
	fx.history(t)
	for _, st := range statuses {
		fx.deliveryIn(t, st)
	}
	before := fx.state(t)
	nextBefore, okBefore, _ := fx.st.DeliveryNextDue(ctx(t), fx.stockSub.ID)

	fx.reopen(t)
	fx.sameState(t, before, "a reopen")
	if next, ok, err := fx.st.DeliveryNextDue(ctx(t), fx.stockSub.ID); err != nil || ok != okBefore || !next.Equal(nextBefore) {
		t.Fatalf("next due after a reopen = %s %v %v; want %s %v", next, ok, err, nextBefore, okBefore)
	}
	if k, err := fx.st.KeyLookup(ctx(t), fx.key("h1")); err != nil || k.ID != key.ID || k.AppID != fx.shop.ID || k.Prefix != "elk_1" || !k.CreatedAt.Equal(t0) {
		t.Fatalf("key after a reopen = %+v %v", k, err)
	}
	if keys, err := fx.st.KeyList(ctx(t), fx.shop.ID); err != nil || len(keys) != 1 {
		t.Fatalf("keys after a reopen = %+v %v", keys, err)
	}
	if v, err := fx.st.SettingGet(ctx(t), fx.id("admin")); err != nil || v != "secret-hash" {
		t.Fatalf("setting after a reopen = %q %v", v, err)
	}
	// New ids are new, and newer than every old one.
	maxOcc, maxDel := int64(0), int64(0)
	for _, o := range before.Occurrences {
		maxOcc = max(maxOcc, o.ID)
		for _, d := range o.Deliveries {
			maxDel = max(maxDel, d.ID)
		}
	}
	r := fx.orderBoth(t, false)
	if r.OccurrenceID <= maxOcc || r.Deliveries[0].DeliveryID <= maxDel || r.Deliveries[1].DeliveryID <= maxDel {
		t.Fatalf("after a reopen a new occurrence got id %d (old up to %d), deliveries %d, %d (old up to %d)",
			r.OccurrenceID, maxOcc, r.Deliveries[0].DeliveryID, r.Deliveries[1].DeliveryID, maxDel)
	}
	if list := fx.list(t, storage.OccurrenceListParams{Limit: 1}); len(list) != 1 || list[0].ID != r.OccurrenceID {
		t.Fatalf("newest occurrence after a reopen = %v, want %d", occIDs(list), r.OccurrenceID)
	}
	d := fx.apply(t, t0.Add(time.Hour), storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Billing"}})
	billing, _ := design.NewIndex(d).App("Billing")
	for _, a := range before.Design.Apps {
		if a.ID == billing.ID {
			t.Fatalf("a new app after a reopen reused id %d", a.ID)
		}
	}
	if billing.ID == gone.ID {
		t.Fatalf("a new app after a reopen reused a deleted app's id %d", gone.ID)
	}
}

// acknowledgedSurviveClose: writes acknowledged by concurrent callers
// are all there after Close and a reopen.
func (s *suite) acknowledgedSurviveClose(t *testing.T) {
	s.needDurable(t)
	fx := s.fixture(t)
	const workers, each = 8, 25
	var mu sync.Mutex
	var inserted []int64
	completed := map[int64]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				r, err := fx.st.OccurrenceInsert(ctx(t), fx.order(t0, bigCap, fx.toStock(true), fx.toMail(false)))
				if err != nil {
					t.Errorf("insert: %v", err)
					return
				}
				_, err = fx.st.DeliveryComplete(ctx(t), completion(r.Deliveries[0], delivery.Succeeded, time.Time{}))
				if err != nil {
					t.Errorf("complete: %v", err)
					return
				}
				mu.Lock()
				inserted = append(inserted, r.OccurrenceID)
				completed[r.Deliveries[0].DeliveryID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	fx.reopen(t)
	if got := fx.list(t, storage.OccurrenceListParams{Limit: 500}); len(got) != workers*each {
		t.Fatalf("%d occurrences after a reopen, want the %d acknowledged", len(got), workers*each)
	}
	for id := range completed {
		if d := fx.delivery(t, id); d.Status != delivery.Succeeded || d.Attempts != 1 {
			t.Fatalf("an acknowledged completion after a reopen: %+v", d)
		}
	}
	if d := fx.depth(t, fx.placed.ID); d != workers*each {
		t.Fatalf("queue depth %d after a reopen, want %d (Mail's deliveries wait)", d, workers*each)
	}
}
