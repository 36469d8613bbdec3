package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/cloudevent"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// Bounds of the pull API.
const (
	// MaxPullWait is the longest a Receive waits for a due delivery: 30
	// seconds, under the idle timeouts of common proxies and load
	// balancers, so a long poll is not cut by the network.
	MaxPullWait = 30 * time.Second
	// MaxPullBatch is the most deliveries one Receive hands out and the
	// most lock tokens one Ack, Release, Reject or Extend takes.
	MaxPullBatch = 100
	// MaxPullExtendFactor bounds how long a lock may last in all, counted
	// in handler timeouts from its receipt: a worker that keeps extending
	// cannot hold a delivery (and one of its app's places) for ever.
	MaxPullExtendFactor = 10
	// MaxPullReleaseDelay bounds a release's delaySeconds: a day, the
	// longest a worker may reasonably park a delivery it cannot handle
	// yet.
	MaxPullReleaseDelay = 24 * time.Hour
)

// PullDelivery is one delivery leased to a pull worker.
type PullDelivery struct {
	// LockToken names this attempt's lock; Ack, Release, Reject and Extend
	// take it. It is opaque and signed: a forged or altered token is
	// refused, and one of an earlier attempt no longer matches.
	LockToken string `json:"lockToken"`
	// DeliveryID is the delivery's stable id, the CloudEvent's id too.
	DeliveryID int64 `json:"deliveryId"`
	// Attempt is this attempt's number, 1 for the first.
	Attempt int `json:"attempt"`
	// LockedUntil is when the lock expires unless extended; an expired
	// lock is a timed-out attempt on the retry schedule.
	LockedUntil time.Time `json:"lockedUntil"`
	// Event is the delivery's CloudEvents 1.0 envelope (the webhook's
	// body too).
	Event event.Event `json:"event"`
}

// LockFailure is one lock token an Ack, Release, Reject or Extend could
// not act on, and why: fault.ErrConflict (code "lock_lost") when the lock
// is no longer held (an earlier attempt's token, an expired or finished
// lock), fault.ErrInvalid for a token that is not one of this server's or
// belongs to another subscription.
type LockFailure struct {
	LockToken string
	Err       *fault.Error
}

// LockResult answers an Ack, Release, Reject or Extend token by token.
type LockResult struct {
	Succeeded []string
	Failed    []LockFailure
}

// pullLock is one delivery leased to a pull worker in this process.
type pullLock struct {
	claim   storage.Claim
	attempt int
	token   string
	started time.Time
	// lockedUntil and timer are guarded by the puller's mu.
	lockedUntil time.Time
	timer       clock.Timer
	pool        *pool
	// span is the attempt's span, from the receipt to the outcome
	// pullAttempt records (or the release of a closing engine).
	span trace.Span
}

// puller holds the pull locks of this process and the workers waiting
// for deliveries.
type puller struct {
	key [32]byte

	mu    sync.Mutex
	locks map[int64]*pullLock // by delivery id
	// waiting holds, per subscription id, a channel closed (and replaced)
	// when a delivery of it may have become due.
	waiting map[int64]chan struct{}
	done    chan struct{}
	closed  bool
}

func newPuller() *puller {
	p := &puller{locks: map[int64]*pullLock{}, waiting: map[int64]chan struct{}{}, done: make(chan struct{})}
	// A per-process key: a token outlives neither its lock nor the
	// process that signed it.
	if _, err := rand.Read(p.key[:]); err != nil {
		panic(fmt.Sprintf("engine: read random key for pull lock tokens: %v", err))
	}
	return p
}

// waitCh is the channel closed when a delivery of subscription id may be
// due; take it before looking, so a wake after the look is not missed.
func (pl *puller) waitCh(id int64) <-chan struct{} {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	ch := pl.waiting[id]
	if ch == nil {
		ch = make(chan struct{})
		pl.waiting[id] = ch
	}
	return ch
}

// wake wakes the workers waiting on subscription id.
func (pl *puller) wake(id int64) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if ch := pl.waiting[id]; ch != nil {
		close(ch)
		delete(pl.waiting, id)
	}
}

