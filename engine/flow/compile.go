package flow

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/payload"
)

// MaxWait bounds a wait step. A run longer than the handler timeout (2
// minutes by default) fails anyway; a day is room for a raised timeout
// without letting a typo park a delivery for a year.
const MaxWait = 24 * time.Hour

// DefaultFailMessage is a fail step's message when it has none.
const DefaultFailMessage = "failed by design"

// OwnEvents finds one of the handling app's own events by name; a trigger
// step may trigger only those (DESIGN.md: a flow triggers the handling
// app's own events).
type OwnEvents func(name string) (design.Event, bool)

// Flow is a compiled flow handler. It is immutable and safe for concurrent
// use by any number of runs.
type Flow struct {
	params []design.Parameter // of the handled event, to build a run's variables
	steps  []step
}

// step is one compiled step.
type step struct {
	typ  design.StepType
	when *program // nil: always
	// msg is the log message, or the fail message.
	msg []part
	// wait is the wait step's duration.
	wait time.Duration
	// target and params are the trigger step's event and mappings, in the
	// event's parameter order.
	target design.Event
	params []mapping
	// prob is the fail step's probability, in (0, 1].
	prob float64
	// http is the http step's request.
	http *httpCall
}

// program is a compiled expression with its source, for messages: prog,
// the metered program a run evaluates, and typ, the type the checker gave
// the expression as written.
type program struct {
	src  string
	prog *vm.Program
	typ  reflect.Type
}

// part is a literal piece of a template, or an expression rendered into it.
type part struct {
	text string
	expr *program
}

// mapping computes one parameter of a triggered event.
type mapping struct {
	param design.Parameter
	expr  *program
}

// nowName is the function expressions call for the current time. It reads
// the run's clock rather than the wall clock, so runs are deterministic
// under a fake clock; a parameter of the same name hides it.
const nowName = "now"

// compiler holds what every expression of one flow is checked against.
type compiler struct {
	handled design.Event
	env     map[string]any
	errs    fault.List
}

