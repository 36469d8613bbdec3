package console

import (
	"fmt"
	"sort"
	"strings"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/flow"
	"github.com/eventloom/eventloom/templates"
)

// dryRunView turns the engine's dry run into the words the event page
// shows.
func dryRunView(d engine.DryRun) *templates.DryRunResult {
	out := &templates.DryRunResult{}
	for _, s := range d.Subscriptions {
		v := templates.DryRunSubscription{App: s.App, Handler: string(s.Handler), Delivery: s.Delivery, Note: s.Note, Refusals: s.Refusals}
		for _, st := range s.Steps {
			v.Steps = append(v.Steps, stepInWords(st))
		}
		out.Subscriptions = append(out.Subscriptions, v)
	}
	return out
}

// stepInWords says what one previewed step would do.
func stepInWords(st flow.StepPreview) string {
	switch st.Outcome {
	case "log":
		return "logs “" + st.Message + "”"
	case "wait":
		return "waits " + st.Message + " (not waited in a dry run)"
	case "trigger":
		keys := make([]string, 0, len(st.Trigger.Values))
		for k := range st.Trigger.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%v", k, st.Trigger.Values[k])
		}
		return "triggers " + st.Trigger.Event + " with " + strings.Join(parts, ", ")
	case "skip":
		return string(st.Type) + " step skipped: its when is false"
	case "may_fail":
		return "may fail: " + st.Message
	case "http":
		return st.Message + " (not called in a dry run)"
	case "fail":
		return "fails: " + st.Message + " (the attempt would be retried)"
	default:
		return "stops with an error: " + st.Message
	}
}
