package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/dispatch"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// TriggerRequest is one triggering of an event. Exactly one of JSON,
// Values and Form carries the parameters (all empty means none).
type TriggerRequest struct {
	// Caller is the app triggering (from its API key). Only the event's
	// owner may trigger it. Empty means an operator (console, admin token)
	// acting as the owner.
	Caller string
	Event  design.EventRef
	// JSON is the parameters as a JSON object, checked on its raw size
	// before it is parsed.
	JSON json.RawMessage
	// Values is the parameters as Go values (a Go program).
	Values map[string]any
	// Form is the parameters as strings (a browser form).
	Form map[string]string
	// Traceparent is the W3C trace context the producer sent (the
	// CloudEvents distributed-tracing extension or the HTTP traceparent
	// header); empty means none. It is kept on the occurrence so its
	// deliveries carry the producer's trace on; one that is not a valid
	// traceparent is refused.
	Traceparent string
}

// TriggerResult says what a trigger stored.
type TriggerResult struct {
	OccurrenceID int64 `json:"occurrenceId"`
	TraceID      int64 `json:"traceId"`
	// Deliveries is how many deliveries were created (one per enabled
	// subscription).
	Deliveries int `json:"deliveries"`
}

// Trigger checks and stores one occurrence of an event with a delivery to
// every enabled subscriber, in one transaction, and returns once it is
// committed. Refusals are *fault.Error (or a fault.List of every parameter
// error): fault.ErrNotFound for an unknown event, fault.ErrForbidden when
// Caller is not the owner, fault.ErrTooLarge over the payload limit,
// fault.ErrInvalid for parameters, fault.ErrQueueFull when the event
// already has QueueCap pending occurrences — in every case nothing is
// stored.
//
// The trigger is a span of Config.TracerProvider (the child of
// req.Traceparent, or of ctx's span), and the occurrence keeps that
// span's traceparent, so its deliveries' spans are its children.
func (e *Engine) Trigger(ctx context.Context, req TriggerRequest) (TriggerResult, error) {
	ctx, span := e.startTrigger(ctx, req.Event, req.Traceparent)
	res, err := e.trigger(ctx, req, traceparentOf(span, req.Traceparent))
	if err != nil {
		err = e.refuse(req, err)
		e.endTrigger(span, nil, err)
		return TriggerResult{}, err
	}
	e.endTrigger(span, &res, nil)
	return res, nil
}

// trigger stores req's occurrence with traceparent, its trigger span's.
func (e *Engine) trigger(ctx context.Context, req TriggerRequest, traceparent string) (TriggerResult, error) {
	if e.d.isClosed() {
		return TriggerResult{}, ErrClosed
	}
	snap := e.snap.Load()
	ev, raw, err := e.checkTrigger(snap, req)
	if err != nil {
		return TriggerResult{}, err
	}
	p, r := e.insertParams(snap, ev, raw, traceparent)
	// Not cancelled with the caller: once queued, the write may commit, and
	// its claimed deliveries must reach their pools rather than wait out
	// their lease.
	out, err := e.st.OccurrenceInsert(context.WithoutCancel(ctx), p)
	if err != nil {
		r.Cancel()
		return TriggerResult{}, nameQueueFull(err, ev.Ref(), e.cfg.QueueCap)
	}
	// Published before the deliveries are handed out, so a viewer sees
	// the occurrence before any of its deliveries starts.
	e.publishOccurrence(ev, out, 0)
	e.d.Inserted(p, out)
	return TriggerResult{OccurrenceID: out.OccurrenceID, TraceID: out.TraceID, Deliveries: len(out.Deliveries)}, nil
}

// insertParams is the insert of one checked occurrence of ev, with its
// deliveries planned (and pool room reserved for those created claimed:
// the caller cancels the reservation when the insert is refused).
func (e *Engine) insertParams(snap *snapshot, ev *design.Event, raw json.RawMessage, traceparent string) (*storage.OccurrenceInsertParams, dispatch.Reservation) {
	now := e.clk.Now()
	p := &storage.OccurrenceInsertParams{
		EventID:     ev.ID,
		AppID:       ev.AppID,
		Parameters:  raw,
		CreatedAt:   now,
		QueueCap:    e.cfg.QueueCap,
		LeaseUntil:  now.Add(e.cfg.LeaseDuration),
		Traceparent: traceparent,
	}
	var r dispatch.Reservation
	p.Deliveries, r = e.plan(snap, ev, raw)
	return p, r
}

