package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
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
