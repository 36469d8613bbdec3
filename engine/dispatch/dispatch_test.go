package dispatch_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/dispatch"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store/mem"
)

// waitBound bounds a wait for asynchronous work; it is a limit on a stuck
// test, never a timing assertion.
const waitBound = 20 * time.Second

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	appID   = 7
	subID   = 70
	eventID = 700
)

// runs records the claims a dispatcher runs; each run blocks until
// released (or the dispatcher's run context ends), so a test sees how
// many run at once.
type runs struct {
	ctx      context.Context
	mu       sync.Mutex
	started  []storage.Claim
	running  int
	most     int
	changed  chan struct{}
	released chan struct{}
}

func newRuns() *runs { return &runs{changed: make(chan struct{}), released: make(chan struct{})} }

func (r *runs) run(p *dispatch.Pool, c storage.Claim) {
	p.Enter()
	defer p.Leave()
	r.mu.Lock()
	r.started = append(r.started, c)
	r.running++
	r.most = max(r.most, r.running)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	select {
	case <-r.released:
	case <-r.ctx.Done():
	}
	r.mu.Lock()
	r.running--
	r.mu.Unlock()
}

// waitStarted waits until n runs have started.
func (r *runs) waitStarted(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(waitBound)
	for {
		r.mu.Lock()
		got, ch := len(r.started), r.changed
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d runs started within %s, want %d", got, waitBound, n)
		}
	}
}

// fixture is a dispatcher over an in-memory store with one app (of
// concurrency limit) and one subscription.
type fixture struct {
	st  *mem.Store
	clk *clock.Fake
	d   *dispatch.Dispatcher
	r   *runs
}

func newFixture(t *testing.T, limit int) *fixture {
	t.Helper()
	fx := &fixture{st: mem.New(), clk: clock.NewFake(t0), r: newRuns()}
	fx.d = dispatch.New(dispatch.Config{Store: fx.st, Clock: fx.clk, LeaseDuration: time.Hour, SweepInterval: time.Hour, Run: fx.r.run})
	fx.r.ctx = fx.d.Context()
	fx.d.SetDesign(dispatch.Design{Subs: map[int64]dispatch.Sub{subID: {ID: subID, AppID: appID}}, Concurrency: map[int64]int{appID: limit}})
	t.Cleanup(func() {
		close(fx.r.released)
		if err := fx.d.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return fx
}

// insert stores n occurrences with a pending delivery each, due at at.
func (fx *fixture) insert(t *testing.T, n int, at time.Time) {
	t.Helper()
	for range n {
		if _, err := fx.st.OccurrenceInsert(context.Background(), &storage.OccurrenceInsertParams{EventID: eventID, AppID: appID,
			Parameters: json.RawMessage(`{}`), CreatedAt: at, QueueCap: 1000,
			Deliveries: []storage.NewDelivery{{SubscriptionID: subID, AppID: appID}}}); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
}

// TestPoolRunsAtMostTheAppsLimit: of a backlog of five, the poll loop
// claims twice the app's limit into memory and runs only the limit at
// once; Loads shows the running and the queued.
func TestPoolRunsAtMostTheAppsLimit(t *testing.T) {
	fx := newFixture(t, 2)
	fx.insert(t, 5, t0)
	if err := fx.d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fx.r.waitStarted(t, 2)
	// One claim of four (twice the limit) was queued before any worker
	// started, and the two started took theirs.
	l := fx.d.Loads()[appID]
	if l.Running != 2 || l.Limit != 2 || l.HighWater != 2 {
		t.Fatalf("load = %+v; want 2 running of a limit of 2, 2 queued", l)
	}
	for _, c := range fx.r.started {
		if fx.d.Queued(appID, c.DeliveryID) {
			t.Fatalf("delivery %d runs and is reported queued", c.DeliveryID)
		}
	}
	fx.r.mu.Lock()
	most := fx.r.most
	fx.r.mu.Unlock()
	if most != 2 {
		t.Fatalf("%d ran at once, want 2", most)
	}
}

// TestRetryRunsWhenItsTimeComes: a delivery due later runs only once the
// fake clock reaches its time, from the timer the poll loop armed.
func TestRetryRunsWhenItsTimeComes(t *testing.T) {
	fx := newFixture(t, 2)
	due := t0.Add(2 * time.Minute)
	fx.insert(t, 1, due)
	if err := fx.d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitTimer(t, fx.clk, due)
	fx.r.mu.Lock()
	early := len(fx.r.started)
	fx.r.mu.Unlock()
	if early != 0 {
		t.Fatalf("%d ran before their time", early)
	}
	fx.clk.Set(due)
	fx.r.waitStarted(t, 1)
}

// TestCloseReleasesQueuedClaims: claims waiting in memory are handed back
// to storage, pending and uncounted, when the dispatcher closes; a run
// that outlives Close's context is cancelled through the run context.
func TestCloseReleasesQueuedClaims(t *testing.T) {
	st, clk, r := mem.New(), clock.NewFake(t0), newRuns()
	d := dispatch.New(dispatch.Config{Store: st, Clock: clk, LeaseDuration: time.Hour, Run: r.run})
	r.ctx = d.Context()
	d.SetDesign(dispatch.Design{Subs: map[int64]dispatch.Sub{subID: {ID: subID, AppID: appID}}, Concurrency: map[int64]int{appID: 1}})
	fx := &fixture{st: st, clk: clk, d: d, r: r}
	fx.insert(t, 2, t0)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.waitStarted(t, 1)
	if q := d.Loads()[appID].Queued; q != 1 {
		t.Fatalf("%d queued, want 1 (limit 1, two claimed)", q)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no wait: the running one is cancelled
	if err := d.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if d.Context().Err() == nil {
		t.Fatal("the run context outlives Close")
	}
	byStatus := map[delivery.Status]int{}
	ds, err := st.DeliveryList(context.Background(), &storage.DeliveryListParams{SubscriptionID: subID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ds {
		byStatus[x.Status]++
		if x.Attempts != 0 {
			t.Fatalf("delivery %d counts %d attempts after a close", x.ID, x.Attempts)
		}
	}
	// The running one is the run callback's to record or hand back; this
	// one recorded nothing, so it stays running until its lease ends.
	if byStatus[delivery.Pending] != 1 || byStatus[delivery.Running] != 1 {
		t.Fatalf("after close: %v; want the queued one pending again and the running one left to its run", byStatus)
	}
	if err := d.Start(context.Background()); err == nil {
		t.Fatal("a closed dispatcher started again")
	}
}

// waitTimer waits until clk has a callback scheduled at at, on the
// clock's own signal.
func waitTimer(t *testing.T, clk *clock.Fake, at time.Time) {
	t.Helper()
	deadline := time.NewTimer(waitBound)
	defer deadline.Stop()
	for {
		changed := clk.Changed()
		for _, x := range clk.Scheduled() {
			if x.Equal(at) {
				return
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no timer scheduled at %s within %s", at, waitBound)
		}
	}
}
