// Package cloudevent turns a delivery into the CloudEvents 1.0 event a real
// service receives, by webhook or by pull, so both carry exactly the same
// envelope. It builds on the CloudEvents Go SDK's event type rather than a
// hand-written struct, so the attribute rules (names, types, the JSON
// format) are the SDK's, not ours.
package cloudevent

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/engine/tracecontext"
)

// ContentType is the media type of a structured-mode CloudEvent.
const ContentType = "application/cloudevents+json"

// Delivery is what the envelope is built from: one delivery of one
// occurrence.
type Delivery struct {
	// ID is the delivery's id: stable across its attempts, so a receiver
	// de-duplicates retries by the CloudEvent's id.
	ID int64
	// OccurrenceID and TraceID place the delivery in its chain.
	OccurrenceID int64
	TraceID      int64
	// Producer and Event name the event type; Producer is the source.
	Producer string
	Event    string
	// Time is when the occurrence was committed.
	Time time.Time
	// Parameters is the occurrence's canonical JSON object.
	Parameters json.RawMessage
	// Traceparent is the W3C trace context the producer sent, if any; the
	// envelope carries it on (with this delivery as the parent span), or
	// one derived from TraceID when the producer sent none.
	Traceparent string
	// Span is the traceparent of the span the delivery is made in (a
	// webhook attempt's, when tracing records one); when set, the
	// envelope carries it as it is instead of deriving one, so the
	// receiver's spans are children of that span.
	Span string
}

// Extension attribute names Eventloom adds besides traceparent.
const (
	// ExtOccurrence is the occurrence id: several deliveries (one per
	// subscriber) share it.
	ExtOccurrence = "eloccurrence"
	// ExtTrace is Eventloom's trace id, the chain the console shows.
	ExtTrace = "eltrace"
)

// New builds the CloudEvent for d.
func New(d Delivery) (event.Event, error) {
	ev := event.New()
	ev.SetID(strconv.FormatInt(d.ID, 10))
	ev.SetSource(d.Producer)
	ev.SetType(d.Producer + "." + d.Event)
	ev.SetTime(d.Time)
	if err := ev.SetData(event.ApplicationJSON, json.RawMessage(d.Parameters)); err != nil {
		return event.Event{}, fmt.Errorf("cloudevent for delivery %d: %w", d.ID, err)
	}
	ev.SetExtension("traceparent", Traceparent(d))
	ev.SetExtension(ExtOccurrence, strconv.FormatInt(d.OccurrenceID, 10))
	ev.SetExtension(ExtTrace, strconv.FormatInt(d.TraceID, 10))
	if err := ev.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("cloudevent for delivery %d: %w", d.ID, err)
	}
	return ev, nil
}

// Structured is d's CloudEvent in structured JSON mode, the body of a
// webhook POST (Content-Type ContentType).
func Structured(d Delivery) ([]byte, error) {
	ev, err := New(d)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}

// ValidTraceparent reports whether s is a W3C traceparent (version 00) with
// a trace id and parent id that are not all zeros.
func ValidTraceparent(s string) bool { return tracecontext.Valid(s) }

// Traceparent is the W3C trace context a delivery passes on: the
// producer's trace id when it sent a valid traceparent, else one derived
// from Eventloom's trace id, so a receiver's spans join one trace per
// chain either way; the parent span is the delivery itself. A valid
// d.Span is passed on unchanged.
func Traceparent(d Delivery) string {
	if tracecontext.Valid(d.Span) {
		return d.Span
	}
	traceID := fmt.Sprintf("%032x", d.TraceID)
	flags := "01"
	if tid, _, fl, ok := tracecontext.Parse(d.Traceparent); ok {
		traceID, flags = tid, fl
	}
	return fmt.Sprintf("00-%s-%016x-%s", traceID, d.ID, flags)
}
