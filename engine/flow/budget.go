package flow

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// The budgets of one evaluation of one expression. An expression is typed
// by a designer and runs inside the server for every delivery, so neither
// its size nor its work may be left to chance: without them a when with a
// few `let x = y + y` doublings allocates gigabytes, and nested loops keep
// a core busy long after the attempt was reported stopped.
const (
	// MaxExprNodes bounds an expression's syntax tree, checked at save.
	// 300 parts is several times the longest mapping of the demo design,
	// and small enough that an expression without loops is cheap.
	MaxExprNodes = 300
	// MaxExprLoopIterations bounds the work of the loops of one
	// evaluation (the bodies of map, filter, reduce, all, ... counted
	// together), checked while it runs and, for loops over constant
	// ranges, at save. A million iterations take some tens of
	// milliseconds: plenty for a flow step, a bound on a mistake.
	MaxExprLoopIterations = 1_000_000
	// MaxExprBytes bounds the bytes of text and lists one evaluation
	// builds (by +, repeat, replace, join, toJSON, concat, map, ...),
	// checked before a builder whose result can be far larger than its
	// inputs runs, and after the others. 4 MiB is 2,000 times the longest
	// Text parameter.
	MaxExprBytes = 4 << 20
	// MaxExprElements bounds the list and map elements one evaluation
	// creates (ranges, map, filter, concat, ...): expr's own memory
	// budget, in elements.
	MaxExprElements = 100_000
)

// BudgetError is an evaluation stopped because it went over one of its
// budgets. The run's step fails with it, and the delivery is retried and
// ends dead like any failure.
type BudgetError struct {
	// What names the budget: "loop iterations", "bytes of text and lists" or
	// "elements".
	What  string
	Limit int
}

// Error says which budget and how to stay within it.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("the expression went over its budget of %d %s per evaluation and was stopped; make it do less work (smaller ranges, fewer nested loops, shorter text)", e.Limit, e.What)
}

// meterName is the variable through which a run's meter reaches the
// budget functions patched into an expression. A designer cannot name it:
// the typed compile, which checks what a designer wrote, does not know it.
const meterName = "__meter"

// meter counts one evaluation's work against the budgets and stops it
// when its context ends (the handler's timeout, a shutdown).
type meter struct {
	ctx   context.Context
	loops int
	bytes int
}

