package engine_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

// doublingWhen is the expression that once allocated gigabytes: eleven
// `let x = y + y` doublings of repeat("x", 900000).
func doublingWhen() string {
	var b strings.Builder
	b.WriteString(`let x0 = repeat(Sku, 900000); `)
	for i := 1; i <= 11; i++ {
		b.WriteString("let x" + strconv.Itoa(i) + " = x" + strconv.Itoa(i-1) + " + x" + strconv.Itoa(i-1) + "; ")
	}
	b.WriteString("len(x11) > 0")
	return b.String()
}

// TestCostlyExpressionRefusedAtSave: nested loops over constant ranges are
// refused when the subscription is saved, naming the step and field.
func TestCostlyExpressionRefusedAtSave(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": nothing}})
	h.shopDesign()
	_, err := h.eng.CreateSubscription(context.Background(), "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{
		Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "x", When: "reduce(1..100000, #acc + reduce(1..100000, #acc + #, 0), 0) > 0"}},
	}})
	all := fault.All(err)
	if len(all) != 1 || all[0].Code != "too_costly" || !strings.HasSuffix(all[0].Field, "handler.steps[0].when") {
		t.Fatalf("err = %v, want too_costly at handler.steps[0].when", err)
	}
}

// TestOverBudgetFlowEndsDead: the doubling expression is stopped by its
// budget on every attempt, no later step runs, and after its retries the
// delivery is dead with the budget as its reason.
func TestOverBudgetFlowEndsDead(t *testing.T) {
	h := newHarness(t, engine.Config{MaxRetries: 2, Handlers: map[string]engine.Handler{"stock": nothing}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{
		Kind: design.KindFlow, Steps: []design.Step{
			{Type: design.StepLog, Message: "doubled", When: doublingWhen()},
			{Type: design.StepLog, Message: "after the doubling"},
		},
	}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, order("x", 1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		n := h.waitNote("failure", func(n notify.Note) bool {
			return n.Kind == notify.DeliveryFailed && n.App == "Mail" || n.Kind == notify.FlowLogged
		})
		if n.Kind == notify.FlowLogged {
			t.Fatalf("a log step ran: %q", n.Message)
		}
		h.waitTimer(n.NextAttemptAt)
		h.clk.Set(n.NextAttemptAt)
	}
	h.waitNote("dead", func(n notify.Note) bool { return n.Kind == notify.DeliveryDead && n.App == "Mail" })
	o, err := h.eng.Occurrence(ctx, res.OccurrenceID)
	if err != nil {
		t.Fatal(err)
	}
	var d delivery.Delivery
	for _, x := range o.Deliveries {
		if x.App == "Mail" {
			d = x
		}
	}
	if d.Status != delivery.Dead || d.Attempts != 3 || !strings.Contains(d.LastError, "budget of 4194304 bytes") {
		t.Fatalf("delivery %s after %d attempts, last error %q; want dead after 3 with the budget named", d.Status, d.Attempts, d.LastError)
	}
}

// nothing is a Go handler that succeeds at once.
func nothing(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
