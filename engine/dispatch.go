package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// claimBatch bounds one DeliveryClaim, so a large backlog is taken in
// steps that leave room for other subscriptions of the same app.
const claimBatch = 256

// dispatcher hands deliveries to handlers. A delivery reaches it two ways:
// claimed in the same transaction that created it, when its app's
// in-memory queue has room (the fast path: no second write, no poll), or
// claimed later from storage by the poll loop (a backlog while the app was
// busy, a retry whose time came, a resumed subscription, leases released
// after a crash). Each app has a pool that runs at most the app's
// concurrency handlers at once and holds at most twice that many claims in
// memory, so memory stays flat however deep the stored queue is.
type dispatcher struct {
	e *Engine

	mu    sync.Mutex // guards pools, subs' nextDue/gen, timer
	pools map[int64]*pool
	subs  sync.Map // subscription id -> *subState

	closed   atomic.Bool
	started  atomic.Bool
	wake     chan struct{}
	stop     chan struct{}
	loopDone chan struct{}
	workers  sync.WaitGroup

	runCtx    context.Context
	cancelRun context.CancelFunc

	timer      clock.Timer
	timerAt    time.Time
	sweepTimer clock.Timer

	// pull holds the deliveries leased to external workers (pull.go).
	pull *puller
}

// subState is what the dispatcher knows about one subscription's stored
// deliveries.
type subState struct {
	// backlog is set when deliveries may be due in storage that nobody
	// holds in memory.
	backlog atomic.Bool
	// nextDue is the earliest known retry time (zero: none known); gen
	// counts its updates so a poll does not overwrite a newer one.
	nextDue time.Time
	gen     uint64
}

// pool runs one app's claims.
type pool struct {
	mu    sync.Mutex
	limit int
	// held counts claims in memory: reserved for an insert in progress,
	// queued, or running.
	held    int
	queue   []storage.Claim
	workers int
	// active counts handler runs in progress (timed-out runs included
	// until they return); highWater is its maximum.
	active    int
	highWater int
	// pulled counts deliveries leased to pull workers: each takes one of
	// the app's places (and counts in active) until acked, released,
	// rejected or expired.
	pulled int
	// starved is set when someone found the pool full; the next freed
	// slot wakes the poll loop.
	starved bool
}

func newDispatcher(e *Engine) *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	return &dispatcher{
		e:         e,
		pools:     map[int64]*pool{},
		wake:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		loopDone:  make(chan struct{}),
		runCtx:    ctx,
		cancelRun: cancel,
		pull:      newPuller(),
	}
}

func (d *dispatcher) isClosed() bool { return d.closed.Load() }

// signal wakes the poll loop without blocking.
func (d *dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) sub(id int64) *subState {
	if s, ok := d.subs.Load(id); ok {
		return s.(*subState)
	}
	s, _ := d.subs.LoadOrStore(id, &subState{})
	return s.(*subState)
}

// pool returns app's pool, creating it at the app's concurrency.
func (d *dispatcher) pool(app *design.App) *pool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.pools[app.ID]
	if p == nil {
		p = &pool{limit: d.limitOf(app)}
		d.pools[app.ID] = p
	}
	return p
}

func (d *dispatcher) limitOf(app *design.App) int {
	if app.Concurrency > 0 {
		return app.Concurrency
	}
	return d.e.cfg.DefaultConcurrency
}

// memCap is how many claims a pool holds in memory: one running and one
// waiting per slot. A waiting claim starts within about one handler
// timeout, well inside its lease.
func (p *pool) memCap() int { return 2 * p.limit }

// tryReserve takes one place in the pool for a claim about to be created.
func (p *pool) tryReserve() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held >= p.memCap() {
		p.starved = true
		return false
	}
	p.held++
	return true
}

// reserveUpTo takes up to n places and returns how many it took.
func (p *pool) reserveUpTo(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := min(n, p.memCap()-p.held)
	if room <= 0 {
		p.starved = true
		return 0
	}
	p.held += room
	return room
}