// tick counts one loop iteration and checks the context every 64 (ctx.Err
// takes a lock; 64 iterations are microseconds).
func (m *meter) tick() error {
	m.loops++
	if m.loops > MaxExprLoopIterations {
		return &BudgetError{What: "loop iterations", Limit: MaxExprLoopIterations}
	}
	if m.loops&63 == 0 {
		if err := m.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// spend counts n bytes of text about to be built.
func (m *meter) spend(n int) error {
	if n < 0 || n > MaxExprBytes-m.bytes {
		return &BudgetError{What: "bytes of text and lists", Limit: MaxExprBytes}
	}
	m.bytes += n
	return m.ctx.Err()
}

func meterOf(v any) *meter {
	if m, ok := v.(*meter); ok && m != nil {
		return m
	}
	// Only a run puts a meter in; a program evaluated without one is a
	// mistake of this package, refused rather than run unbounded.
	panic("flow: expression evaluated without a meter")
}

// runBudgeted evaluates prog over vars under a fresh meter and expr's
// element budget.
func runBudgeted(ctx context.Context, prog *vm.Program, vars map[string]any) (any, error) {
	vars[meterName] = &meter{ctx: ctx}
	defer delete(vars, meterName)
	machine := vm.VM{MemoryBudget: MaxExprElements}
	v, err := machine.Run(prog, vars)
	if err != nil {
		var be *BudgetError
		switch {
		case errors.As(err, &be):
			return nil, be
		case strings.Contains(err.Error(), "memory budget exceeded"):
			return nil, &BudgetError{What: "elements", Limit: MaxExprElements}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
	}
	return v, err
}

// budgetOptions are the options of the program a run evaluates: the
// budget functions, and a patcher that routes every loop body, every +
// that may join text and every builtin that builds text, lists or maps
// through them.
func budgetOptions() []expr.Option {
	return []expr.Option{
		func(c *conf.Config) {
			for _, f := range budgetFunctions() {
				c.Functions[f.Name] = f
			}
		},
		expr.Patch(budgetPatcher{}),
	}
}

var (
	anyType    = reflect.TypeFor[any]()
	stringType = reflect.TypeFor[string]()
)

// builders are the builtins whose text result can be far larger than
// their inputs; their cost is estimated before they run.
var builders = map[string]func(args []any) int{
	"repeat": func(a []any) int {
		s, _ := a[0].(string)
		n := toInt(a[1])
		if n < 0 {
			return 0 // the builtin refuses it
		}
		if len(s) > 0 && n > MaxExprBytes/len(s) {
			return MaxExprBytes + 1
		}
		return len(s) * n
	},
	"replace": func(a []any) int {
		if len(a) < 3 {
			return 0 // the builtin refuses it
		}
		s, _ := a[0].(string)
		old, _ := a[1].(string)
		nw, _ := a[2].(string)
		k := len(s) + 1
		if old != "" {
			k = strings.Count(s, old)
		}
		return len(s) + k*len(nw)
	},
	"join": func(a []any) int {
		sep := ""
		if len(a) > 1 {
			sep, _ = a[1].(string)
		}
		n := sizeOf(a[0], MaxExprBytes+1)
		if l := reflect.ValueOf(a[0]); l.Kind() == reflect.Slice || l.Kind() == reflect.Array {
			n += l.Len() * len(sep)
		}
		return n
	},
	"toJSON": func(a []any) int { return 2 * sizeOf(a[0], MaxExprBytes+1) },
	"string": func(a []any) int { return sizeOf(a[0], MaxExprBytes+1) },
}

func toInt(v any) int {
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return int(rv.Int())
	case rv.CanUint():
		return int(rv.Uint())
	case rv.CanFloat():
		return int(rv.Float())
	}
	return 0
}

// budgetFunctions are the functions the patcher calls: __tick(meter, v)
// counts a loop iteration and gives v back; __plus(meter, a, b) is a + b
// with text counted; __build_<name>(meter, args...) is a builder, costed
// first; __count(meter, v) counts the text in a built value after the fact
// (a builtin that at most adds its inputs together: concat, upper, ...).
func budgetFunctions() []*builtin.Function {
	same := func(i int) func([]reflect.Type) (reflect.Type, error) {
		return func(args []reflect.Type) (reflect.Type, error) {
			if len(args) <= i {
				return anyType, nil
			}
			return args[i], nil
		}
	}
	fns := []*builtin.Function{
		{Name: "__tick", Validate: same(1), Func: func(args ...any) (any, error) {
			if err := meterOf(args[0]).tick(); err != nil {
				return nil, err
			}
			return args[1], nil
		}},
		{Name: "__count", Validate: same(1), Func: func(args ...any) (any, error) {
			m := meterOf(args[0])
			if err := m.spend(sizeOf(args[1], MaxExprBytes+1)); err != nil {
				return nil, err
			}
			return args[1], nil
		}},
		{Name: "__plus", Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) == 3 && args[1] == stringType && args[2] == stringType {
				return stringType, nil
			}
			return anyType, nil
		}, Func: func(args ...any) (any, error) {
			a, aok := args[1].(string)
			b, bok := args[2].(string)
			if aok && bok {
				if err := meterOf(args[0]).spend(len(a) + len(b)); err != nil {
					return nil, err
				}
				return a + b, nil
			}
			return runtime.Add(args[1], args[2]), nil
		}},
	}
	for name, cost := range builders {
		orig := builtinNamed(name)
		fns = append(fns, &builtin.Function{Name: "__build_" + name, Validate: func([]reflect.Type) (reflect.Type, error) { return stringType, nil },
			Func: func(args ...any) (any, error) {
				if err := meterOf(args[0]).spend(cost(args[1:])); err != nil {
					return nil, err
				}
				return orig(args[1:]...)
			}})
	}
	return fns
}

func builtinNamed(name string) func(args ...any) (any, error) {
	for _, f := range builtin.Builtins {
		if f.Name != name {
			continue
		}
		switch {
		case f.Func != nil:
			return f.Func
		case f.Safe != nil:
			return func(args ...any) (any, error) {
				v, _, err := f.Safe(args...)
				return v, err
			}
		case f.Fast != nil:
			return func(args ...any) (any, error) {
				if len(args) != 1 {
					return nil, fmt.Errorf("%s takes one argument, not %d", name, len(args))
				}
				return f.Fast(args[0]), nil
			}
		}
	}
	panic("flow: expr has no builtin " + name)
}

// counted are the builtins whose result is counted after they run:
// those that build text, lists or maps no larger than a small multiple of
// their inputs.
var counted = map[string]bool{
	"concat": true, "flatten": true, "uniq": true, "sort": true, "sortBy": true, "reverse": true,
	"keys": true, "values": true, "toPairs": true, "fromPairs": true, "groupBy": true,
	"split": true, "splitAfter": true, "upper": true, "lower": true, "trim": true, "trimPrefix": true,
	"trimSuffix": true, "fromJSON": true, "toBase64": true, "fromBase64": true, "map": true, "filter": true,
}

// budgetPatcher rewrites a checked tree so its run is metered. ast.Walk
// visits children first, so a node is patched after everything inside it.
type budgetPatcher struct{}

// Visit patches one node.
func (budgetPatcher) Visit(node *ast.Node) {
	m := func() ast.Node { return &ast.IdentifierNode{Value: meterName} }
	call := func(name string, args ...ast.Node) ast.Node {
		return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: append([]ast.Node{m()}, args...)}
	}
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		n.Node = call("__tick", n.Node)
	case *ast.BinaryNode:
		if n.Operator == "+" && mayBeText(n.Left) && mayBeText(n.Right) {
			ast.Patch(node, call("__plus", n.Left, n.Right))
		}
	case *ast.BuiltinNode:
		if _, ok := builders[n.Name]; ok {
			ast.Patch(node, call("__build_"+n.Name, n.Arguments...))
		} else if counted[n.Name] {
			ast.Patch(node, call("__count", n))
		}
	}
}

