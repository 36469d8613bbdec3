package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/storage"
)

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("dispatch: closed")

// claimBatch bounds one DeliveryClaim, so a large backlog is taken in
// steps that leave room for other subscriptions of the same app.
const claimBatch = 256

// Store is the part of the storage seam a dispatcher uses; every
// storage.Storage is one.
type Store interface {
	DeliveryClaim(ctx context.Context, p *storage.DeliveryClaimParams) ([]storage.Claim, error)
	DeliveryNextDue(ctx context.Context, subscriptionID int64) (time.Time, bool, error)
	DeliveryRelease(ctx context.Context, p *storage.DeliveryReleaseParams) error
	DeliveryReleaseExpired(ctx context.Context, p *storage.DeliveryReleaseExpiredParams) (int, error)
}

// Config is what a Dispatcher is built from. Store and Run are required;
// every other zero field takes the default its comment gives.
type Config struct {
	// Store claims and releases deliveries.
	Store Store
	// Clock times retries, sweeps and leases; default clock.Real().
	Clock clock.Clock
	// Logger receives the dispatcher's errors; default slog.Default().
	Logger *slog.Logger
	// DefaultConcurrency is the limit of an app whose own concurrency is
	// 0; default 100 (ODC's rule, DESIGN.md).
	DefaultConcurrency int
	// LeaseDuration is how long a claim from the poll loop is held;
	// default 5 minutes (the engine passes 2×HandlerTimeout + 1 minute).
	LeaseDuration time.Duration
	// SweepInterval is how often expired leases are reclaimed; default 30
	// seconds.
	SweepInterval time.Duration
	// MaxAttempts is the attempt count at which a delivery whose lease
	// expired is dead (storage.DeliveryReleaseExpiredParams); 0: never.
	MaxAttempts int
	// ExpiredError is the error recorded on the attempt an expired lease
	// counts as failed, saying why.
	ExpiredError string
	// Run makes one attempt at claim c, taken from pool p (Enter and
	// Leave bracket the handler run), and records its outcome, or hands
	// the claim back. It runs on a pool's worker goroutine; the
	// dispatcher frees the claim's place when it returns.
	Run func(p *Pool, c storage.Claim)
	// SharedByNodes says several processes claim from Store
	// (storage.Features.SharedByNodes): each pool then bounds only this
	// process's runs, so every claim carries its app's limit for the
	// backend to hold across them, nothing is claimed at insert (that
	// would pass by the backend's count), and a due claim that came back
	// short waits for the backend's wake rather than polling.
	SharedByNodes bool
	// Stopping, when set, is called once by Close after the poll loop has
	// stopped and before the queued claims are released and the running
	// ones awaited (the engine hands its pull locks back there); its
	// error is returned by Close.
	Stopping func(ctx context.Context) error
}

func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DefaultConcurrency <= 0 {
		c.DefaultConcurrency = 100
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 5 * time.Minute
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
	return c
}

// Sub is what the dispatcher knows of one subscription.
type Sub struct {
	ID, AppID int64
	// Paused subscriptions get no claims.
	Paused bool
	// Pull subscriptions are never run here: their deliveries wait for
	// pull workers, whom the poll loop wakes (PullWait).
	Pull bool
}

// Design is the dispatcher's view of the design: every subscription by
// id and each app's concurrency by app id (0 or absent: the default).
type Design struct {
	Subs        map[int64]Sub
	Concurrency map[int64]int
}

// Dispatcher hands deliveries to Run. A delivery reaches it two ways:
// claimed in the same transaction that created it, when its app's
// in-memory queue has room (Reserve, then Inserted: no second write, no
// poll), or claimed later from storage by the poll loop (a backlog while
// the app was busy, a retry whose time came, a resumed subscription,
// leases released after a crash). Each app has a pool that runs at most
// the app's concurrency at once and holds at most twice that many claims
// in memory, so memory stays flat however deep the stored queue is. Every
// method is safe for concurrent use; see the package doc for lock order.
type Dispatcher struct {
	cfg    Config
	design atomic.Pointer[Design]

	mu    sync.Mutex // guards pools, subs' nextDue/gen, timer, sweepTimer
	pools map[int64]*Pool
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

	// pullMu guards pullWaiting: per subscription id, a channel closed
	// (and replaced) when a delivery of it may have become due.
	pullMu      sync.Mutex
	pullWaiting map[int64]chan struct{}
}

