package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/dispatch"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/engine/storage"
)

// run makes one attempt at a claimed delivery and records its outcome.
func (e *Engine) run(p *dispatch.Pool, c storage.Claim) {
	snap := e.snap.Load()
	cs := snap.subs[c.SubscriptionID]
	if cs == nil {
		// The subscription was deleted: its deliveries were discarded
		// with it, so there is nothing to record.
		return
	}
	now := e.clk.Now()
	if cs.sub.Paused || now.Add(e.cfg.HandlerTimeout).After(c.LeaseUntil) {
		// Paused, or the claim waited so long that a run to the timeout
		// would outlive its lease: hand it back without an attempt.
		e.release(c)
		if !cs.sub.Paused {
			e.d.Backlog(c.SubscriptionID)
		}
		return
	}
	attempt := c.Attempts + 1
	started := now
	span := e.startAttempt(cs, c, attempt, started)
	e.publishDelivery(cs, c, notify.DeliveryStarted, attempt, "", time.Time{})

	p.Enter()
	logs := &attemptLog{}
	triggers, runErr, timedOut, wait := e.invoke(span, cs, c, attempt, logs)
	finished := e.clk.Now()
	defer func() {
		wait()
		p.Leave()
	}()

	if runErr != nil && !timedOut && e.d.runCtx.Err() != nil {
		// Cancelled by a shutdown that could not wait: not the handler's
		// failure, so no attempt is counted.
		e.release(c)
		e.endAttempt(span, "released", "cancelled by a shutdown; the delivery is handed back uncounted", finished)
		return
	}
	rec := delivery.Attempt{DeliveryID: c.DeliveryID, Number: attempt, StartedAt: started, FinishedAt: finished, Log: logs.lines(), Response: logs.answer()}
	if runErr == nil {
		done, err := e.succeed(snap, cs, c, rec, triggers, traceparentOf(span, c.Traceparent))
		if done || err == nil {
			e.endAttempt(span, delivery.OutcomeSucceeded, "", finished)
			return
		}
		runErr = err
	}
	if timedOut {
		rec.Outcome = delivery.OutcomeTimedOut
		rec.Error = fmt.Sprintf("the handler ran longer than %s (the handler timeout) and was stopped", e.cfg.HandlerTimeout)
	} else {
		rec.Outcome = delivery.OutcomeFailed
		rec.Error = runErr.Error()
	}
	var notBefore time.Time
	if we := (*webhookError)(nil); errors.As(runErr, &we) {
		notBefore = we.retryAt
	}
	e.endAttempt(span, rec.Outcome, rec.Error, finished)
	e.fail(cs, c, rec, notBefore)
}

// invoke runs the handler under the handler timeout, in span (the
// attempt's). When the timeout passes first it returns at once with
// timedOut; wait then blocks until the abandoned run returns, so the
// app's slot stays taken while it runs.
func (e *Engine) invoke(span trace.Span, cs *compiled, c storage.Claim, attempt int, logs *attemptLog) (triggers []Trigger, err error, timedOut bool, wait func()) {
	ctx, cancel := context.WithCancel(trace.ContextWithSpan(e.d.runCtx, span))
	var expired atomic.Bool
	timer := e.clk.AfterFunc(e.cfg.HandlerTimeout, func() {
		expired.Store(true)
		cancel()
	})
	type result struct {
		triggers []Trigger
		err      error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if v := recover(); v != nil {
				e.log.Error("handler panicked", "app", cs.app.Name, "event", cs.event.Ref().String(), "delivery_id", c.DeliveryID, "panic", v, "stack", string(debug.Stack()))
				r = result{err: fmt.Errorf("the handler panicked: %v", v)}
			}
			done <- r
		}()
		r.triggers, r.err = e.call(ctx, cs, c, attempt, logs)
	}()
	select {
	case r := <-done:
		timer.Stop()
		cancel()
		if r.err != nil && expired.Load() {
			return nil, r.err, true, func() {}
		}
		return r.triggers, r.err, false, func() {}
	case <-ctx.Done():
		timer.Stop()
		wait = func() { <-done }
		if expired.Load() {
			return nil, ctx.Err(), true, wait
		}
		return nil, ctx.Err(), false, wait
	}
}