// pullDue is the poll loop's step for a pull subscription: it wakes the
// waiting workers when a delivery may be due (a new occurrence, a retry
// whose time came, a replay, room freed in the app's pool) and returns
// earliest lowered to the subscription's next known retry time.
func (d *dispatcher) pullDue(ctx context.Context, id int64, st *subState, now, earliest time.Time) time.Time {
	d.mu.Lock()
	nd, gen := st.nextDue, st.gen
	d.mu.Unlock()
	backlog := st.backlog.Swap(false)
	due := !nd.IsZero() && !nd.After(now)
	if backlog || due {
		d.pull.wake(id)
	}
	var next time.Time
	if backlog {
		// After a restart (or a sweep) only storage knows the retry times.
		t, ok, err := d.e.st.DeliveryNextDue(ctx, id)
		switch {
		case err != nil && ctx.Err() == nil:
			d.e.log.Error("next due delivery", "subscription_id", id, "error", err)
		case ok && t.After(now):
			next = t
		}
	}
	d.mu.Lock()
	if due && st.gen == gen {
		st.nextDue = time.Time{}
	}
	if !next.IsZero() && (st.nextDue.IsZero() || next.Before(st.nextDue)) {
		st.nextDue = next
	}
	nd = st.nextDue
	d.mu.Unlock()
	if nd.After(now) && (earliest.IsZero() || nd.Before(earliest)) {
		earliest = nd
	}
	return earliest
}

// takePull takes up to n of the app's places for pulled deliveries and
// returns how many it took; none marks the pool starved, so the next
// place freed wakes the poll loop (and through it the waiting workers).
func (p *pool) takePull(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := min(n, p.limit-p.workers-p.pulled)
	if room <= 0 {
		p.starved = true
		return 0
	}
	p.pulled += room
	return room
}

// pullRoom is how many places the app has free for pulled deliveries.
func (p *pool) pullRoom() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit - p.workers - p.pulled
}

// givePull gives n pulled places back, lets queued claims of other
// handlers use them and wakes whoever found the pool full.
func (d *dispatcher) givePull(p *pool, n int) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	p.pulled -= n
	starved := p.starved
	p.starved = false
	p.mu.Unlock()
	d.offer(p, nil)
	if starved {
		d.signal()
	}
}

// pullSub resolves a pull subscription: the app handling ref with a pull
// handler.
func (e *Engine) pullSub(app string, ref design.EventRef) (*compiled, error) {
	snap := e.snap.Load()
	s, ok := snap.idx.SubscriptionFor(app, ref)
	if !ok {
		if _, ok := snap.idx.App(app); !ok {
			return nil, fault.New(fault.ErrNotFound, "unknown_app", fmt.Sprintf("app %q does not exist; check the app name in the path", app))
		}
		return nil, unknownSubscription(app, ref)
	}
	c := snap.subs[s.ID]
	if c == nil {
		return nil, unknownSubscription(app, ref)
	}
	if s.Handler.Kind != design.KindPull {
		return nil, fault.New(fault.ErrConflict, "not_pull", fmt.Sprintf(
			"%s handles %s with a %s handler, not pull, so its deliveries are not received by workers; set the subscription's handler to {\"kind\":\"pull\"}",
			app, ref, s.Handler.Kind))
	}
	return c, nil
}

