package engine

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/dispatch"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// MaxTriggerBatch is the most items one TriggerBatch takes: 500, as a
// batch of the largest payloads (10 KB each) stays near 5 MB, one
// request's worth, and one transaction of it stays short.
const MaxTriggerBatch = 500

// TriggerOutcome is what became of one item of a TriggerBatch: exactly
// one of Result (committed) and Err (refused, nothing of it stored) is
// set. Err is the same error a single Trigger of the item would return.
type TriggerOutcome struct {
	Result *TriggerResult
	Err    error
}

// TriggerBatch checks every request as Trigger does and commits the
// accepted ones together, in one storage transaction, so a producer's
// batch is stored all at once or (on a storage failure) not at all. Each
// item is refused alone for its own reasons; the queue cap counts the
// items accepted before it, so when an event's queue fills partway the
// earlier items are accepted and the later ones refused with
// fault.ErrQueueFull. It returns one outcome per request, in order; the
// error is for the batch as a whole (over MaxTriggerBatch items, the
// engine closed, the store failing), and then nothing was stored.
func (e *Engine) TriggerBatch(ctx context.Context, reqs []TriggerRequest) ([]TriggerOutcome, error) {
	if len(reqs) > MaxTriggerBatch {
		return nil, fault.New(fault.ErrTooLarge, "batch_too_large", fmt.Sprintf(
			"a batch holds at most %d items; got %d: split it into several batches", MaxTriggerBatch, len(reqs)))
	}
	if e.d.isClosed() {
		return nil, ErrClosed
	}
	snap := e.snap.Load()
	out := make([]TriggerOutcome, len(reqs))
	// Each item is a trigger span of its own, as a single Trigger is.
	spans := make([]trace.Span, len(reqs))
	for i, req := range reqs {
		_, spans[i] = e.startTrigger(ctx, req.Event, req.Traceparent)
	}
	defer func() {
		for i, span := range spans {
			e.endTrigger(span, out[i].Result, out[i].Err)
		}
	}()
	params := make([]*storage.OccurrenceInsertParams, 0, len(reqs))
	idx := make([]int, 0, len(reqs))
	res := make([]dispatch.Reservation, 0, len(reqs))
	for i, req := range reqs {
		ev, raw, err := e.checkTrigger(snap, req)
		if err != nil {
			out[i].Err = e.refuse(req, err)
			continue
		}
		p, r := e.insertParams(snap, ev, raw, traceparentOf(spans[i], req.Traceparent))
		params, idx, res = append(params, p), append(idx, i), append(res, r)
	}
	if len(params) == 0 {
		return out, nil
	}
	// Not cancelled with the caller, as in Trigger: once queued, the
	// write may commit, and its claimed deliveries must reach their pools.
	stored, err := e.st.OccurrenceInsertBatch(context.WithoutCancel(ctx), params)
	if err == nil && len(stored) != len(params) {
		err = fmt.Errorf("the store answered %d outcomes for %d items", len(stored), len(params))
	}
	if err != nil {
		for _, r := range res {
			r.Cancel()
		}
		err = fmt.Errorf("trigger batch of %d: %w", len(reqs), err)
		for i := range out {
			if out[i].Err == nil {
				out[i].Err = err
			}
		}
		return nil, err
	}
	for j, o := range stored {
		i, p := idx[j], params[j]
		ev, _ := snap.idx.Event(reqs[i].Event)
		if o.Err != nil {
			res[j].Cancel()
			out[i].Err = e.refuse(reqs[i], nameQueueFull(o.Err, ev.Ref(), e.cfg.QueueCap))
			continue
		}
		e.publishOccurrence(ev, o.Result, 0)
		e.d.Inserted(p, o.Result)
		out[i].Result = &TriggerResult{OccurrenceID: o.Result.OccurrenceID, TraceID: o.Result.TraceID, Deliveries: len(o.Result.Deliveries)}
	}
	return out, nil
}

// refuse publishes a refused trigger and wraps its error as Trigger does.
func (e *Engine) refuse(req TriggerRequest, err error) error {
	e.publishRefusal(req, err)
	return fmt.Errorf("trigger %s: %w", req.Event, err)
}
