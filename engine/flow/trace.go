package flow

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/design"
)

// The attributes of a step's span, beside the engine's eventloom.* ones
// on the attempt's span.
const (
	attrStepIndex = attribute.Key("eventloom.step.index")
	attrStepType  = attribute.Key("eventloom.step.type")
	attrOutcome   = attribute.Key("eventloom.outcome")
)

// startStep starts the span of step i, a child of ctx's span: a producer
// span for a trigger step (it produces an occurrence), a client span for
// an http step, an internal one otherwise. Its times come from the run's
// clock.
func startStep(ctx context.Context, env Env, i int, s step) (context.Context, trace.Span) {
	name := "flow " + string(s.typ)
	kind := trace.SpanKindInternal
	attrs := []attribute.KeyValue{attrStepIndex.Int(i), attrStepType.String(string(s.typ))}
	switch s.typ {
	case design.StepTrigger:
		ref := s.target.Ref().String()
		name += " " + ref
		kind = trace.SpanKindProducer
		attrs = append(attrs, semconv.MessagingSystemKey.String("eventloom"), semconv.MessagingOperationTypeKey.String("send"),
			semconv.MessagingOperationName("trigger"), semconv.MessagingDestinationName(ref))
	case design.StepHTTP:
		name += " " + s.http.method
		kind = trace.SpanKindClient
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(s.http.method))
	}
	return env.Tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(env.Clock.Now()), trace.WithAttributes(attrs...))
}

// endStep ends a step's span with its outcome: ok, or the error that
// ended the run (failed; an http step's answer status kept).
func endStep(span trace.Span, env Env, err error) {
	if err == nil {
		span.SetAttributes(attrOutcome.String("ok"))
	} else {
		span.SetAttributes(attrOutcome.String("failed"))
		if he := (*HTTPError)(nil); errors.As(err, &he) {
			span.SetAttributes(semconv.HTTPResponseStatusCode(he.Status))
		}
		span.SetStatus(codes.Error, err.Error())
	}
	span.End(trace.WithTimestamp(env.Clock.Now()))
}