func (p *pool) unreserve(n int) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	p.held -= n
	p.mu.Unlock()
}

// reservation is the pool places taken for one insert, given back if the
// insert fails.
type reservation struct{ pools []*pool }

func (r reservation) cancel() {
	for _, p := range r.pools {
		p.unreserve(1)
	}
}

// plan lists the deliveries an occurrence of ev with parameters raw
// gets, one per enabled subscription whose filter holds, claiming at
// insert those whose app has room (and no older backlog, so stored
// deliveries are not overtaken for ever).
func (d *dispatcher) plan(snap *snapshot, ev *design.Event, raw json.RawMessage) ([]storage.NewDelivery, reservation) {
	subs := snap.idx.SubscriptionsOf(ev.ID)
	out := make([]storage.NewDelivery, 0, len(subs))
	var r reservation
	var m filterMatcher
	for _, s := range subs {
		if !s.Enabled || !m.passes(d.e, snap.subs[s.ID], ev, raw) {
			continue
		}
		nd := storage.NewDelivery{SubscriptionID: s.ID, AppID: s.AppID}
		c := snap.subs[s.ID]
		// A backend shared by several nodes counts the app's places:
		// a claim at insert would pass by that count (applimit.go).
		if d.started.Load() && !d.closed.Load() && c != nil && !s.Paused && s.Handler.Kind != design.KindPull && !d.sub(s.ID).backlog.Load() && !d.shared() {
			p := d.pool(c.app)
			if p.tryReserve() {
				nd.Claim = true
				r.pools = append(r.pools, p)
			}
		}
		out = append(out, nd)
	}
	return out, r
}

// inserted hands the deliveries created claimed to their pools and marks
// the others as backlog for the poll loop.
func (d *dispatcher) inserted(snap *snapshot, p *storage.OccurrenceInsertParams, out *storage.OccurrenceInsertResult, r reservation) {
	wake := false
	for i, c := range out.Deliveries {
		if p.Deliveries[i].Claim {
			cs := snap.subs[c.SubscriptionID]
			d.offer(d.pool(cs.app), []storage.Claim{c})
			continue
		}
		d.sub(c.SubscriptionID).backlog.Store(true)
		wake = true
	}
	if wake {
		d.signal()
	}
}

// offer queues claims in p and starts workers up to the app's limit less
// its pulled deliveries (with no claims, it only starts workers for the
// queue, as when a pull worker gave places back).
func (d *dispatcher) offer(p *pool, claims []storage.Claim) {
	p.mu.Lock()
	p.queue = append(p.queue, claims...)
	n := min(p.limit-p.workers-p.pulled, len(p.queue))
	p.workers += max(n, 0)
	p.mu.Unlock()
	for i := 0; i < n; i++ {
		d.workers.Add(1)
		go d.work(p)
	}
}

// work runs p's queued claims one after another until the queue is empty.
func (d *dispatcher) work(p *pool) {
	defer d.workers.Done()
	for {
		p.mu.Lock()
		if len(p.queue) == 0 || p.workers+p.pulled > p.limit {
			// A worker leaving frees a place for pull workers too.
			p.workers--
			starved := p.starved
			p.starved = false
			p.mu.Unlock()
			if starved {
				d.signal()
			}
			return
		}
		c := p.queue[0]
		p.queue[0] = storage.Claim{}
		p.queue = p.queue[1:]
		p.mu.Unlock()

		d.e.run(p, c)

		p.mu.Lock()
		p.held--
		starved := p.starved
		p.starved = false
		p.mu.Unlock()
		if starved {
			d.signal()
		}
	}
}

// enter and leave bracket one handler run for the concurrency count.
func (p *pool) enter() {
	p.mu.Lock()
	p.active++
	p.highWater = max(p.highWater, p.active)
	p.mu.Unlock()
}

func (p *pool) leave() {
	p.mu.Lock()
	p.active--
	p.mu.Unlock()
}