// call runs the subscription's handler once; a flow's log steps write to
// logs (and to the process log and live viewers).
func (e *Engine) call(ctx context.Context, cs *compiled, c storage.Claim, attempt int, logs *attemptLog) ([]Trigger, error) {
	switch cs.sub.Handler.Kind {
	case design.KindGo:
		if cs.goFn == nil {
			return nil, fmt.Errorf("no Go handler is registered as %q in this process", cs.sub.Handler.Name)
		}
		return cs.goFn(ctx, &Delivery{
			ID: c.DeliveryID, OccurrenceID: c.OccurrenceID, TraceID: c.TraceID,
			App: cs.app.Name, Event: cs.event.Ref(), Attempt: attempt,
			Parameters: c.Parameters, TriggeredAt: c.CreatedAt, Traceparent: c.Traceparent, event: cs.event,
		})
	case design.KindWebhook:
		return nil, e.callWebhook(ctx, cs, c, logs)
	case design.KindFlow:
		return e.callFlow(ctx, cs, c, attempt, logs)
	default:
		return nil, fmt.Errorf("handler kind %q cannot run", cs.sub.Handler.Kind)
	}
}

// callFlow runs a flow handler. Apart from call, its log closure does not
// move every Go handler's claim to the heap.
func (e *Engine) callFlow(ctx context.Context, cs *compiled, c storage.Claim, attempt int, logs *attemptLog) ([]Trigger, error) {
	if cs.flow == nil {
		return nil, errors.New("the flow does not compile against the current design; fix the subscription")
	}
	values, err := payload.Decode(*cs.event, c.Parameters)
	if err != nil {
		return nil, fmt.Errorf("decode parameters: %w", err)
	}
	env := flow.Env{Clock: e.clk, Rand: e.cfg.Rand, HTTPClient: e.cfg.HTTPClient, Tracer: e.tracer, Log: func(msg string) {
		if ctx.Err() != nil {
			return // the attempt has ended: nothing of it shows any more
		}
		logs.add(msg)
		e.log.Info("flow log", "app", cs.app.Name, "event", cs.event.Ref().String(), "delivery_id", c.DeliveryID, "message", msg)
		if e.bus.Active() {
			n := deliveryNote(aboutClaim(cs, c), notify.FlowLogged, e.clk.Now(), attempt)
			n.Message = msg
			e.bus.Publish(n)
		}
	}}
	ft, err := cs.flow.Run(ctx, values, env)
	if err != nil {
		return nil, err
	}
	out := make([]Trigger, len(ft))
	for i, t := range ft {
		out[i] = Trigger{Event: t.Event, Values: t.Values, traceparent: t.Traceparent}
	}
	return out, nil
}

