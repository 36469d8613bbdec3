package engine

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// TracerName is the instrumentation scope of every span the engine makes.
const TracerName = "github.com/eventloom/eventloom/engine"

// The attributes Eventloom puts on its spans besides the messaging.*
// semantic conventions (README: Tracing lists them).
const (
	AttrEvent        = attribute.Key("eventloom.event")
	AttrApp          = attribute.Key("eventloom.app")
	AttrSubscription = attribute.Key("eventloom.subscription")
	AttrHandlerKind  = attribute.Key("eventloom.handler.kind")
	AttrAttempt      = attribute.Key("eventloom.attempt")
	AttrOutcome      = attribute.Key("eventloom.outcome")
	AttrOccurrenceID = attribute.Key("eventloom.occurrence.id")
	AttrDeliveryID   = attribute.Key("eventloom.delivery.id")
	AttrTraceID      = attribute.Key("eventloom.trace.id")
)

// messagingSystem names Eventloom as the messaging system of its spans.
const messagingSystem = "eventloom"

// startTrigger starts the producer span of a trigger of ref: the child of
// traceparent when the producer sent one, else of ctx's current span (a
// Go program's own), else a new trace's root. Its times come from the
// engine's clock, like every record the trigger writes.
func (e *Engine) startTrigger(ctx context.Context, ref design.EventRef, traceparent string) (context.Context, trace.Span) {
	if traceparent != "" {
		ctx = tracecontext.WithParent(context.WithoutCancel(ctx), traceparent)
	}
	ctx, span := e.tracer.Start(ctx, "trigger "+ref.String(), trace.WithSpanKind(trace.SpanKindProducer), trace.WithTimestamp(e.clk.Now()))
	if span.IsRecording() { // spares a no-op provider the attributes
		span.SetAttributes(
			semconv.MessagingSystemKey.String(messagingSystem),
			semconv.MessagingOperationTypeKey.String("send"),
			semconv.MessagingOperationName("trigger"),
			semconv.MessagingDestinationName(ref.String()),
			AttrEvent.String(ref.String()), AttrApp.String(ref.App),
		)
	}
	return ctx, span
}

// traceparentOf is what an occurrence stores as its traceparent: the
// span that produced it when that span is valid (it is recording, or
// carries a producer's context through a no-op tracer), else what the
// producer sent.
func traceparentOf(span trace.Span, sent string) string {
	if tp := tracecontext.Format(span.SpanContext()); tp != "" {
		return tp
	}
	return sent
}

// endTrigger ends a trigger's span: the occurrence it stored, or the
// refusal.
func (e *Engine) endTrigger(span trace.Span, res *TriggerResult, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.SetAttributes(AttrOutcome.String("refused"))
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else if res != nil {
		span.SetAttributes(AttrOutcome.String("stored"),
			semconv.MessagingMessageID(strconv.FormatInt(res.OccurrenceID, 10)),
			AttrOccurrenceID.Int64(res.OccurrenceID), AttrTraceID.Int64(res.TraceID))
	}
	span.End(trace.WithTimestamp(e.clk.Now()))
}

// startAttempt starts the consumer span of one attempt at c: the child of
// the occurrence's stored traceparent (the span that triggered it, kept
// across restarts), or a new trace's root when it has none.
func (e *Engine) startAttempt(cs *compiled, c storage.Claim, attempt int, at time.Time) trace.Span {
	ref := cs.ref
	ctx := tracecontext.WithParent(context.Background(), c.Traceparent)
	_, span := e.tracer.Start(ctx, cs.spanName, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(at))
	if !span.IsRecording() {
		return span // a no-op provider: no attributes to build
	}
	span.SetAttributes(
		semconv.MessagingSystemKey.String(messagingSystem),
		semconv.MessagingOperationTypeKey.String("process"),
		semconv.MessagingOperationName("process"),
		semconv.MessagingDestinationName(ref),
		semconv.MessagingDestinationSubscriptionName(cs.app.Name+" handles "+ref),
		semconv.MessagingConsumerGroupName(cs.app.Name),
		semconv.MessagingMessageID(strconv.FormatInt(c.OccurrenceID, 10)),
		AttrEvent.String(ref), AttrApp.String(cs.app.Name),
		AttrSubscription.String(cs.app.Name+" handles "+ref),
		AttrHandlerKind.String(string(cs.sub.Handler.Kind)),
		AttrAttempt.Int(attempt),
		AttrOccurrenceID.Int64(c.OccurrenceID), AttrDeliveryID.Int64(c.DeliveryID), AttrTraceID.Int64(c.TraceID),
	)
	return span
}

// endAttempt ends an attempt's span with its outcome (succeeded, failed,
// timed_out, or released when a shutdown cut it short).
func (e *Engine) endAttempt(span trace.Span, outcome delivery.Outcome, errText string, at time.Time) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(AttrOutcome.String(string(outcome)))
	if errText != "" {
		span.SetStatus(codes.Error, errText)
	}
	span.End(trace.WithTimestamp(at))
}