// subState is what the dispatcher knows about one subscription's stored
// deliveries.
type subState struct {
	// backlog is set when deliveries may be due in storage that nobody
	// holds in memory.
	backlog atomic.Bool
	// nextDue is the earliest known retry time (zero: none known); gen
	// counts its updates so a poll does not overwrite a newer one. Both
	// are guarded by Dispatcher.mu.
	nextDue time.Time
	gen     uint64
}

// New returns a dispatcher with an empty design; give it the design with
// SetDesign and start it with Start.
func New(cfg Config) *Dispatcher {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{
		cfg:         cfg,
		pools:       map[int64]*Pool{},
		wake:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
		loopDone:    make(chan struct{}),
		runCtx:      ctx,
		cancelRun:   cancel,
		pullWaiting: map[int64]chan struct{}{},
	}
	d.design.Store(&Design{})
	return d
}

// Context is the context runs take: cancelled when Close could not wait
// for them (and at the end of Close).
func (d *Dispatcher) Context() context.Context { return d.runCtx }

// Closed reports whether Close was called.
func (d *Dispatcher) Closed() bool { return d.closed.Load() }

// Done is closed when Close begins, so a waiting pull worker returns.
func (d *Dispatcher) Done() <-chan struct{} { return d.stop }

// signal wakes the poll loop without blocking.
func (d *Dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) sub(id int64) *subState {
	if s, ok := d.subs.Load(id); ok {
		return s.(*subState)
	}
	s, _ := d.subs.LoadOrStore(id, &subState{})
	return s.(*subState)
}

// Backlog records that subscription id may have deliveries due in
// storage (a retry made due now, a replay, a claim handed back) and wakes
// the poll loop.
func (d *Dispatcher) Backlog(id int64) {
	d.sub(id).backlog.Store(true)
	d.signal()
}

// BacklogAll is Backlog for every subscription known, as after another
// node released expired leases.
func (d *Dispatcher) BacklogAll() {
	d.subs.Range(func(_, v any) bool {
		v.(*subState).backlog.Store(true)
		return true
	})
	d.signal()
}

// pool returns the pool of app appID, creating it at the app's
// concurrency.
func (d *Dispatcher) pool(appID int64) *Pool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.pools[appID]
	if p == nil {
		p = &Pool{limit: d.limitOf(d.design.Load(), appID)}
		d.pools[appID] = p
	}
	return p
}

func (d *Dispatcher) limitOf(v *Design, appID int64) int {
	if n := v.Concurrency[appID]; n > 0 {
		return n
	}
	return d.cfg.DefaultConcurrency
}

// Reserve takes a place in s's app pool for a delivery about to be
// created claimed, and adds it to r; false when the delivery must be
// created pending instead: the dispatcher is not running, s is paused or
// pull, s has older deliveries waiting in storage (they are not
// overtaken for ever), or the pool is full.
func (d *Dispatcher) Reserve(s Sub, r *Reservation) bool {
	if !d.started.Load() || d.closed.Load() || s.Paused || s.Pull || d.cfg.SharedByNodes || d.sub(s.ID).backlog.Load() {
		return false
	}
	p := d.pool(s.AppID)
	if !p.tryReserve() {
		return false
	}
	r.pools = append(r.pools, p)
	return true
}

