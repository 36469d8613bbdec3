package flow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
)

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"Quantity > 10", "Amount * 1.2", `"restock " + ProductId`, "Quantity +", "now()",
		`date("2026-03-01")`, "Quantity % 0", "1..1000000", `repeat("x", 1000000)`, "nil",
		"{{ }}", "}}{{", `Quantity > 1 ? 1 : "x"`, "$env", `$env["Amount"]`, "let x = 1; x + Quantity",
		"map(1..3, # * Quantity)", "CustomerEmail matches \"(\"", "PlacedAt.Year()", "Note[5:]",
		// Costly ones: refused at compile, or stopped by a budget at run.
		`let a = repeat(Note + "x", 900000); let b = a + a; let c = b + b; len(c + c) > 0`,
		"reduce(1..100000, #acc + reduce(1..100000, #acc + #, 0), 0)", "let r = 1..Quantity * 1000; reduce(r, #acc + reduce(r, #acc + #, 0), 0)",
		`join(map(1..50000, repeat("y", Quantity * 100)), "")`, `replace(repeat("a", 3000), "", repeat("b", 3000))`,
		"len(1..1000000000)", `toJSON(map(1..90000, repeat("z", 200)))`, "Quantity" + strings.Repeat(" + Quantity", 300),
	} {
		f.Add(s)
	}
	fc := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	env := flow.Env{Clock: fc, Rand: func() float64 { return 0.5 }}
	f.Fuzz(func(t *testing.T, src string) {
		h := handler(
			design.Step{Type: design.StepLog, Message: "a {{ " + src + " }} b"},
			design.Step{Type: design.StepLog, Message: src},
			design.Step{Type: design.StepTrigger, Event: "OnStockReserved", When: src, Parameters: map[string]string{
				"ProductId": src, "Quantity": src, "CustomerEmail": "CustomerEmail", "Reason": src,
			}},
			design.Step{Type: design.StepFail, When: src, Message: src, Probability: 0.5},
		)
		fl, err := flow.Compile(h, purchase, own)
		if err != nil {
			for _, e := range fault.All(err) {
				if e.Field == "" || e.Code == "" || e.Message == "" {
					t.Fatalf("bad refusal %+v", e)
				}
			}
			if len(fault.All(err)) == 0 {
				t.Fatalf("refusal %v carries no *fault.Error", err)
			}
			return
		}
		// Whatever compiled runs without panicking, and its budgets stop
		// it: fuzzRunLimit is hundreds of times what a run within them
		// takes, so reaching it means an evaluation escaped its budget.
		ctx, cancel := context.WithTimeout(context.Background(), fuzzRunLimit)
		defer cancel()
		trigs, err := fl.Run(ctx, params(), env)
		if ctx.Err() != nil {
			t.Fatalf("%q ran for %v: its budgets did not stop it", src, fuzzRunLimit)
		}
		checkRun(t, src, trigs, err)
	})
}

// fuzzRunLimit bounds one fuzzed run as a detector only: a run within the
// budgets (a million loop iterations, 4 MiB built per evaluation, a few
// evaluations per step) ends in a few seconds under -race on a quiet
// machine; the limit leaves room for a machine that is many times
// oversubscribed (a 30 s limit was once reached at a load of 45 on two
// cores), since only an escape runs forever.
const fuzzRunLimit = 3 * time.Minute

// checkRun holds a fuzzed run to Run's contract: success with triggers of
// the handling app's own event carrying only its parameters, its mandatory
// ones set; or a *FailError of the fail step (index 3); or a *StepError
// saying what failed, and when a budget stopped it, naming that budget.
func checkRun(t *testing.T, src string, trigs []flow.Trigger, err error) {
	t.Helper()
	var (
		fe *flow.FailError
		se *flow.StepError
		be *flow.BudgetError
	)
	switch {
	case err == nil:
		for _, tr := range trigs {
			if tr.Event != reserved.Name {
				t.Fatalf("%q triggered %q; the flow only triggers %s", src, tr.Event, reserved.Name)
			}
			for _, p := range reserved.Parameters {
				if _, ok := tr.Values[p.Name]; p.Mandatory && !ok {
					t.Fatalf("%q triggered %s without its mandatory %s: %v", src, tr.Event, p.Name, tr.Values)
				}
			}
			if len(tr.Values) > len(reserved.Parameters) {
				t.Fatalf("%q triggered %s with unknown values: %v", src, tr.Event, tr.Values)
			}
		}
	case errors.As(err, &fe):
		if fe.Step != 3 {
			t.Fatalf("%q failed at step %d; only step 3 is a fail step", src, fe.Step)
		}
	case errors.As(err, &se):
		if se.Error() == "" || se.Step < 0 || se.Step > 3 {
			t.Fatalf("%q: bad step error %+v", src, se)
		}
		if errors.As(err, &be) {
			switch be.Limit {
			case flow.MaxExprLoopIterations, flow.MaxExprBytes, flow.MaxExprElements:
			default:
				t.Fatalf("%q stopped by an unknown budget %+v", src, be)
			}
		}
	default:
		t.Fatalf("%q: Run returned %T %v; want nil, *FailError or *StepError", src, err, err)
	}
}
