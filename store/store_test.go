package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

func TestPragmasReadBack(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		sync string
		want int
	}{{"", 2}, {"FULL", 2}, {"normal", 1}, {"OFF", 0}} {
		t.Run(tc.sync, func(t *testing.T) {
			s, err := Open(ctx, Config{Dir: t.TempDir(), Synchronous: tc.sync, Readers: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			check := func(name string, q querier) {
				var mode string
				var level int
				if err := q.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
					t.Fatal(err)
				}
				if err := q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
					t.Fatal(err)
				}
				if mode != "wal" || level != tc.want {
					t.Errorf("%s: journal_mode %q synchronous %d, want wal %d", name, mode, level, tc.want)
				}
			}
			check("writer", s.w.conn)
			for i := range 2 {
				c, err := s.rdb.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				check(fmt.Sprintf("reader %d", i), c)
				c.Close()
			}
			// The reader pool is read-only.
			if _, err := s.rdb.ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ('x', 'y')"); err == nil {
				t.Error("a reader connection accepted a write")
			}
			// A setting that did not take effect fails the check.
			c, err := s.rdb.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := checkPragmas(ctx, c, tc.want+1); err == nil || !strings.Contains(err.Error(), "synchronous") {
				t.Errorf("checkPragmas with a wrong level = %v, want a synchronous error", err)
			}
		})
	}
	if _, err := Open(ctx, Config{Dir: t.TempDir(), Synchronous: "EXTRA"}); err == nil {
		t.Error("Open accepted Synchronous EXTRA")
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	r := f.insert(t, 10, false)
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := Open(ctx, Config{Dir: dir})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if v := count(t, s, "PRAGMA user_version"); v != len(migrations) {
			t.Errorf("user_version = %d, want %d", v, len(migrations))
		}
		if _, err := s.OccurrenceGet(ctx, r.OccurrenceID); err != nil {
			t.Errorf("occurrence lost on reopen: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A database from a newer program is refused, not downgraded.
	s := openStore(t, dir)
	if _, err := s.w.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema = %v, want a refusal", err)
	}
}

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

func TestDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	a := f.insert(t, 0, true)
	b := f.insert(t, 0, false)
	for _, c := range a.Deliveries {
		f.complete(t, c, delivery.Succeeded)
	}
	claimed := claimOne(t, f, b.Deliveries[0])
	if err := f.s.SettingPut(ctx, "admin", "hash"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.s.OccurrenceInsert(ctx, f.params(0, false)); !errors.Is(err, errClosed) {
		t.Errorf("insert after Close = %v, want errClosed", err)
	}

	s := openStore(t, dir)
	d, err := s.DesignLoad(ctx)
	if err != nil || len(d.Apps) != 3 || len(d.Events) != 1 || len(d.Subscriptions) != 3 {
		t.Fatalf("design after reopen = %+v %v", d, err)
	}
	f = fixtureFrom(t, s, d)
	if o := f.occurrence(t, a.OccurrenceID); o.Status != delivery.OccurrenceCompleted {
		t.Errorf("completed occurrence reads %s", o.Status)
	}
	if o := f.occurrence(t, b.OccurrenceID); o.Status != delivery.OccurrencePending {
		t.Errorf("pending occurrence reads %s", o.Status)
	}
	if v, _ := s.SettingGet(ctx, "admin"); v != "hash" {
		t.Errorf("setting = %q", v)
	}
	if dd := depth(t, s, f.event); dd != 1 {
		t.Errorf("depth = %d, want 1", dd)
	}
	// Ids and tokens continue past what is stored.
	c := f.insert(t, 0, false)
	if c.OccurrenceID <= b.OccurrenceID || c.Deliveries[0].DeliveryID <= b.Deliveries[2].DeliveryID {
		t.Errorf("ids restarted: %+v", c)
	}
	again := claimOne(t, f, c.Deliveries[0])
	if again.Token <= claimed.Token {
		t.Errorf("token %d after reopen, not above %d", again.Token, claimed.Token)
	}
	// The claim made before the restart still completes.
	f.complete(t, claimed, delivery.Succeeded)
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

func TestDesignApply(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	apply := func(ops ...storage.DesignOp) (design.Design, error) {
		return f.s.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: ops})
	}
	d := f.d
	if len(d.Apps) != 3 || d.Apps[0].Name != "Billing" || d.Apps[2].Name != "Shop" || d.Apps[0].ID == 0 {
		t.Fatalf("apps = %+v", d.Apps)
	}
	if len(d.Subscriptions) != 3 || d.Subscriptions[0].App != "Billing" || d.Subscriptions[0].Event.String() != "Shop.OnOrder" ||
		d.Subscriptions[0].Handler.Name != "bill" || !d.Subscriptions[0].Enabled {
		t.Fatalf("subscriptions = %+v", d.Subscriptions)
	}
	if e := d.Events[0]; e.App != "Shop" || len(e.Parameters) != 1 || e.Parameters[0].Type != design.Identifier || !e.CreatedAt.Equal(t0) {
		t.Fatalf("event = %+v", e)
	}

	// Uniqueness, all or nothing.
	_, err := apply(storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Extra"}},
		storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Mail"}})
	fe := wantKind(t, err, fault.ErrConflict)
	if fe.Code != "exists" || !strings.Contains(fe.Message, `"Mail"`) {
		t.Errorf("conflict = %+v", fe)
	}
	_, err = apply(storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OnOrder"}})
	wantKind(t, err, fault.ErrConflict)
	_, err = apply(storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "OnOrder"}}})
	wantKind(t, err, fault.ErrConflict)
	// Unknown names and ids.
	_, err = apply(storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Nope", Name: "X"}})
	wantKind(t, err, fault.ErrNotFound)
	_, err = apply(storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "Nope"}}})
	wantKind(t, err, fault.ErrNotFound)
	_, err = apply(storage.DesignOp{Kind: storage.AppDelete, ID: 999})
	wantKind(t, err, fault.ErrNotFound)
	// Deleting a part still used by others.
	_, err = apply(storage.DesignOp{Kind: storage.EventDelete, ID: f.event})
	if fe := wantKind(t, err, fault.ErrConflict); fe.Code != "in_use" || len(fe.Refs) != 3 {
		t.Errorf("in use = %+v", fe)
	}
	if d2, _ := f.s.DesignLoad(ctx); len(d2.Apps) != 3 {
		t.Errorf("a refused apply left %d apps", len(d2.Apps))
	}

	// Names refer to parts created earlier in the same apply.
	d, err = apply(
		storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Warehouse", Color: "#123456", Concurrency: 5}},
		storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Warehouse", Name: "OnShipped"}},
		storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Warehouse", Event: "OnShipped"}, Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "hi"}}}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	x := design.NewIndex(d)
	wh, ok := x.App("Warehouse")
	if !ok || wh.Color != "#123456" || wh.Concurrency != 5 {
		t.Fatalf("warehouse = %+v", wh)
	}
	sub, ok := x.SubscriptionFor("Mail", design.EventRef{App: "Warehouse", Event: "OnShipped"})
	if !ok || len(sub.Handler.Steps) != 1 || sub.Enabled {
		t.Fatalf("subscription = %+v", sub)
	}

	// Deleting a subscription discards its unfinished deliveries; history
	// keeps the names of deleted parts; a deleted name can be reused.
	r := f.insert(t, 0, false)
	mailSub, _ := x.SubscriptionFor("Mail", design.EventRef{App: "Shop", Event: "OnOrder"})
	ev, _ := x.Event(design.EventRef{App: "Warehouse", Event: "OnShipped"})
	_, err = apply(
		storage.DesignOp{Kind: storage.SubscriptionDelete, ID: mailSub.ID},
		storage.DesignOp{Kind: storage.SubscriptionDelete, ID: sub.ID},
		storage.DesignOp{Kind: storage.EventDelete, ID: ev.ID},
		storage.DesignOp{Kind: storage.AppDelete, ID: wh.ID},
	)
	if err != nil {
		t.Fatal(err)
	}
	o := f.occurrence(t, r.OccurrenceID)
	var discarded int
	for _, dl := range o.Deliveries {
		if dl.Status == delivery.Discarded {
			discarded++
			if dl.App != "Mail" {
				t.Errorf("discarded delivery app = %q", dl.App)
			}
		}
	}
	if discarded != 1 || o.Status != delivery.OccurrencePending {
		t.Errorf("after subscription delete: %d discarded, status %s", discarded, o.Status)
	}
	d, err = apply(storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Warehouse"}})
	if err != nil {
		t.Fatalf("reusing a deleted name: %v", err)
	}
	if len(d.Apps) != 4 {
		t.Errorf("apps = %d, want 4", len(d.Apps))
	}
	// Renaming an app shows in history under the new name.
	shop, _ := design.NewIndex(d).App("Shop")
	renamed := *shop
	renamed.Name = "Store"
	if _, err := apply(storage.DesignOp{Kind: storage.AppPut, App: &renamed}); err != nil {
		t.Fatal(err)
	}
	if o := f.occurrence(t, r.OccurrenceID); o.App != "Store" || o.Event != "OnOrder" {
		t.Errorf("occurrence names = %s.%s", o.App, o.Event)
	}
}

func TestKeysAndSettings(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	_, err := f.s.SettingGet(ctx, "admin")
	wantKind(t, err, fault.ErrNotFound)
	for _, v := range []string{"a", "b"} {
		if err := f.s.SettingPut(ctx, "admin", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := f.s.SettingGet(ctx, "admin"); v != "b" || err != nil {
		t.Errorf("setting = %q %v", v, err)
	}
	k1, err := f.s.KeyInsert(ctx, &storage.KeyInsertParams{AppID: f.shop, Prefix: "el_1", Hash: []byte("h1"), CreatedAt: t0})
	if err != nil || k1.App != "Shop" || k1.ID == 0 {
		t.Fatalf("key insert = %+v %v", k1, err)
	}
	if _, err := f.s.KeyInsert(ctx, &storage.KeyInsertParams{AppID: f.shop, Prefix: "el_2", Hash: []byte("h2"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.KeyInsert(ctx, &storage.KeyInsertParams{AppID: 999, Prefix: "x", Hash: []byte("h3")})
	wantKind(t, err, fault.ErrNotFound)
	keys, err := f.s.KeyList(ctx, f.shop)
	if err != nil || len(keys) != 2 || keys[0].Prefix != "el_2" || keys[0].Hash != nil {
		t.Fatalf("key list = %+v %v", keys, err)
	}
	k, err := f.s.KeyLookup(ctx, []byte("h1"))
	if err != nil || k.ID != k1.ID || k.App != "Shop" || !k.CreatedAt.Equal(t0) {
		t.Errorf("key lookup = %+v %v", k, err)
	}
	if err := f.s.KeyDelete(ctx, f.shop, k1.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, f.s.KeyDelete(ctx, f.shop, k1.ID), fault.ErrNotFound)
	_, err = f.s.KeyLookup(ctx, []byte("h1"))
	wantKind(t, err, fault.ErrNotFound)
}

func TestListsAndCounts(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	var ids []int64
	for i := range 7 {
		p := f.params(0, i%2 == 0)
		p.CreatedAt = t0.Add(time.Duration(i) * time.Second)
		p.Parameters = json.RawMessage(fmt.Sprintf(`{"OrderId":"%d"}`, i))
		r, err := f.s.OccurrenceInsert(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.OccurrenceID)
		if i == 0 {
			for _, c := range r.Deliveries {
				f.complete(t, c, delivery.Succeeded)
			}
		}
	}
	list := func(p storage.OccurrenceListParams) []int64 {
		os, err := f.s.OccurrenceList(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	if got := list(storage.OccurrenceListParams{Limit: 3}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[6], ids[5], ids[4]}) {
		t.Errorf("first page = %v", got)
	}
	if got := list(storage.OccurrenceListParams{Limit: 3, BeforeID: ids[4]}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[3], ids[2], ids[1]}) {
		t.Errorf("second page = %v", got)
	}
	if got := list(storage.OccurrenceListParams{Status: delivery.OccurrenceCompleted}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[0]}) {
		t.Errorf("completed = %v", got)
	}
	if got := list(storage.OccurrenceListParams{Since: t0.Add(2 * time.Second), Until: t0.Add(4 * time.Second), EventID: f.event, AppID: f.shop}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[3], ids[2]}) {
		t.Errorf("time window = %v", got)
	}
	if got := list(storage.OccurrenceListParams{TraceID: ids[1]}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[1]}) {
		t.Errorf("trace = %v", got)
	}
	if got := list(storage.OccurrenceListParams{AppID: 999}); len(got) != 0 {
		t.Errorf("other app = %v", got)
	}

	ds, err := f.s.DeliveryList(ctx, &storage.DeliveryListParams{Status: delivery.Running})
	if err != nil || len(ds) != 9 { // occurrences 2, 4, 6 claimed at insert
		t.Fatalf("running deliveries = %d %v", len(ds), err)
	}
	ds, err = f.s.DeliveryList(ctx, &storage.DeliveryListParams{OccurrenceID: ids[0], AppID: f.subApp[0], EventID: f.event})
	if err != nil || len(ds) != 1 || ds[0].Status != delivery.Succeeded || ds[0].App == "" {
		t.Fatalf("deliveries = %+v %v", ds, err)
	}
	ds, err = f.s.DeliveryList(ctx, &storage.DeliveryListParams{Limit: 4, BeforeID: 10})
	if err != nil || len(ds) != 4 || ds[0].ID != 9 || ds[3].ID != 6 {
		t.Fatalf("delivery page = %+v %v", ds, err)
	}
	counts, err := f.s.DeliveryCounts(ctx, time.Time{})
	if err != nil || counts[delivery.Succeeded] != 3 || counts[delivery.Running] != 9 || counts[delivery.Pending] != 9 {
		t.Errorf("counts = %v %v", counts, err)
	}
	counts, err = f.s.DeliveryCounts(ctx, t0.Add(time.Hour))
	if err != nil || counts[delivery.Succeeded] != 0 || counts[delivery.Pending] != 0 {
		t.Errorf("counts since later = %v %v", counts, err) // successes were updated at t0+1s
	}
	o := f.occurrence(t, ids[3])
	if string(o.Parameters) != `{"OrderId":"3"}` || !o.CreatedAt.Equal(t0.Add(3*time.Second)) || o.CreatedAt.Location() != time.UTC {
		t.Errorf("occurrence = %+v", o)
	}
}

// holdWriter blocks the writer inside an op until the returned function is
// called with how many ops must be queued first; the ops queued meanwhile
// then run as one batch.
func holdWriter(t *testing.T, s *Store) func(queued int) {
	t.Helper()
	release := make(chan struct{})
	entered := make(chan struct{})
	go s.do(context.Background(), func(w *writer) (any, error) {
		close(entered)
		<-release
		return nil, nil
	})
	<-entered
	return func(queued int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(s.ops) < queued {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d ops queued", len(s.ops), queued)
			}
			runtime.Gosched()
		}
		close(release)
	}
}

// TestCoalescedInsertFallsBackOneByOne makes the batch's multi-row INSERT
// fail (a row already holds an id the writer assigns): the ops are retried
// one by one under fresh ids, so all succeed and the counters of the
// failed attempt are undone.
func TestCoalescedInsertFallsBackOneByOne(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	// Plant an occurrence with the id the second insert will get.
	if _, err := f.s.do(ctx, func(w *writer) (any, error) {
		return w.exec(`INSERT INTO occurrences (id, event_id, app_id, trace_id, parameters, status, created_at)
			VALUES (?, ?, ?, ?, '{}', 'completed', 1)`, w.nextOcc+1, f.event, f.shop, w.nextOcc+1)
	}); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, f.s)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { _, errs[i] = f.s.OccurrenceInsert(ctx, f.params(0, false)) })
	}
	release(3)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("insert: %v", err)
		}
	}
	if n := count(t, f.s, "SELECT count(*) FROM occurrences WHERE status = 'pending'"); n != 3 {
		t.Errorf("pending occurrences = %d, want 3", n)
	}
	if d := depth(t, f.s, f.event); d != 3 {
		t.Errorf("depth = %d, want 3 (the failed attempt's counters undone)", d)
	}
}

// TestOpenRefusesADirectoryInUse: a second store on the same directory is
// refused at once with the holder's pid, and the directory opens again as
// soon as the first store is closed.
func TestOpenRefusesADirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	first, err := Open(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), Config{Dir: dir})
	var inUse *DirInUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() || !strings.Contains(err.Error(), "--data") {
		t.Fatalf("second open = %v; want a DirInUseError naming this pid and --data", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatalf("open after the first store closed: %v", err)
	}
	again.Close()
}