// Receive long-polls for deliveries of app's pull subscription to ref: it
// leases at most max of those due (fewer when the app's pool has less
// room: a leased delivery takes one of the app's concurrency places until
// it is acked, released, rejected or its lock expires) and, when none is
// due, waits up to wait for one. The lock lasts the handler timeout. An
// empty answer means none came in time, or the engine is closing.
func (e *Engine) Receive(ctx context.Context, app string, ref design.EventRef, max int, wait time.Duration) ([]PullDelivery, error) {
	if max < 1 || max > MaxPullBatch {
		return nil, fault.Field("max", "out_of_range", fmt.Sprintf("max %d is out of range; receive 1 to %d deliveries at once", max, MaxPullBatch))
	}
	if wait < 0 || wait > MaxPullWait {
		return nil, fault.Field("wait", "out_of_range", fmt.Sprintf("wait %s is out of range; wait 0 to %d seconds", wait, int(MaxPullWait/time.Second)))
	}
	cs, err := e.pullSub(app, ref)
	if err != nil {
		return nil, fmt.Errorf("receive %s for %s: %w", ref, app, err)
	}
	subID := cs.sub.ID
	timeout := make(chan struct{})
	if wait > 0 {
		t := e.clk.AfterFunc(wait, func() { close(timeout) })
		defer t.Stop()
	} else {
		close(timeout)
	}
	d := e.d
	for {
		ch := d.pull.waitCh(subID)
		if d.isClosed() {
			return []PullDelivery{}, nil
		}
		cs := e.snap.Load().subs[subID]
		if cs == nil || cs.sub.Handler.Kind != design.KindPull {
			return nil, fmt.Errorf("receive %s for %s: %w", ref, app, unknownSubscription(app, ref))
		}
		if !cs.sub.Paused {
			out, err := e.receiveDue(ctx, cs, max)
			if err != nil || len(out) > 0 {
				return out, err
			}
		}
		select {
		case <-ch:
		case <-timeout:
			return []PullDelivery{}, nil
		case <-d.pull.done:
			return []PullDelivery{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// receiveDue leases what is due now, as far as the app's pool has room.
func (e *Engine) receiveDue(ctx context.Context, cs *compiled, max int) ([]PullDelivery, error) {
	d := e.d
	st := d.sub(cs.sub.ID)
	p := d.pool(cs.app)
	room := p.takePull(max)
	if room == 0 {
		// Full: the next place freed wakes the poll loop, which wakes
		// the workers of a subscription with a backlog. Looked at again
		// after marking it, so a place freed in between is not missed.
		st.backlog.Store(true)
		if p.pullRoom() > 0 {
			return e.receiveDue(ctx, cs, max)
		}
		return nil, nil
	}
	now := e.clk.Now()
	lockedUntil := now.Add(e.cfg.HandlerTimeout)
	// Not cut short by the caller hanging up: a claim stored but never
	// answered would sit under its long stored lease with no lock here.
	claims, err := e.st.DeliveryClaim(context.WithoutCancel(ctx), &storage.DeliveryClaimParams{
		SubscriptionID: cs.sub.ID, Limit: room, Now: now, AppLimit: d.appLimit(cs.app),
		// The stored lease covers the longest extension and then the
		// usual lease, so only a process that died loses it to the
		// sweeper; this process expires its locks itself, on time.
		LeaseUntil: now.Add(MaxPullExtendFactor*e.cfg.HandlerTimeout + e.cfg.LeaseDuration),
	})
	if err != nil {
		d.givePull(p, room)
		return nil, fmt.Errorf("receive %s for %s: claim deliveries: %w", cs.event.Ref(), cs.app.Name, err)
	}
	d.givePull(p, room-len(claims))
	out := make([]PullDelivery, 0, len(claims))
	for _, c := range claims {
		lk := &pullLock{claim: c, attempt: c.Attempts + 1, started: now, lockedUntil: lockedUntil, pool: p}
		lk.token = d.pull.sign(c.DeliveryID, lk.attempt, c.Token)
		lk.span = e.startAttempt(cs, c, lk.attempt, now)
		ce := cloudevent.Delivery{
			ID: c.DeliveryID, OccurrenceID: c.OccurrenceID, TraceID: c.TraceID,
			Producer: cs.event.App, Event: cs.event.Name, Time: c.CreatedAt, Parameters: c.Parameters, Traceparent: c.Traceparent,
		}
		if lk.span.IsRecording() {
			// The worker's spans are children of the attempt's.
			ce.Span = tracecontext.Format(lk.span.SpanContext())
		}
		ev, err := cloudevent.New(ce)
		p.enter()
		if err != nil {
			e.publishDelivery(cs, c, notify.DeliveryStarted, lk.attempt, "", time.Time{})
			// Stored parameters always make an envelope; should one not,
			// the attempt fails with the reason rather than vanish.
			if err := e.finishLock(lk, func(cs *compiled) error {
				return e.failAt(cs, c, e.pullAttempt(lk, delivery.OutcomeFailed, "build the CloudEvent: "+err.Error()), time.Time{}, time.Time{})
			}); err != nil {
				e.completionFailed(c, err)
			}
			continue
		}
		if !d.pull.hold(e, lk) {
			// Closed meanwhile: hand it back like the other locks.
			e.release(c)
			e.endAttempt(lk.span, "released", "the engine closed; the delivery is handed back uncounted", now)
			p.leave()
			d.givePull(p, 1)
			continue
		}
		e.publishDelivery(cs, c, notify.DeliveryStarted, lk.attempt, "", time.Time{})
		out = append(out, PullDelivery{LockToken: lk.token, DeliveryID: c.DeliveryID, Attempt: lk.attempt, LockedUntil: lockedUntil, Event: ev})
	}
	return out, nil
}

// hold records lk and arms its expiry; false when the engine is closing
// and no lock may be taken any more.
func (pl *puller) hold(e *Engine, lk *pullLock) bool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return false
	}
	pl.locks[lk.claim.DeliveryID] = lk
	lk.timer = e.clk.AfterFunc(lk.lockedUntil.Sub(e.clk.Now()), func() { e.expireLock(lk) })
	return true
}

// expireLock makes a lock whose time ran out a timed-out attempt on the
// retry schedule, as a handler run past the timeout is.
func (e *Engine) expireLock(lk *pullLock) {
	pl := e.d.pull
	pl.mu.Lock()
	if pl.locks[lk.claim.DeliveryID] != lk || e.clk.Now().Before(lk.lockedUntil) {
		// Finished meanwhile, or extended after this timer was set.
		pl.mu.Unlock()
		return
	}
	delete(pl.locks, lk.claim.DeliveryID)
	pl.mu.Unlock()
	msg := fmt.Sprintf("the pull worker's lock (%s) expired before it acknowledged, released or rejected the delivery; counted as a timed-out attempt", e.clk.Now().Sub(lk.started))
	if err := e.finishLock(lk, func(cs *compiled) error {
		return e.failAt(cs, lk.claim, e.pullAttempt(lk, delivery.OutcomeTimedOut, msg), time.Time{}, time.Time{})
	}); err != nil {
		e.completionFailed(lk.claim, err)
	}
}

// finishLock records a lock's outcome with record and gives its place in
// the app's pool back, whatever the outcome.
func (e *Engine) finishLock(lk *pullLock, record func(cs *compiled) error) error {
	defer func() {
		lk.pool.leave()
		e.d.givePull(lk.pool, 1)
	}()
	cs := e.snap.Load().subs[lk.claim.SubscriptionID]
	if cs == nil {
		// The subscription was deleted and its deliveries discarded.
		return fault.New(fault.ErrConflict, "lock_lost", fmt.Sprintf("delivery %d's subscription was deleted; its deliveries were discarded", lk.claim.DeliveryID))
	}
	return record(cs)
}

// closePull ends every waiting Receive and hands the deliveries still
// leased back without counting an attempt: their workers' acks would be
// refused by a closed engine anyway.
func (d *dispatcher) closePull(ctx context.Context) error {
	pl := d.pull
	pl.mu.Lock()
	if pl.closed {
		pl.mu.Unlock()
		return nil
	}
	pl.closed = true
	close(pl.done)
	locks := make([]*pullLock, 0, len(pl.locks))
	claims := make([]storage.Claim, 0, len(pl.locks))
	for id, lk := range pl.locks {
		lk.timer.Stop()
		locks = append(locks, lk)
		claims = append(claims, lk.claim)
		delete(pl.locks, id)
	}
	pl.mu.Unlock()
	now := d.e.clk.Now()
	for _, lk := range locks {
		lk.pool.leave()
		d.givePull(lk.pool, 1)
		d.e.endAttempt(lk.span, "released", "the engine closed; the delivery is handed back uncounted", now)
	}
	if len(claims) == 0 {
		return nil
	}
	err := d.e.st.DeliveryRelease(context.WithoutCancel(ctx), &storage.DeliveryReleaseParams{Claims: claims, Now: d.e.clk.Now()})
	if err != nil {
		return fmt.Errorf("engine close: release %d pulled deliveries: %w", len(claims), err)
	}
	return nil
}
