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
	"github.com/eventloom/eventloom/engine/dispatch"
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
	pool        *dispatch.Pool
	// span is the attempt's span, from the receipt to the outcome
	// pullAttempt records (or the release of a closing engine).
	span trace.Span
}

// puller holds the pull locks of this process; the workers waiting for
// deliveries wait on the dispatcher (dispatch.PullWait). Its mu is never
// held while calling into the dispatcher (whose locks are taken after
// it, if ever) or the store; only the clock is called under it.
type puller struct {
	key [32]byte

	mu     sync.Mutex
	locks  map[int64]*pullLock // by delivery id
	closed bool
}

func newPuller() *puller {
	p := &puller{locks: map[int64]*pullLock{}}
	// A per-process key: a token outlives neither its lock nor the
	// process that signed it.
	if _, err := rand.Read(p.key[:]); err != nil {
		panic(fmt.Sprintf("engine: read random key for pull lock tokens: %v", err))
	}
	return p
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
		ch := d.PullWait(subID)
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
		case <-d.Done():
			return []PullDelivery{}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// receiveDue leases what is due now, as far as the app's pool has room.
func (e *Engine) receiveDue(ctx context.Context, cs *compiled, max int) ([]PullDelivery, error) {
	d := e.d
	p, room := d.TakePull(cs.sub.ID, cs.app.ID, max)
	if room == 0 {
		return nil, nil
	}
	now := e.clk.Now()
	lockedUntil := now.Add(e.cfg.HandlerTimeout)
	// Not cut short by the caller hanging up: a claim stored but never
	// answered would sit under its long stored lease with no lock here.
	// The stored lease covers the longest extension and then the usual
	// lease, so only a process that died loses it to the sweeper; this
	// process expires its locks itself, on time.
	claims, err := d.Claim(context.WithoutCancel(ctx), cs.sub.ID, room, now, now.Add(MaxPullExtendFactor*e.cfg.HandlerTimeout+e.cfg.LeaseDuration))
	if err != nil {
		d.GivePull(p, room)
		return nil, fmt.Errorf("receive %s for %s: claim deliveries: %w", cs.event.Ref(), cs.app.Name, err)
	}
	d.GivePull(p, room-len(claims))
	out := make([]PullDelivery, 0, len(claims))
	for _, c := range claims {
		lk := &pullLock{claim: c, attempt: c.Attempts + 1, started: now, lockedUntil: lockedUntil, pool: p}
		lk.token = e.pull.sign(c.DeliveryID, lk.attempt, c.Token)
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
		p.Enter()
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
		if !e.pull.hold(e, lk) {
			// Closed meanwhile: hand it back like the other locks.
			e.release(c)
			e.endAttempt(lk.span, "released", "the engine closed; the delivery is handed back uncounted", now)
			p.Leave()
			d.GivePull(p, 1)
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
	pl := e.pull
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
		lk.pool.Leave()
		e.d.GivePull(lk.pool, 1)
	}()
	cs := e.snap.Load().subs[lk.claim.SubscriptionID]
	if cs == nil {
		// The subscription was deleted and its deliveries discarded.
		return fault.New(fault.ErrConflict, "lock_lost", fmt.Sprintf("delivery %d's subscription was deleted; its deliveries were discarded", lk.claim.DeliveryID))
	}
	return record(cs)
}

// closePull hands the deliveries still leased to pull workers back
// without counting an attempt: their workers' acks would be refused by a
// closed engine anyway. It is the dispatcher's Stopping hook, so it runs
// once, after the poll loop stopped (the waiting Receives end on
// dispatch's Done).
func (e *Engine) closePull(ctx context.Context) error {
	pl := e.pull
	pl.mu.Lock()
	if pl.closed {
		pl.mu.Unlock()
		return nil
	}
	pl.closed = true
	locks := make([]*pullLock, 0, len(pl.locks))
	claims := make([]storage.Claim, 0, len(pl.locks))
	for id, lk := range pl.locks {
		lk.timer.Stop()
		locks = append(locks, lk)
		claims = append(claims, lk.claim)
		delete(pl.locks, id)
	}
	pl.mu.Unlock()
	now := e.clk.Now()
	for _, lk := range locks {
		lk.pool.Leave()
		e.d.GivePull(lk.pool, 1)
		e.endAttempt(lk.span, "released", "the engine closed; the delivery is handed back uncounted", now)
	}
	if len(claims) == 0 {
		return nil
	}
	err := e.st.DeliveryRelease(context.WithoutCancel(ctx), &storage.DeliveryReleaseParams{Claims: claims, Now: e.clk.Now()})
	if err != nil {
		return fmt.Errorf("engine close: release %d pulled deliveries: %w", len(claims), err)
	}
	return nil
}
