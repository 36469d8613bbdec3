package flow

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// Env is what a run may touch, injected so tests are deterministic.
type Env struct {
	// Clock drives wait steps (Clock.AfterFunc) and now() in expressions;
	// nil means the wall clock.
	Clock clock.Clock
	// Rand returns a number in [0, 1) for fail probabilities; nil means
	// math/rand/v2's Float64.
	Rand func() float64
	// Log receives each log step's rendered message, and a line for each
	// http step's answer; nil drops them.
	Log func(message string)
	// HTTPClient makes http steps' calls under the run's context (the
	// handler timeout); the engine passes its Config.HTTPClient, the
	// outbound guard's by default. Nil fails every http step that runs.
	HTTPClient *http.Client
	// Tracer makes a span of each step that runs, a child of ctx's span
	// (the attempt's); nil makes none. A trigger step's span becomes the
	// parent of the occurrence it triggers (Trigger.Traceparent), and an
	// http step sends its span's traceparent header.
	Tracer trace.Tracer
}

func (e Env) withDefaults() Env {
	if e.Clock == nil {
		e.Clock = clock.Real()
	}
	if e.Rand == nil {
		e.Rand = rand.Float64
	}
	if e.Log == nil {
		e.Log = func(string) {}
	}
	if e.Tracer == nil {
		e.Tracer = noop.NewTracerProvider().Tracer("")
	}
	return e
}

// Trigger is an event a run asks to trigger: one of the handling app's own
// events by name, with values keyed by parameter name as the expressions
// gave them (absent optional parameters left out). The engine checks them
// with payload.CheckValues, like any producer's.
type Trigger struct {
	Event  string         `json:"event"`
	Values map[string]any `json:"values"`
	// Traceparent is the span of the step that triggered it (see
	// Env.Tracer), which the triggered occurrence keeps as its parent;
	// empty when there is no trace to join.
	Traceparent string `json:"-"`
}

// FailError is a fail step that fired: the run fails with the step's
// rendered message, and the delivery is retried like any failure.
type FailError struct {
	// Step is the index of the fail step in the handler's steps.
	Step int
	// Message is the step's message, rendered.
	Message string
}

// Error returns the step's message with where it came from.
func (e *FailError) Error() string {
	return fmt.Sprintf("fail step %d: %s", e.Step, e.Message)
}

// StepError is a step that could not run: an expression failed at run
// time (say, a division by zero) or gave a value its target parameter
// cannot take. Err says what; Unwrap returns it.
type StepError struct {
	// Step is the index of the step in the handler's steps.
	Step int
	Type design.StepType
	Err  error
}

// Error names the step and what went wrong.
func (e *StepError) Error() string {
	return fmt.Sprintf("step %d (%s): %v", e.Step, e.Type, e.Err)
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// exprError is an expression that failed at run time.
type exprError struct {
	src string
	err error
}

func (e *exprError) Error() string {
	return fmt.Sprintf("the expression %q failed: %s", e.src, oneLine(e.err))
}

func (e *exprError) Unwrap() error { return e.err }

// checkLimits checks a trigger's values for type and format only; the
// engine applies its configured sizes when it accepts the triggers.
var checkLimits = payload.Limits{MaxPayloadBytes: math.MaxInt, MaxTextLength: math.MaxInt}

// Run executes the steps in order over params, the handled event's
// parameters as payload.Decode gives them (a missing one counts as its
// zero value). It returns the triggers the steps collected, which take
// effect only if the whole run succeeds: the engine commits them with the
// delivery's success. Otherwise it returns a *FailError for a fail step
// that fired, ctx.Err() when ctx ends (a wait or a call is interrupted at
// once), or a *StepError for an expression that failed at run time or an
// http step whose call failed (wrapping an *HTTPError for a status other
// than 2xx, or the network's or the outbound guard's error). An http
// step's call is made when the step runs, so a later step that fails
// does not take it back.
//
// Every expression runs under the budgets of budget.go and stops when ctx
// ends; a *StepError wrapping a *BudgetError reports one that went over.
func (f *Flow) Run(ctx context.Context, params map[string]any, env Env) ([]Trigger, error) {
	out, err := f.run(ctx, params, env)
	if err != nil && ctx.Err() != nil {
		// Whatever step was cut short, the run ended with its context.
		return nil, ctx.Err()
	}
	return out, err
}

func (f *Flow) run(ctx context.Context, params map[string]any, env Env) ([]Trigger, error) {
	env = env.withDefaults()
	vars := f.vars(params, env.Clock)
	var out []Trigger
	for i, s := range f.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.when != nil {
			ok, err := s.when.bool(ctx, vars)
			if err != nil {
				return nil, &StepError{Step: i, Type: s.typ, Err: fmt.Errorf("when: %w", err)}
			}
			if !ok {
				continue
			}
		}
		sctx, span := startStep(ctx, env, i, s)
		t, err := s.run(sctx, i, vars, env)
		endStep(span, env, err)
		if err != nil {
			return nil, err
		}
		if t != nil {
			// The triggered occurrence is the step span's child.
			t.Traceparent = tracecontext.Format(span.SpanContext())
			out = append(out, *t)
		}
	}
	return out, nil
}

