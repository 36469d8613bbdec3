package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

func TestQueueCapBoundary(t *testing.T) {
	const cap = 3
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	var first *storage.OccurrenceInsertResult
	for i := range cap {
		r := f.insert(t, cap, false)
		if i == 0 {
			first = r
		}
	}
	full := func(f *fixture) {
		t.Helper()
		occs := count(t, f.s, "SELECT count(*) FROM occurrences")
		dels := count(t, f.s, "SELECT count(*) FROM deliveries")
		if n := count(t, f.s, "SELECT count(*) FROM occurrences WHERE status = 'pending'"); n != cap {
			t.Fatalf("pending occurrences = %d, want %d", n, cap)
		}
		_, err := f.s.OccurrenceInsert(ctx, f.params(cap, false))
		fe := wantKind(t, err, fault.ErrQueueFull)
		if fe.Code != "queue_full" || !strings.Contains(fe.Message, "3 pending") {
			t.Errorf("refusal = %+v", fe)
		}
		if n := count(t, f.s, "SELECT count(*) FROM occurrences"); n != occs {
			t.Errorf("occurrences = %d after a refusal, want %d", n, occs)
		}
		if n := count(t, f.s, "SELECT count(*) FROM deliveries"); n != dels {
			t.Errorf("deliveries = %d after a refusal, want %d", n, dels)
		}
		if d := depth(t, f.s, f.event); d != cap {
			t.Errorf("depth = %d, want %d", d, cap)
		}
	}
	full(f)

	// The counters are rebuilt from the tables on reopen.
	f.s.Close()
	f = fixtureFrom(t, openStore(t, dir), f.d)
	full(f)

	// Finishing one occurrence (two successes and a dead) makes room for one.
	f.complete(t, claimOne(t, f, first.Deliveries[0]), delivery.Succeeded)
	f.complete(t, claimOne(t, f, first.Deliveries[1]), delivery.Succeeded)
	if o := f.occurrence(t, first.OccurrenceID); o.Status != delivery.OccurrencePending {
		t.Errorf("status = %s with a delivery left, want pending", o.Status)
	}
	res := f.complete(t, claimOne(t, f, first.Deliveries[2]), delivery.Dead)
	if res.OccurrenceStatus != delivery.OccurrenceDead {
		t.Errorf("result status = %s, want dead", res.OccurrenceStatus)
	}
	if d := depth(t, f.s, f.event); d != cap-1 {
		t.Errorf("depth = %d after one finished, want %d", d, cap-1)
	}
	f.insert(t, cap, false)
	full(f)

	// An occurrence without deliveries is completed at once and not
	// counted, but it is refused like any other while the queue is full.
	p := f.params(cap+1, false)
	p.Deliveries = nil
	r, err := f.s.OccurrenceInsert(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if o := f.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrenceCompleted || len(o.Deliveries) != 0 {
		t.Errorf("occurrence without deliveries = %+v", o)
	}
	if d := depth(t, f.s, f.event); d != cap {
		t.Errorf("depth = %d, want %d", d, cap)
	}
}

// claimOne claims due deliveries of c's subscription until it holds c.
func claimOne(t testing.TB, f *fixture, c storage.Claim) storage.Claim {
	t.Helper()
	claims, err := f.s.DeliveryClaim(context.Background(), &storage.DeliveryClaimParams{
		SubscriptionID: c.SubscriptionID, Limit: 500, Now: t0.Add(time.Hour), LeaseUntil: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range claims {
		if x.DeliveryID == c.DeliveryID {
			return x
		}
	}
	t.Fatalf("delivery %d not claimable (got %d claims)", c.DeliveryID, len(claims))
	return storage.Claim{}
}

func TestClaimExclusive(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	const occs = 150
	for range occs {
		f.insert(t, 0, false)
	}
	var mu sync.Mutex
	seen := make(map[int64]int64) // delivery -> token
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 24 {
		wg.Go(func() {
			sub := f.subs[g%len(f.subs)]
			for {
				claims, err := f.s.DeliveryClaim(ctx, &storage.DeliveryClaimParams{
					SubscriptionID: sub, Limit: 7, Now: t0, LeaseUntil: t0.Add(time.Minute)})
				if err != nil {
					errs <- err
					return
				}
				if len(claims) == 0 {
					return
				}
				mu.Lock()
				for _, c := range claims {
					if prev, dup := seen[c.DeliveryID]; dup {
						errs <- fmt.Errorf("delivery %d claimed twice (tokens %d, %d)", c.DeliveryID, prev, c.Token)
					}
					seen[c.DeliveryID] = c.Token
					if c.SubscriptionID != sub || c.Token < 2 || c.TraceID != c.OccurrenceID || string(c.Parameters) != `{"OrderId":"42"}` || !c.CreatedAt.Equal(t0) {
						errs <- fmt.Errorf("claim %+v", c)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != occs*3 {
		t.Errorf("claimed %d deliveries, want %d", len(seen), occs*3)
	}
	if n := count(t, f.s, "SELECT count(*) FROM deliveries WHERE status = 'running'"); n != occs*3 {
		t.Errorf("running = %d, want %d", n, occs*3)
	}
}

func TestClaimDueOnly(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	r := f.insert(t, 0, false)
	sub := r.Deliveries[0].SubscriptionID
	claim := func(now time.Time) []storage.Claim {
		cs, err := f.s.DeliveryClaim(ctx, &storage.DeliveryClaimParams{SubscriptionID: sub, Limit: 10, Now: now, LeaseUntil: now.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	if cs := claim(t0.Add(-time.Second)); len(cs) != 0 {
		t.Fatalf("claimed %d deliveries not yet due", len(cs))
	}
	cs := claim(t0)
	if len(cs) != 1 {
		t.Fatalf("claimed %d, want 1", len(cs))
	}
	f.complete(t, cs[0], delivery.Retrying) // due at t0+2m
	next, ok, err := f.s.DeliveryNextDue(ctx, sub)
	if err != nil || !ok || !next.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("next due = %v %v %v, want %v", next, ok, err, t0.Add(2*time.Minute))
	}
	if cs := claim(t0.Add(time.Minute)); len(cs) != 0 {
		t.Fatalf("claimed a retrying delivery before its time")
	}
	cs = claim(t0.Add(2 * time.Minute))
	if len(cs) != 1 || cs[0].Attempts != 1 {
		t.Fatalf("claims = %+v, want one with 1 attempt", cs)
	}
	f.complete(t, cs[0], delivery.Succeeded)
	if _, ok, _ := f.s.DeliveryNextDue(ctx, sub); ok {
		t.Error("next due reported with no waiting delivery")
	}
	d := f.delivery(t, cs[0].DeliveryID)
	if d.Status != delivery.Succeeded || d.Attempts != 2 || len(d.AttemptList) != 2 ||
		d.AttemptList[0].Outcome != delivery.OutcomeFailed || d.AttemptList[1].Number != 2 || d.LastError != "" {
		t.Errorf("delivery = %+v", d)
	}
}

func TestCompleteNeedsTheClaim(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	r := f.insert(t, 0, true)
	for _, status := range []delivery.Status{delivery.Succeeded, delivery.Retrying, delivery.Dead} {
		c := r.Deliveries[0]
		if c.Token != 1 {
			t.Fatalf("claimed-at-insert token = %d, want 1", c.Token)
		}
		c.Token = 99
		_, err := f.s.DeliveryComplete(ctx, finish(c, status))
		fe := wantKind(t, err, fault.ErrLeaseLost)
		if fe.Code != "lease_lost" {
			t.Errorf("code = %q", fe.Code)
		}
		d := f.delivery(t, c.DeliveryID)
		if d.Status != delivery.Running || d.Attempts != 0 || len(d.AttemptList) != 0 {
			t.Errorf("%s with a wrong token changed the delivery: %+v", status, d)
		}
	}
	// The right token works once; a second completion has lost the lease.
	f.complete(t, r.Deliveries[0], delivery.Succeeded)
	_, err := f.s.DeliveryComplete(ctx, finish(r.Deliveries[0], delivery.Succeeded))
	wantKind(t, err, fault.ErrLeaseLost)
	if d := f.delivery(t, r.Deliveries[0].DeliveryID); d.Attempts != 1 {
		t.Errorf("attempts = %d after a lost second completion", d.Attempts)
	}
}

func TestTriggeredWithTheSuccess(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	root := f.insert(t, 2, true)
	c := root.Deliveries[0]
	trig := func(n, cap int) []storage.OccurrenceInsertParams {
		var out []storage.OccurrenceInsertParams
		for range n {
			p := f.params(cap, false)
			p.TraceID, p.ParentDeliveryID = root.TraceID, c.DeliveryID
			out = append(out, *p)
		}
		return out
	}
	// Root is 1 pending of cap 2: two triggers cannot fit, so nothing changes.
	p := finish(c, delivery.Succeeded)
	p.Completion = storage.Succeeded(trig(2, 2)...)
	_, err := f.s.DeliveryComplete(ctx, p)
	wantKind(t, err, fault.ErrQueueFull)
	if n := count(t, f.s, "SELECT count(*) FROM occurrences"); n != 1 {
		t.Errorf("occurrences = %d after a refused completion", n)
	}
	if d := f.delivery(t, c.DeliveryID); d.Status != delivery.Running || d.Attempts != 0 {
		t.Errorf("refused completion changed the delivery: %+v", d)
	}
	if d := depth(t, f.s, f.event); d != 1 {
		t.Errorf("depth = %d, want 1", d)
	}

	p.Completion = storage.Succeeded(trig(2, 10)...)
	res, err := f.s.DeliveryComplete(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Triggered) != 2 || res.OccurrenceStatus != delivery.OccurrencePending {
		t.Fatalf("result = %+v", res)
	}
	occs, err := f.s.TraceGet(ctx, root.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(occs) != 3 || occs[0].ID != root.OccurrenceID {
		t.Fatalf("trace has %d occurrences", len(occs))
	}
	for _, o := range occs[1:] {
		if o.TraceID != root.TraceID || o.ParentDeliveryID != c.DeliveryID || len(o.Deliveries) != 3 || o.App != "Shop" || o.Event != "OnOrder" {
			t.Errorf("triggered occurrence = %+v", o)
		}
	}
	if len(occs[0].Deliveries) != 3 || len(occs[0].Deliveries[0].AttemptList) != 1 || occs[0].Deliveries[0].App == "" {
		t.Errorf("root in trace = %+v", occs[0])
	}
	if d := depth(t, f.s, f.event); d != 3 {
		t.Errorf("depth = %d, want 3", d)
	}
	_, err = f.s.TraceGet(ctx, 12345)
	wantKind(t, err, fault.ErrNotFound)
}

// TestGroupCommitIsolation queues many ops behind a blocked writer so they
// run as one batch, and checks each op's refusal stays its own.
func TestGroupCommitIsolation(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	claimed := f.insert(t, 0, true)
	capped := f.insert(t, 0, false) // one pending; cap 1 refuses the next
	_ = capped

	release := holdWriter(t, f.s)

	type outcome struct {
		name string
		err  error
	}
	results := make(chan outcome, 16)
	run := func(name string, fn func() error) {
		go func() { results <- outcome{name, fn()} }()
	}
	var want int
	for i := range 5 {
		want++
		run(fmt.Sprintf("insert %d", i), func() error { _, err := f.s.OccurrenceInsert(ctx, f.params(100, false)); return err })
	}
	want++
	run("insert over cap", func() error { _, err := f.s.OccurrenceInsert(ctx, f.params(2, false)); return err })
	want++
	run("complete 0", func() error {
		_, err := f.s.DeliveryComplete(ctx, finish(claimed.Deliveries[0], delivery.Succeeded))
		return err
	})
	want++
	run("complete 1 retrying", func() error {
		_, err := f.s.DeliveryComplete(ctx, finish(claimed.Deliveries[1], delivery.Retrying))
		return err
	})
	bad := claimed.Deliveries[2]
	bad.Token = 7
	want++
	run("complete wrong token", func() error { _, err := f.s.DeliveryComplete(ctx, finish(bad, delivery.Succeeded)); return err })
	want++
	run("retry now unknown", func() error { _, err := f.s.DeliveryRetryNow(ctx, 999999, t0); return err })
	want++
	run("design conflict", func() error {
		_, err := f.s.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: "Shop"}}}})
		return err
	})
	want++
	run("setting", func() error { return f.s.SettingPut(ctx, "k", "v") })

	release(want)
	got := make(map[string]error)
	for range want {
		o := <-results
		got[o.name] = o.err
	}
	for name, err := range got {
		var kind error
		switch name {
		case "insert over cap":
			kind = fault.ErrQueueFull
		case "complete wrong token":
			kind = fault.ErrLeaseLost
		case "retry now unknown":
			kind = fault.ErrNotFound
		case "design conflict":
			kind = fault.ErrConflict
		}
		if kind == nil {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		wantKind(t, err, kind)
	}
	if n := count(t, f.s, "SELECT count(*) FROM occurrences"); n != 2+5 {
		t.Errorf("occurrences = %d, want 7", n)
	}
	if d := f.delivery(t, claimed.Deliveries[1].DeliveryID); d.Status != delivery.Retrying {
		t.Errorf("retrying delivery = %s", d.Status)
	}
	if v, err := f.s.SettingGet(ctx, "k"); v != "v" || err != nil {
		t.Errorf("setting = %q %v", v, err)
	}
	if d := depth(t, f.s, f.event); d != 7 {
		t.Errorf("depth = %d, want 7", d)
	}
}

func TestRelease(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	r := f.insert(t, 0, true) // leased until t0+1m
	n, err := f.s.DeliveryReleaseExpired(ctx, expired(t0.Add(30*time.Second)))
	if err != nil || n != 0 {
		t.Fatalf("release expired before the lease ended = %d %v", n, err)
	}
	now := t0.Add(2 * time.Minute)
	n, err = f.s.DeliveryReleaseExpired(ctx, expired(now))
	if err != nil || n != 3 {
		t.Fatalf("release expired = %d %v, want 3", n, err)
	}
	d := f.delivery(t, r.Deliveries[0].DeliveryID)
	if d.Status != delivery.Retrying || d.Attempts != 1 || !d.NextAttemptAt.Equal(now) {
		t.Errorf("released delivery = %+v", d)
	}
	_, err = f.s.DeliveryComplete(ctx, finish(r.Deliveries[0], delivery.Succeeded))
	wantKind(t, err, fault.ErrLeaseLost)

	// DeliveryRelease hands back only claims still held.
	c := claimOne(t, f, r.Deliveries[0])
	stale := c
	stale.Token = 1
	if err := f.s.DeliveryRelease(ctx, &storage.DeliveryReleaseParams{Claims: []storage.Claim{stale}, Now: now}); err != nil {
		t.Fatal(err)
	}
	if d := f.delivery(t, c.DeliveryID); d.Status != delivery.Running {
		t.Errorf("a stale release changed the delivery: %s", d.Status)
	}
	if err := f.s.DeliveryRelease(ctx, &storage.DeliveryReleaseParams{Claims: []storage.Claim{c}, Now: now}); err != nil {
		t.Fatal(err)
	}
	if d := f.delivery(t, c.DeliveryID); d.Status != delivery.Pending || d.Attempts != 1 {
		t.Errorf("released delivery = %+v", d)
	}
	if d := depth(t, f.s, f.event); d != 1 {
		t.Errorf("depth = %d, want 1", d)
	}
}

func TestReplayDiscardRetryNowRules(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	r := f.insert(t, 0, true)
	c0, c1, c2 := r.Deliveries[0], r.Deliveries[1], r.Deliveries[2]
	f.complete(t, c0, delivery.Succeeded)
	f.complete(t, c1, delivery.Retrying)
	res := f.complete(t, c2, delivery.Dead)
	if res.OccurrenceStatus != delivery.OccurrencePending {
		t.Fatalf("occurrence %s with a retrying delivery, want pending", res.OccurrenceStatus)
	}
	now := t0.Add(time.Minute)

	// Retry now: pending or retrying only.
	d, err := f.s.DeliveryRetryNow(ctx, c1.DeliveryID, now)
	if err != nil || d.Status != delivery.Retrying || !d.NextAttemptAt.Equal(now) {
		t.Errorf("retry now = %+v %v", d, err)
	}
	for _, id := range []int64{c0.DeliveryID, c2.DeliveryID} {
		_, err := f.s.DeliveryRetryNow(ctx, id, now)
		wantKind(t, err, fault.ErrConflict)
	}
	_, err = f.s.DeliveryReplay(ctx, c1.DeliveryID, now)
	wantKind(t, err, fault.ErrConflict)
	_, err = f.s.DeliveryReplay(ctx, c0.DeliveryID, now)
	wantKind(t, err, fault.ErrConflict)

	// Discarding the retrying one finishes the occurrence: dead (c2 is dead).
	d, err = f.s.DeliveryDiscard(ctx, c1.DeliveryID, now)
	if err != nil || d.Status != delivery.Discarded {
		t.Fatalf("discard = %+v %v", d, err)
	}
	if o := f.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrenceDead {
		t.Errorf("occurrence = %s, want dead", o.Status)
	}
	if dd := depth(t, f.s, f.event); dd != 0 {
		t.Errorf("depth = %d, want 0", dd)
	}
	for _, id := range []int64{c0.DeliveryID, c1.DeliveryID} {
		_, err := f.s.DeliveryDiscard(ctx, id, now)
		wantKind(t, err, fault.ErrConflict)
	}

	// Replaying the dead one makes it and its occurrence pending again.
	d, err = f.s.DeliveryReplay(ctx, c2.DeliveryID, now)
	if err != nil || d.Status != delivery.Pending || d.Attempts != 1 || !d.NextAttemptAt.Equal(now) {
		t.Fatalf("replay = %+v %v", d, err)
	}
	if o := f.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrencePending {
		t.Errorf("occurrence = %s after replay, want pending", o.Status)
	}
	if dd := depth(t, f.s, f.event); dd != 1 {
		t.Errorf("depth = %d after replay, want 1", dd)
	}
	// Replay of the discarded one too: still one pending occurrence.
	if _, err := f.s.DeliveryReplay(ctx, c1.DeliveryID, now); err != nil {
		t.Fatal(err)
	}
	if dd := depth(t, f.s, f.event); dd != 1 {
		t.Errorf("depth = %d, want 1", dd)
	}
	// Both succeed: completed (the dead one was replayed).
	for _, id := range []int64{c1.DeliveryID, c2.DeliveryID} {
		f.complete(t, claimOne(t, f, storage.Claim{DeliveryID: id, SubscriptionID: f.delivery(t, id).SubscriptionID}), delivery.Succeeded)
	}
	if o := f.occurrence(t, r.OccurrenceID); o.Status != delivery.OccurrenceCompleted {
		t.Errorf("occurrence = %s, want completed", o.Status)
	}
	if dd := depth(t, f.s, f.event); dd != 0 {
		t.Errorf("depth = %d, want 0", dd)
	}
	for _, call := range []func() error{
		func() error { _, err := f.s.DeliveryReplay(ctx, 424242, now); return err },
		func() error { _, err := f.s.DeliveryDiscard(ctx, 424242, now); return err },
		func() error { _, err := f.s.DeliveryGet(ctx, 424242); return err },
		func() error { _, err := f.s.OccurrenceGet(ctx, 424242); return err },
	} {
		fe := wantKind(t, call(), fault.ErrNotFound)
		if fe.Code != "not_found" || !strings.Contains(fe.Message, "424242") {
			t.Errorf("not found = %+v", fe)
		}
	}
}