// succeed records a successful attempt with the occurrences the handler
// triggered, in one transaction. done is true when nothing more is to be
// done (recorded, or the claim was lost); an error means the triggers
// could not be accepted and the attempt must be recorded as failed. Each
// triggered occurrence keeps the traceparent of the flow step that
// triggered it, or attempt's (the attempt span's) for a Go handler's.
func (e *Engine) succeed(snap *snapshot, cs *compiled, c storage.Claim, rec delivery.Attempt, triggers []Trigger, attempt string) (done bool, err error) {
	depth := 0
	if len(triggers) > 0 {
		if depth, err = e.checkChainDepth(c, cs, triggers); err != nil {
			return false, err
		}
	}
	params := make([]storage.OccurrenceInsertParams, 0, len(triggers))
	events := make([]*design.Event, 0, len(triggers))
	var res dispatch.Reservation
	for _, t := range triggers {
		ev, ok := snap.idx.Event(design.EventRef{App: cs.app.Name, Event: t.Event})
		if !ok {
			res.Cancel()
			return false, fmt.Errorf("the handler triggered %s.%s, which is not an event of %s", cs.app.Name, t.Event, cs.app.Name)
		}
		raw, err := payload.CheckValues(*ev, t.Values, e.cfg.Limits)
		if err != nil {
			res.Cancel()
			return false, fmt.Errorf("the handler triggered %s with bad parameters: %w", ev.Ref(), err)
		}
		p := storage.OccurrenceInsertParams{
			EventID: ev.ID, AppID: ev.AppID, Parameters: raw,
			TraceID: c.TraceID, ParentDeliveryID: c.DeliveryID,
			CreatedAt: rec.FinishedAt, QueueCap: e.cfg.QueueCap,
			LeaseUntil: rec.FinishedAt.Add(e.cfg.LeaseDuration),
			// The chain stays in the producer's W3C trace, so a webhook
			// receiver down the chain joins the trace its root began, and
			// the new occurrence's spans are children of the step's.
			Traceparent: attempt,
		}
		if t.traceparent != "" {
			p.Traceparent = t.traceparent
		}
		var r dispatch.Reservation
		p.Deliveries, r = e.plan(snap, ev, raw)
		res.Add(r)
		params = append(params, p)
		events = append(events, ev)
	}
	rec.Outcome = delivery.OutcomeSucceeded
	out, err := e.st.DeliveryComplete(context.WithoutCancel(e.d.runCtx), &storage.DeliveryCompleteParams{
		DeliveryID: c.DeliveryID, Token: c.Token, Completion: storage.Succeeded(params...), Attempt: rec,
	})
	switch {
	case errors.Is(err, fault.ErrQueueFull):
		res.Cancel()
		return false, fmt.Errorf("the handler's triggered event was refused: %w", queueFullOf(err, events, e.cfg.QueueCap))
	case err != nil:
		res.Cancel()
		e.completionFailed(c, err)
		return true, nil
	}
	e.publishDelivery(cs, c, notify.DeliverySucceeded, rec.Number, "", time.Time{})
	for i := range out.Triggered {
		e.depths.put(out.Triggered[i].OccurrenceID, depth+1)
	}
	for i := range out.Triggered {
		e.publishOccurrence(events[i], &out.Triggered[i], c.DeliveryID)
		e.d.Inserted(&params[i], &out.Triggered[i])
	}
	return true, nil
}

// checkChainDepth refuses a handler's triggers that would make its chain
// deeper than MaxChainDepth occurrences (the triggered ones sit one below
// the handled occurrence). It returns the handled occurrence's depth.
func (e *Engine) checkChainDepth(c storage.Claim, cs *compiled, triggers []Trigger) (int, error) {
	limit := e.cfg.MaxChainDepth
	depth, err := e.chainDepth(c)
	if err != nil {
		return 0, fmt.Errorf("read the chain's depth: %w", err)
	}
	if depth+1 <= limit {
		return depth, nil
	}
	return 0, fault.New(fault.ErrInvalid, "chain_too_deep", fmt.Sprintf(
		"the handler triggered %s.%s, which would be occurrence %d of its chain (trace %d); a chain may be at most %d deep (the engine's MaxChainDepth). "+
			"A flow that triggers its own event, directly or round a cycle of apps, stops here: give the trigger step a when that ends the cycle",
		cs.app.Name, triggers[0].Event, depth+1, c.TraceID, limit))
}

// chainDepth is the depth of the occurrence c handles: 1 for a root (its
// id is its trace's), else from the depths remembered for occurrences
// this engine triggered, else read from the store. Only the store is the
// truth; the memory spares a read per link of a chain.
func (e *Engine) chainDepth(c storage.Claim) (int, error) {
	if c.OccurrenceID == c.TraceID {
		return 1, nil
	}
	if d, ok := e.depths.get(c.OccurrenceID); ok {
		return d, nil
	}
	return e.st.OccurrenceDepth(context.WithoutCancel(e.d.runCtx), c.OccurrenceID, e.cfg.MaxChainDepth)
}

// depthMemo remembers the chain depth of occurrences this engine
// triggered, so the depth check of their deliveries needs no read. It
// forgets everything when full (maxDepthMemo entries): a miss only costs
// the read.
type depthMemo struct {
	mu sync.Mutex
	m  map[int64]int
}

// maxDepthMemo bounds the memo: 100,000 entries are a few MB, more than
// the occurrences in flight at once under the default queue caps.
const maxDepthMemo = 100_000

func (d *depthMemo) get(id int64) (int, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[id]
	return v, ok
}