// Compile checks every step of h, a flow handler of a subscription that
// handles the event handled, and compiles its expressions against the
// handled event's parameters (typed as payload.ZeroValues gives them).
//
// A mistake is refused now, not at run time: the error is a fault.List of
// ErrInvalid *fault.Error with Field like "handler.steps[2].parameters.Amount"
// and Code one of "expression" (does not compile, or is empty where one is
// needed), "unknown_event" (a trigger of an event own does not know),
// "unknown_parameter" and "missing_parameter" (a trigger's mapping names a
// parameter the event lacks, or leaves a mandatory one out), "wrong_type"
// (a mapping whose type cannot fit its parameter), "required" (a log step
// without a message, a trigger step without an event) and "invalid_value"
// (an unknown step type, a wait outside (0, MaxWait], a probability
// outside [0, 1], a handler that is not a flow).
//
// Every step may have When, a boolean expression: the step runs only when
// it is true (empty means always). For a fail step this is its condition;
// on a trigger step it picks which events a run triggers. An empty step
// list is a flow that does nothing and succeeds.
func Compile(h design.Handler, handled design.Event, own OwnEvents) (*Flow, error) {
	if h.Kind != design.KindFlow {
		return nil, fault.List{fault.Field("handler.kind", "invalid_value", fmt.Sprintf("a %q handler has no steps to compile; only a flow handler does", h.Kind))}
	}
	c := &compiler{handled: handled, env: compileEnv(handled)}
	f := &Flow{params: handled.Parameters, steps: make([]step, 0, len(h.Steps))}
	for i, s := range h.Steps {
		f.steps = append(f.steps, c.step(fmt.Sprintf("handler.steps[%d]", i), s, own))
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return f, nil
}

// compileEnv is the variables expressions are checked against: a zero
// value of each parameter, and now.
func compileEnv(ev design.Event) map[string]any {
	env := payload.ZeroValues(ev)
	if _, ok := env[nowName]; !ok {
		env[nowName] = func() time.Time { return time.Time{} }
	}
	return env
}

func (c *compiler) fail(field, code, msg string) {
	c.errs = append(c.errs, fault.Field(field, code, msg))
}

func (c *compiler) step(field string, s design.Step, own OwnEvents) step {
	out := step{typ: s.Type}
	if strings.TrimSpace(s.When) != "" {
		out.when = c.expr(field+".when", s.When, "the condition", expr.AsBool())
	}
	switch s.Type {
	case design.StepLog:
		if s.Message == "" {
			c.fail(field+".message", "required", `a log step needs a message, e.g. "Reserving {{ Quantity }} items"`)
		}
		out.msg = c.template(field+".message", s.Message)
	case design.StepWait:
		d := time.Duration(s.Duration)
		if d <= 0 || d > MaxWait {
			c.fail(field+".duration", "invalid_value", fmt.Sprintf("a wait of %v is out of range; use a duration above 0 and at most %v, e.g. 5s or 2m", d, MaxWait))
		}
		out.wait = d
	case design.StepTrigger:
		out.target, out.params = c.trigger(field, s, own)
	case design.StepFail:
		p := s.Probability
		switch {
		case math.IsNaN(p) || p < 0 || p > 1:
			c.fail(field+".probability", "invalid_value", fmt.Sprintf("a probability of %v is out of range; use 0 to 1, such as 0.1 for one run in ten (0 means always)", p))
		case p == 0:
			p = 1
		}
		out.prob = p
		msg := s.Message
		if strings.TrimSpace(msg) == "" {
			msg = DefaultFailMessage
		}
		out.msg = c.template(field+".message", msg)
	case design.StepHTTP:
		out.http = c.httpStep(field, s)
	default:
		c.fail(field+".type", "invalid_value", fmt.Sprintf("%q is not a step type; use log, wait, trigger, fail or http", s.Type))
	}
	return out
}

// trigger checks a trigger step: its event is one of the app's own, and
// its mappings name that event's parameters, cover the mandatory ones and
// give values of fitting types.
func (c *compiler) trigger(field string, s design.Step, own OwnEvents) (design.Event, []mapping) {
	if s.Event == "" {
		c.fail(field+".event", "required", "a trigger step needs the name of one of the handling app's own events")
		return design.Event{}, nil
	}
	var target design.Event
	ok := false
	if own != nil {
		target, ok = own(s.Event)
	}
	if !ok {
		c.fail(field+".event", "unknown_event", fmt.Sprintf("the handling app has no event %q; a flow may trigger only its own app's events (names are case-sensitive; create the event in the app first)", s.Event))
		return design.Event{}, nil
	}
	var maps []mapping
	for _, p := range target.Parameters {
		pf := field + ".parameters." + p.Name
		src, mapped := s.Parameters[p.Name]
		if !mapped || strings.TrimSpace(src) == "" {
			if p.Mandatory {
				c.fail(pf, "missing_parameter", fmt.Sprintf("%s needs %s (%s, mandatory); map it to an expression, e.g. %s", target.Name, p.Name, p.Type, c.example(p)))
			}
			continue
		}
		prog := c.expr(pf, src, "the expression for "+p.Name)
		if prog == nil {
			continue
		}
		if t := prog.typ; !fits(p.Type, t) {
			c.fail(pf, "wrong_type", fmt.Sprintf("%s.%s is %s %s, but the expression %q gives %s; %s", target.Name, p.Name, article(p.Type), p.Type, src, typeName(t), convertHint(p.Type, src)))
			continue
		}
		maps = append(maps, mapping{param: p, expr: prog})
	}
	var unknown []string
	for name := range s.Parameters {
		if _, ok := target.Param(name); !ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		c.fail(field+".parameters."+name, "unknown_parameter", fmt.Sprintf("%s has no parameter %q; remove the mapping%s", target.Name, name, paramList(target)))
	}
	return target, maps
}

// example suggests an expression for p: a handled parameter of the same
// name, or a literal of p's type.
func (c *compiler) example(p design.Parameter) string {
	if h, ok := c.handled.Param(p.Name); ok && fits(p.Type, reflect.TypeOf(payload.Zero(h.Type))) {
		return p.Name
	}
	switch p.Type {
	case design.Integer, design.LongInteger:
		return "1"
	case design.Decimal, design.Currency:
		return "9.99"
	case design.Boolean:
		return "true"
	case design.Date:
		return `"2026-03-01"`
	case design.Time:
		return `"14:30"`
	case design.DateTime:
		return "now()"
	case design.Email:
		return `"ana@example.com"`
	case design.PhoneNumber:
		return `"+1 555 010 9999"`
	}
	return `"text"`
}

// template compiles a message whose {{ expr }} parts are expressions.
func (c *compiler) template(field, s string) []part {
	var parts []part
	lit := func(t string) {
		if t == "" {
			return
		}
		if n := len(parts); n > 0 && parts[n-1].expr == nil {
			parts[n-1].text += t
			return
		}
		parts = append(parts, part{text: t})
	}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			lit(s)
			return parts
		}
		lit(s[:i])
		rest := s[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			c.fail(field, "expression", fmt.Sprintf("the message has a {{ without a closing }} (before %q); close it, e.g. {{ Quantity }}", clip(rest)))
			return parts
		}
		src := strings.TrimSpace(rest[:j])
		if src == "" {
			c.fail(field, "expression", "the message has an empty {{ }}; put an expression inside, e.g. {{ Quantity }}")
		} else if prog := c.expr(field, src, "the expression"); prog != nil {
			parts = append(parts, part{expr: prog})
		}
		s = rest[j+2:]
	}
}