// run runs one step whose when held; a trigger step returns its trigger.
func (s step) run(ctx context.Context, i int, vars map[string]any, env Env) (*Trigger, error) {
	switch s.typ {
	case design.StepLog:
		msg, err := render(ctx, s.msg, vars)
		if err != nil {
			return nil, &StepError{Step: i, Type: s.typ, Err: err}
		}
		if err := ctx.Err(); err != nil {
			return nil, err // the attempt ended: nothing more of it is done
		}
		env.Log(msg)
	case design.StepWait:
		if err := sleep(ctx, env.Clock, s.wait); err != nil {
			return nil, err
		}
	case design.StepTrigger:
		t, err := s.trigger(ctx, vars)
		if err != nil {
			return nil, &StepError{Step: i, Type: s.typ, Err: err}
		}
		return &t, nil
	case design.StepFail:
		if s.prob < 1 && env.Rand() >= s.prob {
			return nil, nil
		}
		msg, err := render(ctx, s.msg, vars)
		if err != nil {
			return nil, &StepError{Step: i, Type: s.typ, Err: err}
		}
		return nil, &FailError{Step: i, Message: msg}
	case design.StepHTTP:
		req, err := s.http.render(ctx, vars)
		if err != nil {
			return nil, &StepError{Step: i, Type: s.typ, Err: err}
		}
		line, err := req.call(ctx, env.HTTPClient)
		if err != nil {
			return nil, &StepError{Step: i, Type: s.typ, Err: err}
		}
		env.Log(line)
	}
	return nil, nil
}

// vars builds a run's variables: every handled parameter, in the Go type
// it was compiled against, and now on the run's clock.
func (f *Flow) vars(params map[string]any, clk clock.Clock) map[string]any {
	vars := make(map[string]any, len(f.params)+1)
	for _, p := range f.params {
		vars[p.Name] = coerce(p.Type, params[p.Name])
	}
	if _, ok := vars[nowName]; !ok {
		vars[nowName] = func() time.Time { return clk.Now().UTC() }
	}
	return vars
}

// coerce turns v into the Go type expressions were compiled against for a
// parameter of type t (int for whole numbers, float64 for decimals), so a
// Go caller's int64 or int32 does not trip the compiled program; nil
// becomes the zero value.
func coerce(t design.ParamType, v any) any {
	zero := payload.Zero(t)
	if v == nil {
		return zero
	}
	rv := reflect.ValueOf(v)
	switch zero.(type) {
	case int:
		switch {
		case rv.CanInt():
			return int(rv.Int())
		case rv.CanUint() && rv.Uint() <= math.MaxInt:
			return int(rv.Uint())
		case rv.CanFloat() && rv.Float() == math.Trunc(rv.Float()) && math.Abs(rv.Float()) < 1<<63:
			return int(rv.Float())
		}
	case float64:
		switch {
		case rv.CanFloat():
			return rv.Float()
		case rv.CanInt():
			return float64(rv.Int())
		case rv.CanUint():
			return float64(rv.Uint())
		}
	}
	return v
}

// run evaluates the expression under its budgets; it stops when ctx
// ends, returning ctx.Err() unwrapped so Run reports the attempt's end
// rather than a failed step.
func (p *program) run(ctx context.Context, vars map[string]any) (any, error) {
	v, err := runBudgeted(ctx, p.prog, vars)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &exprError{src: p.src, err: err}
	}
	return v, nil
}

func (p *program) bool(ctx context.Context, vars map[string]any) (bool, error) {
	v, err := p.run(ctx, vars)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("the condition %q gave %s, not true or false", p.src, describe(v))
	}
	return b, nil
}

// trigger computes the step's values and checks them against the target
// event's types and formats, so a bad value fails this step by name
// rather than the whole delivery later.
func (s step) trigger(ctx context.Context, vars map[string]any) (Trigger, error) {
	vals := make(map[string]any, len(s.params))
	for _, m := range s.params {
		v, err := m.expr.run(ctx, vars)
		if err != nil {
			return Trigger{}, fmt.Errorf("%s.%s: %w", s.target.Name, m.param.Name, err)
		}
		if v == nil {
			if m.param.Mandatory {
				return Trigger{}, fmt.Errorf("%s.%s is mandatory, but the expression %q gave no value (nil)", s.target.Name, m.param.Name, m.expr.src)
			}
			continue
		}
		if !fits(m.param.Type, reflect.TypeOf(v)) {
			return Trigger{}, fmt.Errorf("%s.%s is %s %s, but the expression %q gave %s", s.target.Name, m.param.Name, article(m.param.Type), m.param.Type, m.expr.src, describe(v))
		}
		vals[m.param.Name] = v
	}
	if _, err := payload.CheckValues(s.target, vals, checkLimits); err != nil {
		return Trigger{}, fmt.Errorf("%s: %w", s.target.Name, err)
	}
	return Trigger{Event: s.target.Name, Values: vals}, nil
}

// render fills a template's expressions in.
func render(ctx context.Context, parts []part, vars map[string]any) (string, error) {
	var b strings.Builder
	for _, p := range parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.run(ctx, vars)
		if err != nil {
			return "", err
		}
		b.WriteString(format(v))
	}
	return b.String(), nil
}

// format shows a value in a message: as fmt's %v, but a time in RFC 3339,
// nil as nothing, and a float without an exponent (1500000, not 1.5e+06)
// to at most 15 significant digits, all a float64 holds faithfully, so
// 19.99*100000 shows as 1999000 rather than 1998999.9999999998.
func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339)
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64, bits int) string {
	if bits == 64 {
		f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	}
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// describe shows a run-time value and its type in an error.
func describe(v any) string {
	if v == nil {
		return "no value (nil)"
	}
	s := format(v)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%s (%s)", strconv.Quote(s), typeName(reflect.TypeOf(v)))
}

// sleep waits d on clk, or until ctx ends.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	done := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}