func (d *depthMemo) put(id int64, depth int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= maxDepthMemo {
		d.m = make(map[int64]int)
	}
	d.m[id] = depth
}

// fail records a failed attempt: retrying after the schedule's wait (or
// at notBefore, a receiver's Retry-After, when that is later), or dead
// after the last retry. The schedule counts the failures since it
// last started over (a replay sets the claim's ScheduleBase), so a
// replayed delivery gets every retry again, waiting 2, 4, 8... minutes.
func (e *Engine) fail(cs *compiled, c storage.Claim, rec delivery.Attempt, notBefore time.Time) {
	if err := e.failAt(cs, c, rec, time.Time{}, notBefore); err != nil {
		e.completionFailed(c, err)
	}
}

// failAt is fail with the next attempt at at instead of after the
// schedule's wait when at is not zero (a pull worker's release with a
// delay), and not before notBefore (a webhook receiver's Retry-After);
// dead still follows the schedule. It publishes the outcome, or returns
// the completion's error (fault.ErrLeaseLost when the claim was lost)
// with nothing published.
func (e *Engine) failAt(cs *compiled, c storage.Claim, rec delivery.Attempt, at, notBefore time.Time) error {
	wait, dead := e.schedule.Next(rec.Number - c.ScheduleBase)
	var next time.Time
	switch {
	case dead:
	case !at.IsZero():
		next = at
	default:
		next = rec.FinishedAt.Add(wait)
		if notBefore.After(next) {
			next = notBefore
		}
	}
	completion := storage.Retrying(next)
	if dead {
		completion = storage.Dead()
	}
	p := &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Completion: completion, Attempt: rec}
	if _, err := e.st.DeliveryComplete(context.WithoutCancel(e.d.runCtx), p); err != nil {
		return err
	}
	if dead {
		e.log.Warn("delivery dead", "app", cs.app.Name, "event", cs.event.Ref().String(), "delivery_id", c.DeliveryID, "attempts", rec.Number, "error", rec.Error)
		e.publishDelivery(cs, c, notify.DeliveryDead, rec.Number, rec.Error, time.Time{})
		e.deadAlert(cs, c.DeliveryID, rec.Number, rec.Error)
		return nil
	}
	e.publishDelivery(cs, c, notify.DeliveryFailed, rec.Number, rec.Error, next)
	e.d.RetryAt(c.SubscriptionID, next)
	return nil
}

// completionFailed logs a completion that could not be stored. A lost
// lease means another dispatcher owns the delivery now; anything else
// leaves it running until its lease expires and the sweeper returns it.
func (e *Engine) completionFailed(c storage.Claim, err error) {
	if errors.Is(err, fault.ErrLeaseLost) {
		e.log.Info("delivery completion dropped: lease lost", "delivery_id", c.DeliveryID)
		return
	}
	e.log.Error("record delivery attempt", "delivery_id", c.DeliveryID, "error", err)
}

// release hands a claim back without counting an attempt.
func (e *Engine) release(c storage.Claim) {
	err := e.st.DeliveryRelease(context.WithoutCancel(e.d.runCtx), &storage.DeliveryReleaseParams{Claims: []storage.Claim{c}, Now: e.clk.Now()})
	if err != nil {
		e.log.Error("release delivery", "delivery_id", c.DeliveryID, "error", err)
	}
}

// queueFullOf names the event whose queue refused a handler's triggers:
// the one event when the handler triggered one kind, else the list of
// those it triggered (the store does not say which of them was full).
func queueFullOf(err error, events []*design.Event, queueCap int) error {
	names := make([]string, 0, len(events))
	seen := map[design.EventRef]bool{}
	for _, ev := range events {
		if !seen[ev.Ref()] {
			seen[ev.Ref()] = true
			names = append(names, ev.Ref().String())
		}
	}
	if len(names) == 1 {
		return nameQueueFull(err, events[0].Ref(), queueCap)
	}
	return fault.New(fault.ErrQueueFull, "queue_full", fmt.Sprintf(
		"one of %s already has %d pending occurrences, its queue cap; try again once its handlers catch up, or raise the queue cap",
		strings.Join(names, ", "), queueCap))
}