// checkTrigger makes every check a trigger makes before it is stored:
// the event exists, the caller owns it, the parameters keep the rules.
// It returns the event and the parameters as they would be stored.
func (e *Engine) checkTrigger(snap *snapshot, req TriggerRequest) (*design.Event, json.RawMessage, error) {
	ev, ok := snap.idx.Event(req.Event)
	if !ok {
		return nil, nil, unknownEvent(req.Event)
	}
	if req.Caller != "" && req.Caller != ev.App {
		return nil, nil, &fault.Error{Kind: fault.ErrForbidden, Code: "not_owner", Field: "app",
			Message: fmt.Sprintf("%s may not trigger %s: only its owner %s may trigger it (handle it with a subscription instead)", req.Caller, req.Event, ev.App)}
	}
	if req.Traceparent != "" && !tracecontext.Valid(req.Traceparent) {
		return nil, nil, &fault.Error{Kind: fault.ErrInvalid, Code: "bad_traceparent", Field: "traceparent",
			Message: fmt.Sprintf("traceparent %q is not a W3C trace context: send 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags> (ids not all zeros), or leave it out", req.Traceparent)}
	}
	raw, err := e.checkParams(ev, req)
	return ev, raw, err
}

// checkParams turns whichever form of parameters req carries into the
// canonical JSON of ev's parameters.
func (e *Engine) checkParams(ev *design.Event, req TriggerRequest) (json.RawMessage, error) {
	switch {
	case req.JSON != nil:
		return payload.CheckJSON(*ev, req.JSON, e.cfg.Limits)
	case req.Form != nil:
		return payload.CheckForm(*ev, req.Form, e.cfg.Limits)
	default:
		return payload.CheckValues(*ev, req.Values, e.cfg.Limits)
	}
}

// publishOccurrence tells the bus an occurrence was committed.
func (e *Engine) publishOccurrence(ev *design.Event, out *storage.OccurrenceInsertResult, parent int64) {
	if !e.bus.Active() {
		return
	}
	n := notify.Note{
		Kind:             notify.OccurrenceTriggered,
		At:               e.clk.Now(),
		TraceID:          out.TraceID,
		OccurrenceID:     out.OccurrenceID,
		ParentDeliveryID: parent,
		App:              ev.App,
		Event:            ev.Ref().String(),
		Deliveries:       len(out.Deliveries),
	}
	e.bus.Publish(n)
}

// publishRefusal tells the bus a trigger was refused. An event that does
// not exist is published with an empty Event, so a caller's made-up names
// never become metric labels.
func (e *Engine) publishRefusal(req TriggerRequest, err error) {
	if !e.bus.Active() {
		return
	}
	n := notify.Note{Kind: notify.TriggerRefused, At: e.clk.Now(), Reason: refusalReason(err), Error: err.Error()}
	if ev, ok := e.snap.Load().idx.Event(req.Event); ok {
		n.App, n.Event = ev.App, ev.Ref().String()
	}
	e.bus.Publish(n)
}

// refusalReason names err's kind from a fixed set (see notify.Note.Reason).
func refusalReason(err error) string {
	switch {
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, fault.ErrNotFound):
		return "not_found"
	case errors.Is(err, fault.ErrForbidden):
		return "forbidden"
	case errors.Is(err, fault.ErrTooLarge):
		return "too_large"
	case errors.Is(err, fault.ErrQueueFull):
		return "queue_full"
	case errors.Is(err, fault.ErrInvalid):
		return "invalid"
	}
	return "error"
}

// nameQueueFull rewrites a queue-full refusal of the store, which knows
// events by id only, to name the event as its producer knows it
// (Storefront.OnPurchaseStarted); other errors pass through.
func nameQueueFull(err error, ref design.EventRef, queueCap int) error {
	if !errors.Is(err, fault.ErrQueueFull) {
		return err
	}
	return fault.New(fault.ErrQueueFull, "queue_full", fmt.Sprintf(
		"%s already has %d pending occurrences, its queue cap; nothing was stored. Try again once its handlers catch up, or raise the queue cap",
		ref, queueCap))
}
