package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/flow"
	"github.com/eventloom/eventloom/engine/payload"
)

// DryRun is what a trigger would do, worked out without doing it:
// nothing is stored and nobody is notified.
type DryRun struct {
	// Event is the event that would be triggered ("Producer.Event").
	Event string `json:"event"`
	// Parameters are the checked parameters as they would be stored.
	Parameters json.RawMessage `json:"parameters"`
	// Subscriptions lists every subscription of the event, in the
	// design's order, and what each would do.
	Subscriptions []DryRunSubscription `json:"subscriptions"`
}

// DryRunSubscription is one subscription's part of a dry run.
type DryRunSubscription struct {
	// App is the handling app.
	App string `json:"app"`
	// Handler is the handler's kind (flow, go, ...).
	Handler design.HandlerKind `json:"handler"`
	// Delivery says whether the occurrence would get a delivery for it
	// (a disabled subscription gets none).
	Delivery bool `json:"delivery"`
	// Note says why not, or that the delivery would wait (paused).
	Note string `json:"note,omitempty"`
	// Steps is what a flow handler would do, step by step (evaluated,
	// not run: no wait, no trigger, no dice).
	Steps []flow.StepPreview `json:"steps,omitempty"`
	// Refusals are the engine's objections to the events the flow would
	// trigger (a parameter its rules refuse); the attempt would fail.
	Refusals []string `json:"refusals,omitempty"`
}

// TriggerDryRun checks a trigger exactly as Trigger does (the same
// refusals, except a full queue, which only the real insert can tell)
// and says which subscriptions would get a delivery and what each flow
// would log and trigger.
func (e *Engine) TriggerDryRun(ctx context.Context, req TriggerRequest) (DryRun, error) {
	snap := e.snap.Load()
	ev, raw, err := e.checkTrigger(snap, req)
	if err != nil {
		return DryRun{}, fmt.Errorf("dry run of %s: %w", req.Event, err)
	}
	out := DryRun{Event: ev.Ref().String(), Parameters: raw, Subscriptions: []DryRunSubscription{}}
	values, err := payload.Decode(*ev, raw)
	if err != nil {
		return DryRun{}, fmt.Errorf("dry run of %s: decode parameters: %w", req.Event, err)
	}
	for _, s := range snap.idx.SubscriptionsOf(ev.ID) {
		cs := snap.subs[s.ID]
		r := DryRunSubscription{App: s.App, Handler: s.Handler.Kind, Delivery: s.Enabled}
		switch {
		case !s.Enabled:
			r.Note = "disabled: no delivery is created"
		case e.filteredOut(cs, ev, raw):
			r.Delivery = false
			r.Note = fmt.Sprintf("filtered out: the filter %s is false for these parameters, so no delivery is created", cs.filter)
		case s.Paused:
			r.Note = "paused: the delivery would wait until the subscription is resumed"
		}
		if r.Delivery && s.Handler.Kind == design.KindFlow {
			if cs == nil || cs.flow == nil {
				r.Refusals = append(r.Refusals, "the flow does not compile against the current design; fix the subscription")
			} else {
				r.Steps = cs.flow.Preview(ctx, values, e.clk)
				r.Refusals = e.previewRefusals(snap, s.App, r.Steps)
			}
		}
		out.Subscriptions = append(out.Subscriptions, r)
	}
	return out, nil
}

// previewRefusals checks the events a previewed flow would trigger as the
// completion would: each against its event's parameter rules.
func (e *Engine) previewRefusals(snap *snapshot, app string, steps []flow.StepPreview) []string {
	var out []string
	for _, st := range steps {
		if st.Trigger == nil {
			continue
		}
		ev, ok := snap.idx.Event(design.EventRef{App: app, Event: st.Trigger.Event})
		if !ok {
			out = append(out, fmt.Sprintf("step %d: %s has no event %s", st.Step+1, app, st.Trigger.Event))
			continue
		}
		if _, err := payload.CheckValues(*ev, st.Trigger.Values, e.cfg.Limits); err != nil {
			out = append(out, fmt.Sprintf("step %d: %s.%s would be refused: %v", st.Step+1, app, st.Trigger.Event, err))
		}
	}
	return out
}