// retryAt records that subscription id has a delivery due at t.
func (d *dispatcher) retryAt(id int64, t time.Time) {
	s := d.sub(id)
	d.mu.Lock()
	s.gen++
	if s.nextDue.IsZero() || t.Before(s.nextDue) {
		s.nextDue = t
	}
	d.mu.Unlock()
	d.signal()
}

// start releases expired leases, marks every subscription as possibly
// having stored work, and runs the poll loop and the lease sweeper.
func (d *dispatcher) start(ctx context.Context) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if !d.started.CompareAndSwap(false, true) {
		return errors.New("engine: already started")
	}
	if _, err := d.e.st.DeliveryReleaseExpired(ctx, d.expiredParams()); err != nil {
		return fmt.Errorf("engine start: release expired leases: %w", err)
	}
	for id := range d.e.snap.Load().subs {
		d.sub(id).backlog.Store(true)
	}
	go d.loop()
	d.armSweep()
	d.signal()
	return nil
}

func (d *dispatcher) loop() {
	defer close(d.loopDone)
	for {
		select {
		case <-d.stop:
			return
		case <-d.wake:
		}
		d.poll()
	}
}

// poll claims what is due for every subscription with a backlog or a
// retry time that has come, as far as the pools have room, and arms a
// timer for the earliest future retry.
func (d *dispatcher) poll() {
	e := d.e
	ctx := d.runCtx
	now := e.clk.Now()
	snap := e.snap.Load()
	var earliest time.Time
	again := false
	for id, c := range snap.subs {
		if c.sub.Paused {
			continue
		}
		st := d.sub(id)
		if c.sub.Handler.Kind == design.KindPull {
			// Never run here: wake the workers waiting for it instead.
			earliest = d.pullDue(ctx, id, st, now, earliest)
			continue
		}
		d.mu.Lock()
		nd, gen := st.nextDue, st.gen
		d.mu.Unlock()
		if !st.backlog.Load() && (nd.IsZero() || nd.After(now)) {
			if !nd.IsZero() && (earliest.IsZero() || nd.Before(earliest)) {
				earliest = nd
			}
			continue
		}
		p := d.pool(c.app)
		room := p.reserveUpTo(min(claimBatch, p.memCap()))
		if room == 0 {
			st.backlog.Store(true)
			continue
		}
		// Cleared before the claim: a delivery stored after this point
		// sets it again, so none is forgotten.
		st.backlog.Store(false)
		appLimit := d.appLimit(c.app)
		claims, err := e.st.DeliveryClaim(ctx, &storage.DeliveryClaimParams{SubscriptionID: id, Limit: room, Now: now,
			LeaseUntil: now.Add(e.cfg.LeaseDuration), AppLimit: appLimit})
		if err != nil {
			p.unreserve(room)
			st.backlog.Store(true)
			if ctx.Err() == nil {
				e.log.Error("claim deliveries", "subscription_id", id, "error", err)
			}
			continue
		}
		p.unreserve(room - len(claims))
		d.offer(p, claims)
		if len(claims) == room {
			st.backlog.Store(true)
			again = true
			continue
		}
		next, ok, err := e.st.DeliveryNextDue(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("next due delivery", "subscription_id", id, "error", err)
			}
			continue
		}
		d.mu.Lock()
		if !ok {
			next = time.Time{}
		}
		if st.gen == gen || (!next.IsZero() && (st.nextDue.IsZero() || next.Before(st.nextDue))) {
			st.nextDue = next
		}
		nd = st.nextDue
		d.mu.Unlock()
		switch {
		case nd.IsZero():
		case !nd.After(now) && appLimit > 0:
			// Due, yet the claim came back short: the app holds every
			// place across the nodes. The backend's watch wakes the
			// loop when one is freed; polling meanwhile would only
			// spin.
			st.backlog.Store(true)
		case !nd.After(now):
			again = true
		case earliest.IsZero() || nd.Before(earliest):
			earliest = nd
		}
	}
	d.arm(earliest)
	if again {
		d.signal()
	}
}

