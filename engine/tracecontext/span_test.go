package tracecontext

import (
	"context"
	"testing"
)

func TestSpanContextRoundTrip(t *testing.T) {
	for _, tp := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", // not sampled
	} {
		sc, ok := SpanContext(tp)
		if !ok || !sc.IsRemote() || Format(sc) != tp {
			t.Errorf("SpanContext(%q) = %v, ok %v, remote %v; formats back as %q", tp, sc, ok, sc.IsRemote(), Format(sc))
		}
		if got := FromContext(WithParent(context.Background(), tp)); got != tp {
			t.Errorf("FromContext(WithParent(%q)) = %q", tp, got)
		}
	}
	if _, ok := SpanContext("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"); ok {
		t.Error("a zero parent id gave a span context")
	}
	if got := FromContext(WithParent(context.Background(), "junk")); got != "" {
		t.Errorf("FromContext after an invalid traceparent = %q, want empty", got)
	}
}
