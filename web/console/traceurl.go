package console

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// TraceIDPlaceholder is what a trace URL template (Config.TraceURL) names
// the W3C trace id by, as Jaeger's and Tempo's trace links take it.
const TraceIDPlaceholder = "{traceId}"

// CheckTraceURL refuses a trace URL template that would not link
// anywhere: it must be an http or https URL with a host and name the
// trace id by TraceIDPlaceholder. The error says how to write one.
func CheckTraceURL(tmpl string) error {
	example := "give one such as http://127.0.0.1:16686/trace/" + TraceIDPlaceholder
	if !strings.Contains(tmpl, TraceIDPlaceholder) {
		return fmt.Errorf("the trace URL %q has no %s for the trace id; %s", tmpl, TraceIDPlaceholder, example)
	}
	u, err := url.Parse(strings.ReplaceAll(tmpl, TraceIDPlaceholder, "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the trace URL %q is not an http or https URL with a host; %s", tmpl, example)
	}
	return nil
}

// externalTrace is the link from a trace page to the same trace in an
// external tracing UI, and the W3C trace id it names: the trace id of the
// first of occ with a traceparent (a chain keeps its root's). Both are
// empty when tmpl is, or no occurrence has a traceparent (tracing is off
// and the producer sent none).
func externalTrace(tmpl string, occ []delivery.Occurrence) (link, traceID string) {
	if tmpl == "" {
		return "", ""
	}
	for _, o := range occ {
		if tid, _, _, ok := tracecontext.Parse(o.Traceparent); ok {
			return strings.ReplaceAll(tmpl, TraceIDPlaceholder, tid), tid
		}
	}
	return "", ""
}
