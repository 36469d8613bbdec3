package flow_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
)

// doubling is the expression that allocated gigabytes: eleven doublings
// of 900,000 bytes of text (1.8 GB at the end) in a when.
func doubling() string {
	var b strings.Builder
	b.WriteString(`let x0 = repeat(Note + "x", 900000); `)
	for i := 1; i <= 11; i++ {
		b.WriteString("let x" + itoa(i) + " = x" + itoa(i-1) + " + x" + itoa(i-1) + "; ")
	}
	b.WriteString("len(x11) > 0")
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestCompileRefusesCostlyExpressions: what is plainly too costly is
// refused at save with the step and field named.
func TestCompileRefusesCostlyExpressions(t *testing.T) {
	long := "Quantity" + strings.Repeat(" + Quantity", 200)
	cases := []struct {
		name, when, code, inMessage string
	}{
		{"too many nodes", long + " > 0", "too_complex", "more than 300 parts"},
		{"nested loops over constant ranges", `reduce(1..100000, #acc + reduce(1..100000, #acc + #, 0), 0) > 0`, "too_costly", "would run"},
		{"three nested loops", `all(1..200, all(1..200, all(1..200, # > 0)))`, "too_costly", "would run"},
		{"a huge range", `len(1..1000000000) > 0`, "too_costly", "1..1000000000"},
		{"a huge repeat", `len(repeat("xy", 10000000)) > 0`, "too_costly", "repeat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := flow.Compile(handler(
				design.Step{Type: design.StepLog, Message: "ok"},
				design.Step{Type: design.StepLog, Message: "x", When: c.when},
			), purchase, own)
			all := fault.All(err)
			if len(all) != 1 || all[0].Field != "handler.steps[1].when" || all[0].Code != c.code || !strings.Contains(all[0].Message, c.inMessage) {
				t.Fatalf("err = %v, want %s at handler.steps[1].when mentioning %q", err, c.code, c.inMessage)
			}
		})
	}
	// Bounded loops and ordinary expressions still compile.
	mustCompile(t, handler(design.Step{Type: design.StepLog, Message: "{{ reduce(1..100, #acc + #, 0) }} {{ join(map(1..10, string(#)), \",\") }}",
		When: "all(1..100, all(1..100, # > 0))"}))
}

// TestRunStopsExpressionsOverBudget: what only turns out costly at run
// time is stopped by its budget, and the step fails naming it.
func TestRunStopsExpressionsOverBudget(t *testing.T) {
	cases := []struct {
		name   string
		step   design.Step
		budget string
	}{
		{"doubling text", design.Step{Type: design.StepLog, Message: "x", When: doubling()}, "bytes of text and lists"},
		{"loops over a parameter", design.Step{Type: design.StepLog, Message: "x",
			When: `let r = 1..Quantity; reduce(r, #acc + reduce(r, #acc + #, 0), 0) > 0`}, "loop iterations"},
		{"repeat by a parameter", design.Step{Type: design.StepLog, Message: "{{ len(repeat(\"abc\", Quantity * 1000)) }}"}, "bytes of text and lists"},
		{"join of shared text", design.Step{Type: design.StepLog, Message: "{{ len(join(map(1..50000, repeat(\"y\", Quantity)), \"\")) }}"}, "bytes of text and lists"},
		{"replace blowing up", design.Step{Type: design.StepLog, Message: "{{ len(replace(repeat(\"a\", Quantity), \"\", repeat(\"b\", Quantity))) }}"}, "bytes of text and lists"},
		{"a range from a parameter", design.Step{Type: design.StepLog, Message: "{{ len(1..Quantity * 10) }}"}, "elements"},
		{"ranges made in a loop", design.Step{Type: design.StepLog, Message: "{{ reduce(1..Quantity, #acc + len(1..Quantity), 0) }}"}, "elements"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustCompile(t, handler(c.step, design.Step{Type: design.StepLog, Message: "after"}))
			p := params()
			p["Quantity"] = 100000
			switch c.name {
			case "replace blowing up", "loops over a parameter":
				p["Quantity"] = 3000
			}
			var logged []string
			_, err := f.Run(context.Background(), p, flow.Env{Clock: clock.NewFake(time.Now()), Log: func(m string) { logged = append(logged, m) }})
			var se *flow.StepError
			var be *flow.BudgetError
			if !errors.As(err, &se) || se.Step != 0 || !errors.As(err, &be) || be.What != c.budget {
				t.Fatalf("err = %v, want step 0 over its %s budget", err, c.budget)
			}
			if !strings.Contains(err.Error(), "budget") {
				t.Fatalf("message %q does not say it went over its budget", err)
			}
			if len(logged) != 0 {
				t.Fatalf("steps ran after the stopped one: %q", logged)
			}
		})
	}
}