// expr compiles src against the handled event's parameters; on a mistake
// it records a fault at field and returns nil. what names the expression
// in messages.
func (c *compiler) expr(field, src, what string, opts ...expr.Option) *program {
	if strings.TrimSpace(src) == "" {
		c.fail(field, "expression", fmt.Sprintf("%s is empty; write an expression over %s", what, c.vars()))
		return nil
	}
	// Not optimized, so checkCost sees the loops as written (the metered
	// program's patches keep the optimizer from folding them away).
	typed, err := compileExpr(src, c.env, append([]expr.Option{expr.MaxNodes(MaxExprNodes), expr.Optimize(false)}, opts...)...)
	if err != nil {
		if strings.Contains(err.Error(), "maximum allowed nodes") {
			c.fail(field, "too_complex", fmt.Sprintf("%s has more than %d parts (names, operators, literals); split the work across steps or simplify it", what, MaxExprNodes))
			return nil
		}
		c.fail(field, "expression", fmt.Sprintf("%s %q does not compile: %s; write an expression over %s, e.g. %s", what, src, oneLine(err), c.vars(), c.sample()))
		return nil
	}
	if err := checkCost(typed.Node()); err != nil {
		c.fail(field, "too_costly", fmt.Sprintf("%s %q costs too much to run for every delivery: %v", what, clip(src), err))
		return nil
	}
	// The program a run evaluates is compiled again with the budget
	// patches, which leave types the checker could not tell; the typed
	// compile above is what checks what the designer wrote.
	metered, err := compileExpr(src, c.runEnv(), budgetOptions()...)
	if err != nil {
		c.fail(field, "expression", fmt.Sprintf("%s %q cannot be run within its budgets: %s; simplify it", what, src, oneLine(err)))
		return nil
	}
	return &program{src: src, prog: metered, typ: typed.Node().Type()}
}

// runEnv is the compile env with the meter a run puts in.
func (c *compiler) runEnv() map[string]any {
	env := make(map[string]any, len(c.env)+1)
	for k, v := range c.env {
		env[k] = v
	}
	env[meterName] = (*meter)(nil)
	return env
}

// compileExpr is expr.Compile with the flow's options, turning a panic of
// the library on odd input into an error.
func compileExpr(src string, env map[string]any, opts ...expr.Option) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("the expression could not be compiled (%v)", r)
		}
	}()
	all := append([]expr.Option{
		expr.Env(env),
		expr.DisableBuiltin(nowName),
		// No expr.Timezone: its patch makes date() fail at run time in
		// expr v1.17.8 (the location reaches the builtin dereferenced),
		// and without it date() parses a zoneless text as UTC anyway.
	}, opts...)
	return expr.Compile(src, all...)
}