// Inserted hands the deliveries created claimed (p.Deliveries[i].Claim)
// to their pools, whose places Reserve took, and marks the others as
// backlog for the poll loop.
func (d *Dispatcher) Inserted(p *storage.OccurrenceInsertParams, out *storage.OccurrenceInsertResult) {
	wake := false
	for i, c := range out.Deliveries {
		if p.Deliveries[i].Claim {
			d.offer(d.pool(c.AppID), []storage.Claim{c})
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
func (d *Dispatcher) offer(p *Pool, claims []storage.Claim) {
	p.mu.Lock()
	p.push(claims)
	n := min(p.limit-p.workers-p.pulled, len(p.queued()))
	p.workers += max(n, 0)
	p.mu.Unlock()
	for i := 0; i < n; i++ {
		d.workers.Add(1)
		go d.work(p)
	}
}

// work runs p's queued claims one after another until the queue is empty.
func (d *Dispatcher) work(p *Pool) {
	defer d.workers.Done()
	for {
		p.mu.Lock()
		if len(p.queued()) == 0 || p.workers+p.pulled > p.limit {
			// A worker leaving frees a place for pull workers too.
			p.workers--
			starved := p.takeStarvedLocked()
			p.mu.Unlock()
			if starved {
				d.signal()
			}
			return
		}
		c := p.pop()
		p.mu.Unlock()

		d.cfg.Run(p, c)

		p.mu.Lock()
		p.held--
		starved := p.takeStarvedLocked()
		p.mu.Unlock()
		if starved {
			d.signal()
		}
	}
}

// RetryAt records that subscription id has a delivery due at t.
func (d *Dispatcher) RetryAt(id int64, t time.Time) {
	s := d.sub(id)
	d.mu.Lock()
	s.gen++
	if s.nextDue.IsZero() || t.Before(s.nextDue) {
		s.nextDue = t
	}
	d.mu.Unlock()
	d.signal()
}

// Claim claims up to limit due deliveries of subscription subID at now,
// leased until leaseUntil: the one place claim parameters are built, for
// the poll loop and for pull workers alike.
func (d *Dispatcher) Claim(ctx context.Context, subID int64, limit int, now, leaseUntil time.Time) ([]storage.Claim, error) {
	return d.cfg.Store.DeliveryClaim(ctx, &storage.DeliveryClaimParams{SubscriptionID: subID, Limit: limit, Now: now,
		LeaseUntil: leaseUntil, AppLimit: d.appLimit(subID)})
}

// appLimit is the DeliveryClaimParams.AppLimit of a claim of subID's
// deliveries: its app's concurrency when the backend is shared by several
// nodes (the limit then holds across them), and 0 on a backend only this
// process claims from, whose pools hold the limit without a count.
func (d *Dispatcher) appLimit(subID int64) int {
	if !d.cfg.SharedByNodes {
		return 0
	}
	v := d.design.Load()
	s, ok := v.Subs[subID]
	if !ok {
		return 0
	}
	return d.limitOf(v, s.AppID)
}

// Start releases expired leases, marks every subscription as possibly
// having stored work, and runs the poll loop and the lease sweeper.
func (d *Dispatcher) Start(ctx context.Context) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if !d.started.CompareAndSwap(false, true) {
		return errors.New("dispatch: already started")
	}
	if _, err := d.cfg.Store.DeliveryReleaseExpired(ctx, d.expiredParams()); err != nil {
		return fmt.Errorf("dispatch start: release expired leases: %w", err)
	}
	for id := range d.design.Load().Subs {
		d.sub(id).backlog.Store(true)
	}
	go d.loop()
	d.armSweep()
	d.signal()
	return nil
}

// SetDesign replaces the dispatcher's view of the design: pools take the
// new concurrency limits, and resumed subscriptions are looked at again.
func (d *Dispatcher) SetDesign(next Design) {
	old := d.design.Swap(&next)
	d.mu.Lock()
	for id, p := range d.pools {
		if _, ok := next.Concurrency[id]; !ok {
			continue
		}
		p.mu.Lock()
		p.limit = d.limitOf(&next, id)
		p.mu.Unlock()
	}
	d.mu.Unlock()
	for id, s := range next.Subs {
		if was, ok := old.Subs[id]; ok && was.Paused && !s.Paused {
			d.sub(id).backlog.Store(true)
		}
	}
	d.signal()
}

// Close stops the poll loop and the sweeper, calls Stopping, releases
// queued claims and waits for running ones; when ctx ends first, they
// are cancelled (Context is cancelled). Calling it again does nothing.
func (d *Dispatcher) Close(ctx context.Context) error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(d.stop)
	if d.started.Load() {
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
		queued = append(queued, p.queued()...)
		p.held -= len(p.queued())
		p.queue, p.head = nil, 0
		p.mu.Unlock()
	}
	d.mu.Unlock()
	var err error
	if d.cfg.Stopping != nil {
		err = d.cfg.Stopping(ctx)
	}
	if len(queued) > 0 {
		rerr := d.cfg.Store.DeliveryRelease(context.WithoutCancel(ctx), &storage.DeliveryReleaseParams{Claims: queued, Now: d.cfg.Clock.Now()})
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("dispatch close: release %d queued deliveries: %w", len(queued), rerr))
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

// Queued reports whether delivery id is claimed and waiting in app
// appID's pool for a free slot (stored as running, but not started).
func (d *Dispatcher) Queued(appID, id int64) bool {
	d.mu.Lock()
	p := d.pools[appID]
	d.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.queued() {
		if c.DeliveryID == id {
			return true
		}
	}
	return false
}

// Loads reports each app's dispatch state by app id; apps that have run
// nothing yet are absent.
func (d *Dispatcher) Loads() map[int64]Load {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[int64]Load, len(d.pools))
	for id, p := range d.pools {
		out[id] = p.load()
	}
	return out
}