// arm sets the poll timer for at (zero: none).
func (d *dispatcher) arm(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at.Equal(d.timerAt) && d.timer != nil {
		return
	}
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.timerAt = at
	if at.IsZero() || d.closed.Load() {
		return
	}
	d.timer = d.e.clk.AfterFunc(at.Sub(d.e.clk.Now()), func() {
		d.mu.Lock()
		d.timer = nil
		d.timerAt = time.Time{}
		d.mu.Unlock()
		d.signal()
	})
}

// armSweep schedules the next sweep of expired leases.
func (d *dispatcher) armSweep() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Load() {
		return
	}
	d.sweepTimer = d.e.clk.AfterFunc(d.e.cfg.SweepInterval, d.sweep)
}

// expiredParams reclaims expired leases now, counting each lost run as a
// failed attempt so a delivery whose handler kills the process ends dead
// after the configured retries (poison handling).
func (d *dispatcher) expiredParams() *storage.DeliveryReleaseExpiredParams {
	return &storage.DeliveryReleaseExpiredParams{
		Now:         d.e.clk.Now(),
		MaxAttempts: d.e.cfg.MaxRetries + 1,
		Error: fmt.Sprintf("the process running this attempt stopped before it finished (its lease of %s expired); "+
			"counted as a failed attempt, so a handler that crashes the process ends dead after its retries", d.e.cfg.LeaseDuration),
	}
}

// sweep reclaims deliveries whose lease expired (their process died),
// each with a failed attempt, and lets the poll loop claim them.
func (d *dispatcher) sweep() {
	n, err := d.e.st.DeliveryReleaseExpired(d.runCtx, d.expiredParams())
	switch {
	case err != nil && d.runCtx.Err() == nil:
		d.e.log.Error("release expired leases", "error", err)
	case n > 0:
		d.e.log.Info("released expired leases", "deliveries", n)
		d.subs.Range(func(_, v any) bool {
			v.(*subState).backlog.Store(true)
			return true
		})
		d.signal()
	}
	d.armSweep()
}

// designChanged adapts pools to new concurrency limits and wakes the poll
// loop for resumed subscriptions.
func (d *dispatcher) designChanged(old, next *snapshot) {
	d.mu.Lock()
	for _, a := range next.idx.Apps {
		if p := d.pools[a.ID]; p != nil {
			p.mu.Lock()
			p.limit = d.limitOf(&a)
			p.mu.Unlock()
		}
	}
	d.mu.Unlock()
	for id, c := range next.subs {
		if was, ok := old.subs[id]; ok && was.sub.Paused && !c.sub.Paused {
			d.sub(id).backlog.Store(true)
		}
	}
	d.signal()
}

// close stops the poll loop and the sweeper, releases queued claims and
// waits for running handlers; when ctx ends first, they are cancelled.
func (d *dispatcher) close(ctx context.Context) error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	if d.started.Load() {
		close(d.stop)
		<-d.loopDone
	}
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	if d.sweepTimer != nil {
		d.sweepTimer.Stop()
	}
	var queued []storage.Claim
	for _, p := range d.pools {
		p.mu.Lock()
		queued = append(queued, p.queue...)
		p.held -= len(p.queue)
		p.queue = nil
		p.mu.Unlock()
	}
	d.mu.Unlock()
	err := d.closePull(ctx)
	if len(queued) > 0 {
		rerr := d.e.st.DeliveryRelease(context.WithoutCancel(ctx), &storage.DeliveryReleaseParams{Claims: queued, Now: d.e.clk.Now()})
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("engine close: release %d queued deliveries: %w", len(queued), rerr))
		}
	}
	done := make(chan struct{})
	go func() {
		d.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		d.cancelRun()
		<-done
	}
	d.cancelRun()
	return err
}

// queued reports whether delivery id is claimed and waiting in app's
// pool for a free slot (stored as running, but not started).
func (d *dispatcher) queued(appID, id int64) bool {
	d.mu.Lock()
	p := d.pools[appID]
	d.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.queue {
		if c.DeliveryID == id {
			return true
		}
	}
	return false
}