// TestRunStopsWhenItsContextEnds: a long loop stops when the attempt
// ends (the handler's timeout), and no later step runs.
func TestRunStopsWhenItsContextEnds(t *testing.T) {
	// Under the iteration budget, but long enough to still be running.
	f := mustCompile(t, handler(
		design.Step{Type: design.StepLog, Message: "{{ let r = 1..Quantity; reduce(r, #acc + reduce(r, #acc + #, 0), 0) }}"},
		design.Step{Type: design.StepLog, Message: "after"},
	))
	p := params()
	p["Quantity"] = 900
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the attempt has ended before the evaluation's first check
	var logged []string
	_, err := f.Run(ctx, p, flow.Env{Log: func(m string) { logged = append(logged, m) }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(logged) != 0 {
		t.Fatalf("steps ran after the attempt ended: %q", logged)
	}
	// The same run with a live context completes: the loop is within
	// budget, so it was the context that stopped it.
	if _, err := f.Run(context.Background(), p, flow.Env{Log: func(m string) { logged = append(logged, m) }}); err != nil || len(logged) != 2 {
		t.Fatalf("uncancelled run = %v, logged %q", err, logged)
	}
}

// TestRunCommonExpressionsUnderBudget: the budget patches leave ordinary
// expressions giving what they gave before (text joins, loops, methods on
// times, builtins that build lists and text).
func TestRunCommonExpressionsUnderBudget(t *testing.T) {
	cases := []struct{ src, want string }{
		{"PlacedAt.Year()", "2026"},
		{`date("2026-03-01").Format("Jan 2")`, "Mar 1"},
		{`date("2026-03-01 10:00:00").Hour()`, "10"},
		{`upper(ProductId) + "x"`, "P-7x"},
		{`join(map(split(ProductId + ",a", ","), trim(#)), ";")`, "P-7;a"},
		{"filter(1..10, # % 2 == 0)[1]", "4"},
		{`string(Quantity) + " items"`, "3 items"},
		{"[1,2,3] | map(# * Quantity) | sum()", "18"},
		{`let x = ProductId + "y"; x + x`, "P-7yP-7y"},
		{"reduce(1..3, #acc + #)", "6"},
		{`sortBy([{"a": 2}, {"a": 1}], .a)[0].a`, "1"},
		{`PlacedAt + duration("1h")`, "2026-03-01T15:30:00Z"},
		{`repeat("ab", 3) + replace("aXb", "X", "-")`, "abababa-b"},
		{"concat([1], [2, 3])[2]", "3"},
		{`ProductId + "-" + CustomerEmail`, "P-7-ana@example.com"},
		{"count(1..10, # > 5) + len(toJSON([1, 2]))", "17"},
	}
	for _, c := range cases {
		f, err := flow.Compile(handler(design.Step{Type: design.StepLog, Message: "{{ " + c.src + " }}"}), purchase, own)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		var got string
		if _, err := f.Run(context.Background(), params(), flow.Env{Log: func(m string) { got = m }}); err != nil {
			t.Errorf("%s: run: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.src, got, c.want)
		}
	}
}
