package flow_test

import (
	"context"
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
		// Whatever compiled must run without panicking.
		_, _ = fl.Run(context.Background(), params(), env)
	})
}