// vars lists the parameters an expression may use.
func (c *compiler) vars() string {
	if len(c.handled.Parameters) == 0 {
		return "constants (" + c.handled.Name + " has no parameters)"
	}
	names := make([]string, len(c.handled.Parameters))
	for i, p := range c.handled.Parameters {
		names[i] = p.Name
	}
	return c.handled.Name + "'s parameters (" + strings.Join(names, ", ") + ")"
}

// sample is an example expression over the handled event.
func (c *compiler) sample() string {
	for _, p := range c.handled.Parameters {
		switch p.Type {
		case design.Integer, design.LongInteger, design.Decimal, design.Currency:
			return p.Name + " > 10"
		}
	}
	if len(c.handled.Parameters) > 0 {
		return c.handled.Parameters[0].Name
	}
	return `"a constant"`
}

func paramList(ev design.Event) string {
	if len(ev.Parameters) == 0 {
		return " (" + ev.Name + " has no parameters)"
	}
	names := make([]string, len(ev.Parameters))
	for i, p := range ev.Parameters {
		names[i] = p.Name
	}
	return " (its parameters are " + strings.Join(names, ", ") + ")"
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// fits reports whether a value of Go type t can be given to a parameter of
// type pt. An unknown type (nil or interface, as from a conditional with
// branches of different types) fits: Run checks the value itself.
func fits(pt design.ParamType, t reflect.Type) bool {
	if t == nil || t.Kind() == reflect.Interface {
		return true
	}
	switch pt {
	case design.Integer, design.LongInteger:
		return isInt(t)
	case design.Decimal, design.Currency:
		return isInt(t) || isFloat(t)
	case design.Boolean:
		return t.Kind() == reflect.Bool
	case design.Text, design.Email, design.PhoneNumber:
		return t.Kind() == reflect.String
	case design.Identifier:
		return t.Kind() == reflect.String || isInt(t)
	case design.Time, design.Date, design.DateTime:
		return t.Kind() == reflect.String || t == timeType
	}
	return false
}

func isInt(t reflect.Type) bool {
	if t == durationType {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func isFloat(t reflect.Type) bool {
	return t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64
}

// typeName says what a Go type is in the words of the product.
func typeName(t reflect.Type) string {
	switch {
	case t == nil:
		return "no value"
	case t == durationType:
		return "a duration"
	case t == timeType:
		return "a date and time"
	case isInt(t):
		return "a whole number"
	case isFloat(t):
		return "a number with a fraction"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "a list"
	case t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "a map"
	case t.Kind() == reflect.Func:
		return "a function (call it with ())"
	}
	return t.String()
}

// convertHint says how to make src give a value of type pt.
func convertHint(pt design.ParamType, src string) string {
	switch pt {
	case design.Integer, design.LongInteger:
		return fmt.Sprintf("convert it, e.g. int(%s) (/ always gives a fraction)", src)
	case design.Decimal, design.Currency:
		return fmt.Sprintf("convert it, e.g. float(%s)", src)
	case design.Boolean:
		return "use a comparison such as Quantity > 10"
	case design.Date, design.DateTime, design.Time:
		return `give text such as "2026-03-01" or a date such as date("2026-03-01")`
	}
	return fmt.Sprintf("convert it, e.g. string(%s)", src)
}

func article(t design.ParamType) string {
	if t != "" && strings.ContainsRune("AEIOU", rune(t[0])) {
		return "an"
	}
	return "a"
}

// oneLine is an expr error on one line: its message and where.
func oneLine(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Snippet != "" {
			return fmt.Sprintf("%s (at line %d, column %d)", fe.Message, fe.Line, fe.Column+1)
		}
		return fe.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// clip shortens s to 30 characters for a message.
func clip(s string) string {
	r := []rune(s)
	if len(r) <= 30 {
		return s
	}
	return string(r[:30]) + "…"
}
