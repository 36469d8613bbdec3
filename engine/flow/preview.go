package flow

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
)

// StepPreview is what one step of a flow would do for given parameters,
// worked out without doing it: no wait is waited, no event is triggered,
// no dice are rolled, no HTTP call is made.
type StepPreview struct {
	// Step is the step's index, from 0.
	Step int `json:"step"`
	// Type is the step's type.
	Type design.StepType `json:"type"`
	// Outcome says what the step would do: "log", "wait", "trigger",
	// "fail" (certain), "may_fail" (a probability below 1), "http" (a
	// call it would make, not made: Message is "would POST <url>"), "skip" (its
	// when is false) or "error" (an expression failed; the run would fail
	// here).
	Outcome string `json:"outcome"`
	// Message is the rendered log or fail message, the wait's length, or
	// the error.
	Message string `json:"message,omitempty"`
	// Trigger is the event a trigger step would trigger, with its values.
	Trigger *Trigger `json:"trigger,omitempty"`
}

// Preview evaluates every step over params as Run would, under the same
// budgets, and says what each would do instead of doing it. It stops
// after a step that would certainly fail or whose expression fails, as
// the run would; a step that may fail is reported and the preview goes
// on, as the run would when the dice spare it.
func (f *Flow) Preview(ctx context.Context, params map[string]any, clk clock.Clock) []StepPreview {
	if clk == nil {
		clk = clock.Real()
	}
	vars := f.vars(params, clk)
	var out []StepPreview
	for i, s := range f.steps {
		p := StepPreview{Step: i, Type: s.typ}
		fail := func(err error) []StepPreview {
			p.Outcome, p.Message = "error", err.Error()
			return append(out, p)
		}
		if s.when != nil {
			ok, err := s.when.bool(ctx, vars)
			if err != nil {
				return fail(fmt.Errorf("when: %w", err))
			}
			if !ok {
				p.Outcome = "skip"
				out = append(out, p)
				continue
			}
		}
		switch s.typ {
		case design.StepLog:
			msg, err := render(ctx, s.msg, vars)
			if err != nil {
				return fail(err)
			}
			p.Outcome, p.Message = "log", msg
		case design.StepWait:
			p.Outcome, p.Message = "wait", s.wait.String()
		case design.StepTrigger:
			t, err := s.trigger(ctx, vars)
			if err != nil {
				return fail(err)
			}
			p.Outcome, p.Trigger = "trigger", &t
		case design.StepFail:
			msg, err := render(ctx, s.msg, vars)
			if err != nil {
				return fail(err)
			}
			p.Message = msg
			if s.prob < 1 {
				p.Outcome = "may_fail"
				p.Message = fmt.Sprintf("%s (probability %g)", msg, s.prob)
				break
			}
			p.Outcome = "fail"
			return append(out, p)
		case design.StepHTTP:
			req, err := s.http.render(ctx, vars)
			if err != nil {
				return fail(err)
			}
			p.Outcome, p.Message = "http", "would "+req.method+" "+req.url
		}
		out = append(out, p)
	}
	return out
}
