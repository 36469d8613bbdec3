package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
)

func findings(fs []engine.Finding) map[string]engine.Finding {
	out := map[string]engine.Finding{}
	for _, f := range fs {
		out[f.Code+" "+f.Subject] = f
	}
	return out
}

func TestLint(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	// Stock: Reserved -> (Stock's flow) -> Checked -> (Stock's flow) -> Reserved.
	for _, name := range []string{"Reserved", "Checked"} {
		if _, err := h.eng.CreateEvent(ctx, "Stock", design.Event{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	flowTo := func(ev string) design.Handler {
		return design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepTrigger, Event: ev}}}
	}
	for _, s := range []struct{ on, to string }{{"Reserved", "Checked"}, {"Checked", "Reserved"}} {
		if _, err := h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: design.EventRef{App: "Stock", Event: s.on}, Enabled: true, Handler: flowTo(s.to)}); err != nil {
			t.Fatal(err)
		}
	}
	got := findings(h.eng.Lint())
	loop, found := got["loop Stock.Checked"]
	if !found || strings.Join(loop.Path, " ") != "Stock.Checked Stock.Reserved Stock.Checked" {
		t.Fatalf("loop finding = %+v (all: %v)", loop, got)
	}
	if _, dup := got["loop Stock.Reserved"]; dup {
		t.Fatal("the same loop was reported twice")
	}
	for _, want := range []string{"unhandled_event Shop.Audit", "idle_app Shop", "idle_app Mail"} {
		if _, ok := got[want]; !ok {
			t.Errorf("no %q finding (all: %v)", want, got)
		}
	}
	for _, not := range []string{"unhandled_event Shop.OrderPlaced", "idle_app Stock"} {
		if _, bad := got[not]; bad {
			t.Errorf("unexpected %q finding", not)
		}
	}

	// The same store opened by a program without the "stock" Go handler:
	// the subscription is kept, and the lint says why it cannot run.
	other, err := engine.New(ctx, engine.Config{Storage: h.st, Clock: h.clk})
	if err != nil {
		t.Fatal(err)
	}
	broken, found := findings(other.Lint())["broken_flow Stock:Shop.OrderPlaced"]
	if !found || !strings.Contains(broken.Message, `"stock"`) {
		t.Fatalf("broken flow finding = %+v", broken)
	}
}