// mayBeText reports whether a node may give text: a string, or a type
// the checker could not tell.
func mayBeText(n ast.Node) bool {
	t := n.Type()
	return t == nil || t.Kind() == reflect.Interface || t.Kind() == reflect.String
}

// sizeOf estimates the bytes of text v renders to (strings by length, a
// number or other scalar as 8), giving up past limit.
func sizeOf(v any, limit int) int {
	n := 0
	var walk func(rv reflect.Value, depth int)
	walk = func(rv reflect.Value, depth int) {
		if n > limit || depth > 32 {
			n = limit + 1
			return
		}
		switch rv.Kind() {
		case reflect.Interface, reflect.Pointer:
			if rv.IsNil() {
				n += 4
				return
			}
			walk(rv.Elem(), depth+1)
		case reflect.String:
			n += rv.Len() + 2
		case reflect.Slice, reflect.Array:
			n += 2
			for i := 0; i < rv.Len() && n <= limit; i++ {
				walk(rv.Index(i), depth+1)
				n++
			}
		case reflect.Map:
			n += 2
			it := rv.MapRange()
			for it.Next() && n <= limit {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
				n += 2
			}
		case reflect.Invalid:
			n += 4
		default:
			n += 8
		}
	}
	walk(reflect.ValueOf(v), 0)
	return n
}

// checkCost refuses, at save, an expression whose cost is plain from its
// text: a constant range with more elements than MaxExprElements, loops
// over constant ranges nested so that they would run more than
// MaxExprLoopIterations times, or a repeat of constant text a constant
// number of times past MaxExprBytes. Costs that depend on parameters are
// bounded at run time.
func checkCost(root ast.Node) error {
	var err error
	ast.Walk(&root, visitFunc(func(n ast.Node) {
		if err != nil {
			return
		}
		switch x := n.(type) {
		case *ast.BinaryNode:
			if l, ok := rangeLen(x); ok && l > MaxExprElements {
				err = fmt.Errorf("the range %s has %d elements; a range may have at most %d", rangeText(x), l, MaxExprElements)
			}
		case *ast.BuiltinNode:
			if x.Name == "repeat" && len(x.Arguments) == 2 {
				s, ok1 := x.Arguments[0].(*ast.StringNode)
				k, ok2 := intConst(x.Arguments[1])
				if ok1 && ok2 && k > 0 && len(s.Value) > 0 && k > MaxExprBytes/len(s.Value) {
					err = fmt.Errorf("repeat builds %d×%d bytes of text; an expression may build at most %d", len(s.Value), k, MaxExprBytes)
				}
			}
			if w := loopWork(x); w > MaxExprLoopIterations {
				err = fmt.Errorf("its loops over constant ranges would run %d times; an evaluation may run at most %d loop iterations (use smaller ranges or fewer nested loops)", w, MaxExprLoopIterations)
			}
		}
	}))
	return err
}

// visitFunc adapts a function to ast.Visitor.
type visitFunc func(ast.Node)

// Visit calls f with the node.
func (f visitFunc) Visit(n *ast.Node) { f(*n) }

// loopWork is how many times the loops of b, a builtin, would run when it
// loops over a constant range (1 per iteration, times the loops inside
// its body); 0 when it is not such a loop.
func loopWork(b *ast.BuiltinNode) int {
	if len(b.Arguments) < 2 {
		return 0
	}
	pred, ok := b.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return 0
	}
	r, ok := b.Arguments[0].(*ast.BinaryNode)
	if !ok {
		return 0
	}
	n, ok := rangeLen(r)
	if !ok || n <= 0 {
		return 0
	}
	inner := 1
	body := pred.Node
	ast.Walk(&body, visitFunc(func(x ast.Node) {
		if bb, ok := x.(*ast.BuiltinNode); ok {
			if w := loopWork(bb); w > inner {
				inner = w
			}
		}
	}))
	if inner > MaxExprLoopIterations/n+1 {
		return MaxExprLoopIterations + 1
	}
	return n * inner
}

// rangeLen is the length of a..b when both ends are constants.
func rangeLen(b *ast.BinaryNode) (int, bool) {
	if b.Operator != ".." {
		return 0, false
	}
	from, ok1 := intConst(b.Left)
	to, ok2 := intConst(b.Right)
	if !ok1 || !ok2 || to < from {
		return 0, ok1 && ok2
	}
	return to - from + 1, true
}

func rangeText(b *ast.BinaryNode) string {
	from, _ := intConst(b.Left)
	to, _ := intConst(b.Right)
	return fmt.Sprintf("%d..%d", from, to)
}

// intConst reads an integer literal, negative ones included.
func intConst(n ast.Node) (int, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return x.Value, true
	case *ast.UnaryNode:
		if v, ok := intConst(x.Node); ok && x.Operator == "-" {
			return -v, true
		}
	}
	return 0, false
}
