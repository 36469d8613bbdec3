package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/payload"
)

// Handler is a Go handler: a function a program embedding the engine
// registers by name (Config.Handlers) and a subscription of kind "go"
// names. It returns the events it triggers — the handling app's own events
// — and the engine commits them in the same transaction that marks the
// delivery succeeded, so they happen exactly once. A returned error fails
// the attempt (it is retried per the schedule). ctx ends at the handler
// timeout or on shutdown; a handler should return promptly then.
type Handler func(ctx context.Context, d *Delivery) ([]Trigger, error)

// Delivery is what a handler receives: one occurrence of Event handed to
// App, on its Attempt-th run.
type Delivery struct {
	ID           int64
	OccurrenceID int64
	TraceID      int64
	// App is the handling app.
	App   string
	Event design.EventRef
	// Attempt is 1 on the first run, 2 on the first retry, and so on.
	Attempt int
	// Parameters is the canonical JSON object of the event's parameters.
	Parameters json.RawMessage
	// TriggeredAt is when the occurrence was committed.
	TriggeredAt time.Time
	// Traceparent is the occurrence's W3C trace context (the span that
	// produced it; with tracing off, what the producer sent), empty when
	// none, so a handler can join the trace (cloudevent.Delivery carries
	// it on to webhooks and pull). The handler's ctx carries the
	// attempt's own span.
	Traceparent string

	event  *design.Event // the snapshot's, which no one changes
	values map[string]any
	err    error
}

// Values returns the parameters as Go values (string, int, float64, bool,
// time.Time); absent optional parameters hold their type's zero value.
// They are decoded on first use, so a handler that needs only the JSON (or
// nothing) does not pay for it.
func (d *Delivery) Values() (map[string]any, error) {
	if d.values == nil && d.err == nil {
		d.values, d.err = payload.Decode(*d.event, d.Parameters)
	}
	return d.values, d.err
}

// Value returns one parameter as a Go value (nil when the parameters
// cannot be decoded, which a stored occurrence never is).
func (d *Delivery) Value(name string) any {
	v, _ := d.Values()
	return v[name]
}

// Trigger is an event a handler triggers: Event names one of the handling
// app's own events; Values are checked against its parameters exactly like
// a producer's trigger.
//
// The triggered occurrence's spans are children of the attempt's span
// (ctx's current span when the handler runs).
type Trigger struct {
	Event  string
	Values map[string]any

	// traceparent is the flow trigger step's span, which the triggered
	// occurrence keeps instead of the attempt's.
	traceparent string
}
