package tracecontext

import (
	"context"
	"encoding/hex"

	"go.opentelemetry.io/otel/trace"
)

// SpanContext is the OpenTelemetry span context a traceparent names, marked
// remote (it was made elsewhere: by a producer, or by this engine before a
// restart); ok is false when tp is not a valid traceparent (see Parse).
func SpanContext(tp string) (sc trace.SpanContext, ok bool) {
	tid, pid, flags, ok := Parse(tp)
	if !ok {
		return trace.SpanContext{}, false
	}
	var cfg trace.SpanContextConfig
	if _, err := hex.Decode(cfg.TraceID[:], []byte(tid)); err != nil {
		return trace.SpanContext{}, false
	}
	if _, err := hex.Decode(cfg.SpanID[:], []byte(pid)); err != nil {
		return trace.SpanContext{}, false
	}
	var f [1]byte
	if _, err := hex.Decode(f[:], []byte(flags)); err != nil {
		return trace.SpanContext{}, false
	}
	cfg.TraceFlags = trace.TraceFlags(f[0])
	cfg.Remote = true
	return trace.NewSpanContext(cfg), true
}

// WithParent returns ctx carrying the span tp names as its current span,
// so a span started from it is tp's child; ctx is returned as it is when
// tp is empty or not valid.
func WithParent(ctx context.Context, tp string) context.Context {
	sc, ok := SpanContext(tp)
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// Format is sc as a traceparent (version 00); empty when sc is not valid.
// Only the sampled flag is kept, as W3C Trace Context version 00 defines
// no other.
func Format(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + (sc.TraceFlags() & trace.FlagsSampled).String()
}

// FromContext is the traceparent of ctx's current span; empty when ctx
// has none.
func FromContext(ctx context.Context) string {
	return Format(trace.SpanContextFromContext(ctx))
}
