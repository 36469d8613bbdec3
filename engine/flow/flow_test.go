package flow_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
)

// The web-store example: Inventory handles OnPurchaseStarted.
var (
	purchase = design.Event{App: "Storefront", Name: "OnPurchaseStarted", Public: true, Parameters: []design.Parameter{
		{Name: "ProductId", Type: design.Identifier, Mandatory: true},
		{Name: "Quantity", Type: design.Integer, Mandatory: true},
		{Name: "CustomerEmail", Type: design.Email, Mandatory: true},
		{Name: "Amount", Type: design.Currency, Mandatory: true},
		{Name: "Note", Type: design.Text},
		{Name: "PlacedAt", Type: design.DateTime},
	}}
	reserved = design.Event{App: "Inventory", Name: "OnStockReserved", Parameters: []design.Parameter{
		{Name: "ProductId", Type: design.Identifier, Mandatory: true},
		{Name: "Quantity", Type: design.Integer, Mandatory: true},
		{Name: "CustomerEmail", Type: design.Email, Mandatory: true},
		{Name: "Total", Type: design.Currency},
		{Name: "Reason", Type: design.Text},
		{Name: "Express", Type: design.Boolean},
		{Name: "ShipOn", Type: design.Date},
	}}
	outOfStock = design.Event{App: "Inventory", Name: "OnOutOfStock", Parameters: []design.Parameter{
		{Name: "ProductId", Type: design.Identifier, Mandatory: true},
	}}
)

func own(name string) (design.Event, bool) {
	for _, e := range []design.Event{reserved, outOfStock} {
		if e.Name == name {
			return e, true
		}
	}
	return design.Event{}, false
}

func handler(steps ...design.Step) design.Handler {
	return design.Handler{Kind: design.KindFlow, Steps: steps}
}

// params is an OnPurchaseStarted as payload.Decode gives it.
func params() map[string]any {
	return map[string]any{
		"ProductId": "P-7", "Quantity": 3, "CustomerEmail": "ana@example.com", "Amount": 19.99,
		"Note": "", "PlacedAt": time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC),
	}
}

func mustCompile(t *testing.T, h design.Handler) *flow.Flow {
	t.Helper()
	f, err := flow.Compile(h, purchase, own)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return f
}

func TestCompileRefusesMistakes(t *testing.T) {
	full := map[string]string{"ProductId": "ProductId", "Quantity": "Quantity", "CustomerEmail": "CustomerEmail"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name string
		h    design.Handler
		want []string // "Field:Code"
		msg  string   // a part of the first message
	}{
		{"not a flow", design.Handler{Kind: design.KindWebhook}, []string{"handler.kind:invalid_value"}, "only a flow handler"},
		{"broken mapping", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("Quantity", "Quantity +")}),
			[]string{"handler.steps[0].parameters.Quantity:expression"}, `"Quantity +" does not compile: unexpected token EOF`},
		{"unknown name in message", handler(design.Step{Type: design.StepLog, Message: "got {{ Qty }}"}),
			[]string{"handler.steps[0].message:expression"}, "unknown name Qty"},
		{"unclosed template", handler(design.Step{Type: design.StepLog, Message: "got {{ Quantity"}),
			[]string{"handler.steps[0].message:expression"}, "without a closing }}"},
		{"empty template", handler(design.Step{Type: design.StepLog, Message: "got {{ }}"}),
			[]string{"handler.steps[0].message:expression"}, "empty {{ }}"},
		{"empty log", handler(design.Step{Type: design.StepLog}), []string{"handler.steps[0].message:required"}, "needs a message"},
		{"when not boolean", handler(design.Step{Type: design.StepLog, Message: "x"}, design.Step{Type: design.StepFail, When: "Quantity + 1"}),
			[]string{"handler.steps[1].when:expression"}, "expected bool"},
		{"unknown event", handler(design.Step{Type: design.StepLog, Message: "x"}, design.Step{Type: design.StepWait, Duration: design.Duration(time.Second)},
			design.Step{Type: design.StepLog, Message: "y"}, design.Step{Type: design.StepTrigger, Event: "OnPurchaseStarted"}),
			[]string{"handler.steps[3].event:unknown_event"}, `no event "OnPurchaseStarted"`},
		{"no event", handler(design.Step{Type: design.StepTrigger}), []string{"handler.steps[0].event:required"}, "needs the name"},
		{"zero wait", handler(design.Step{Type: design.StepWait}), []string{"handler.steps[0].duration:invalid_value"}, "above 0"},
		{"negative wait", handler(design.Step{Type: design.StepWait, Duration: design.Duration(-time.Second)}), []string{"handler.steps[0].duration:invalid_value"}, "out of range"},
		{"wait over a day", handler(design.Step{Type: design.StepWait, Duration: design.Duration(25 * time.Hour)}), []string{"handler.steps[0].duration:invalid_value"}, "at most 24h"},
		{"probability over 1", handler(design.Step{Type: design.StepLog, Message: "x"}, design.Step{Type: design.StepFail, Probability: 1.5}),
			[]string{"handler.steps[1].probability:invalid_value"}, "use 0 to 1"},
		{"negative probability", handler(design.Step{Type: design.StepFail, Probability: -0.1}), []string{"handler.steps[0].probability:invalid_value"}, "use 0 to 1"},
		{"unknown step", handler(design.Step{Type: "email"}), []string{"handler.steps[0].type:invalid_value"}, `"email" is not a step type`},
		{"unknown target parameter", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("Colour", `"red"`)}),
			[]string{"handler.steps[0].parameters.Colour:unknown_parameter"}, "its parameters are ProductId, Quantity"},
		{"missing mandatory", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: map[string]string{"ProductId": "ProductId", "Quantity": ""}}),
			[]string{"handler.steps[0].parameters.Quantity:missing_parameter", "handler.steps[0].parameters.CustomerEmail:missing_parameter"}, "OnStockReserved needs Quantity (Integer, mandatory); map it to an expression, e.g. Quantity"},
		{"fraction for Integer", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("Quantity", "Quantity / 2")}),
			[]string{"handler.steps[0].parameters.Quantity:wrong_type"}, "int(Quantity / 2)"},
		{"number for Email", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("CustomerEmail", "Quantity")}),
			[]string{"handler.steps[0].parameters.CustomerEmail:wrong_type"}, "is an Email, but the expression \"Quantity\" gives a whole number"},
		{"text for Currency", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("Total", "Note")}),
			[]string{"handler.steps[0].parameters.Total:wrong_type"}, "float(Note)"},
		{"number for Boolean", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("Express", "Quantity")}),
			[]string{"handler.steps[0].parameters.Express:wrong_type"}, "comparison"},
		{"duration for Date", handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: with("ShipOn", `duration("1h")`)}),
			[]string{"handler.steps[0].parameters.ShipOn:wrong_type"}, "gives a duration"},
		{"every mistake at once", handler(
			design.Step{Type: design.StepLog, Message: "{{ Nope }}"},
			design.Step{Type: design.StepWait},
			design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: map[string]string{"ProductId": "1 +", "Zed": "1", "Abc": "2"}},
			design.Step{Type: design.StepFail, When: "Amount", Probability: 2},
		), []string{
			"handler.steps[0].message:expression",
			"handler.steps[1].duration:invalid_value",
			"handler.steps[2].parameters.ProductId:expression",
			"handler.steps[2].parameters.Quantity:missing_parameter",
			"handler.steps[2].parameters.CustomerEmail:missing_parameter",
			"handler.steps[2].parameters.Abc:unknown_parameter",
			"handler.steps[2].parameters.Zed:unknown_parameter",
			"handler.steps[3].when:expression",
			"handler.steps[3].probability:invalid_value",
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := flow.Compile(c.h, purchase, own)
			if f != nil {
				t.Fatal("a refused flow was returned")
			}
			var list fault.List
			if !errors.As(err, &list) {
				t.Fatalf("err = %T %v, want a fault.List", err, err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Field+":"+e.Code)
				if e.Kind != fault.ErrInvalid {
					t.Errorf("%s: kind %v, want ErrInvalid", e.Field, e.Kind)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("errors\n got %v\nwant %v", got, c.want)
			}
			if !strings.Contains(list[0].Message, c.msg) {
				t.Fatalf("message %q does not contain %q", list[0].Message, c.msg)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, h := range []design.Handler{
		handler(),
		handler(design.Step{Type: design.StepLog, Message: "no expressions, just } and { text"}),
		handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", When: "Quantity <= 10", Parameters: map[string]string{
			"ProductId": "ProductId", "Quantity": "Quantity * 2", "CustomerEmail": "CustomerEmail",
			"Total": "Amount * 1.2", "Reason": `"restock " + ProductId`, "Express": "Quantity > 5", "ShipOn": `"2026-03-02"`,
		}}),
		handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: map[string]string{
			"ProductId": "Quantity", "Quantity": "int(Amount)", "CustomerEmail": "CustomerEmail", "Total": "Quantity", "ShipOn": "PlacedAt",
		}}),
		handler(design.Step{Type: design.StepFail, Probability: 1}, design.Step{Type: design.StepFail, When: "Note == \"\"", Probability: 0.5}),
		handler(design.Step{Type: design.StepWait, Duration: design.Duration(flow.MaxWait)}),
	} {
		if _, err := flow.Compile(h, purchase, own); err != nil {
			t.Errorf("%+v refused: %v", h.Steps, err)
		}
	}
}

func TestRunTriggersComputedValues(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepTrigger, Event: "OnStockReserved", When: "Quantity <= 10", Parameters: map[string]string{
			"ProductId": "ProductId", "Quantity": "Quantity * 2", "CustomerEmail": "CustomerEmail",
			"Total": "Amount * 2", "Reason": `Note == "" ? nil : Note`, "Express": "Quantity > 2", "ShipOn": "PlacedAt",
		}},
		design.Step{Type: design.StepTrigger, Event: "OnOutOfStock", When: "Quantity > 10", Parameters: map[string]string{"ProductId": "ProductId"}},
	))
	got, err := f.Run(context.Background(), params(), flow.Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := []flow.Trigger{{Event: "OnStockReserved", Values: map[string]any{
		"ProductId": "P-7", "Quantity": 6, "CustomerEmail": "ana@example.com", "Total": 39.98,
		"Express": true, "ShipOn": time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC),
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("triggers\n got %#v\nwant %#v", got, want)
	}
	p := params()
	p["Quantity"] = int64(11) // a Go caller's int64 is coerced
	got, err = f.Run(context.Background(), p, flow.Env{})
	if err != nil || len(got) != 1 || got[0].Event != "OnOutOfStock" || got[0].Values["ProductId"] != "P-7" {
		t.Fatalf("Quantity 11: %#v, %v; want OnOutOfStock only", got, err)
	}
}

func TestRunLogRendering(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepLog, Message: "Reserving {{ Quantity }} × {{ProductId}} for {{ CustomerEmail }}"},
		design.Step{Type: design.StepLog, Message: "{{ Amount }} {{ Amount * 100000 }} {{ Quantity > 2 }} {{ PlacedAt }} [{{ Note }}]"},
		design.Step{Type: design.StepLog, Message: "at {{ now() }}", When: "Quantity == 3"},
		design.Step{Type: design.StepLog, Message: "skipped", When: "Quantity != 3"},
	))
	var logs []string
	fc := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	if _, err := f.Run(context.Background(), params(), flow.Env{Clock: fc, Log: func(m string) { logs = append(logs, m) }}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Reserving 3 × P-7 for ana@example.com",
		"19.99 1999000 true 2026-03-01T14:30:00Z []",
		"at 2026-03-01T09:00:00Z",
	}
	if !reflect.DeepEqual(logs, want) {
		t.Fatalf("logs\n got %q\nwant %q", logs, want)
	}
}

func TestRunWaitsOnTheClock(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepLog, Message: "before"},
		design.Step{Type: design.StepWait, Duration: design.Duration(30 * time.Second)},
		design.Step{Type: design.StepLog, Message: "after"},
	))
	fc := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	armed := fc.Changed()
	logs := make(chan string, 2)
	done := make(chan error, 1)
	go func() {
		_, err := f.Run(context.Background(), params(), flow.Env{Clock: fc, Log: func(m string) { logs <- m }})
		done <- err
	}()
	waitFor(t, armed, "the wait step to arm a timer")
	if got := <-logs; got != "before" {
		t.Fatalf("first log %q", got)
	}
	fc.Advance(30*time.Second - time.Nanosecond)
	if fc.Pending() != 1 {
		t.Fatal("the wait ended before its time")
	}
	select {
	case err := <-done:
		t.Fatalf("the run ended (%v) before the clock reached the wait's end", err)
	case m := <-logs:
		t.Fatalf("logged %q before the wait ended", m)
	default:
	}
	fc.Advance(time.Nanosecond)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after the clock passed the wait")
	}
	if got := <-logs; got != "after" {
		t.Fatalf("second log %q", got)
	}
}

func TestRunCancelInterruptsWait(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepWait, Duration: design.Duration(time.Hour)},
		design.Step{Type: design.StepTrigger, Event: "OnOutOfStock", Parameters: map[string]string{"ProductId": "ProductId"}},
	))
	fc := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	armed := fc.Changed()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var got []flow.Trigger
	go func() {
		var err error
		got, err = f.Run(ctx, params(), flow.Env{Clock: fc})
		done <- err
	}()
	waitFor(t, armed, "the wait step to arm a timer")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || got != nil {
			t.Fatalf("Run = %v, %v; want no triggers and context.Canceled", got, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not interrupt the wait")
	}
	if fc.Pending() != 0 {
		t.Fatalf("%d timers left armed after cancel", fc.Pending())
	}
	if _, err := f.Run(ctx, params(), flow.Env{Clock: fc}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run on a cancelled ctx = %v", err)
	}
}

func TestRunFail(t *testing.T) {
	trig := design.Step{Type: design.StepTrigger, Event: "OnOutOfStock", Parameters: map[string]string{"ProductId": "ProductId"}}
	cases := []struct {
		name string
		fail design.Step
		rand float64
		p    func(map[string]any)
		want string // "" means the run succeeds
	}{
		{"always", design.Step{Type: design.StepFail}, 0.99, nil, "failed by design"},
		{"when true", design.Step{Type: design.StepFail, When: "Amount > 10", Message: "{{ Amount }} is too much"}, 0.99, nil, "19.99 is too much"},
		{"when false", design.Step{Type: design.StepFail, When: "Amount > 100"}, 0, nil, ""},
		{"when on a changed value", design.Step{Type: design.StepFail, When: "Amount > 100"}, 0, func(p map[string]any) { p["Amount"] = 150 }, "failed by design"},
		{"probability hit", design.Step{Type: design.StepFail, Probability: 0.1, Message: "busy"}, 0.05, nil, "busy"},
		{"probability miss", design.Step{Type: design.StepFail, Probability: 0.1, Message: "busy"}, 0.1, nil, ""},
		{"when and probability", design.Step{Type: design.StepFail, When: "Quantity == 3", Probability: 0.5}, 0.2, nil, "failed by design"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustCompile(t, handler(trig, c.fail))
			p := params()
			if c.p != nil {
				c.p(p)
			}
			got, err := f.Run(context.Background(), p, flow.Env{Rand: func() float64 { return c.rand }})
			if c.want == "" {
				if err != nil || len(got) != 1 {
					t.Fatalf("Run = %v, %v; want success with one trigger", got, err)
				}
				return
			}
			var fe *flow.FailError
			if !errors.As(err, &fe) || fe.Step != 1 || fe.Message != c.want || got != nil {
				t.Fatalf("Run = %v, %v; want FailError{1, %q} and no triggers", got, err, c.want)
			}
		})
	}
}

func TestRunTimeErrorsNameTheStep(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepLog, Message: "ok"},
		design.Step{Type: design.StepLog, Message: "{{ Quantity % (Quantity - 3) }}"},
	))
	_, err := f.Run(context.Background(), params(), flow.Env{})
	var se *flow.StepError
	if !errors.As(err, &se) || se.Step != 1 || !strings.Contains(err.Error(), "Quantity % (Quantity - 3)") {
		t.Fatalf("err = %v, want a StepError at step 1 quoting the expression", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("err %q spans lines", err)
	}

	f = mustCompile(t, handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: map[string]string{
		"ProductId": "ProductId", "Quantity": "Quantity", "CustomerEmail": "Note",
	}}))
	_, err = f.Run(context.Background(), params(), flow.Env{})
	if !errors.As(err, &se) || se.Step != 0 || !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "CustomerEmail") {
		t.Fatalf("err = %v, want a StepError wrapping the invalid CustomerEmail", err)
	}

	f = mustCompile(t, handler(design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: map[string]string{
		"ProductId": "ProductId", "Quantity": `Quantity > 1 ? Quantity : "none"`, "CustomerEmail": "CustomerEmail",
	}}))
	p := params()
	p["Quantity"] = 1
	_, err = f.Run(context.Background(), p, flow.Env{})
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `gave "none" (text)`) {
		t.Fatalf("err = %v, want the wrong run-time type named", err)
	}
}

func TestRunConcurrently(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepLog, Message: "{{ Quantity }}"},
		design.Step{Type: design.StepTrigger, Event: "OnStockReserved", Parameters: map[string]string{
			"ProductId": "ProductId", "Quantity": "Quantity + 1", "CustomerEmail": "CustomerEmail",
		}},
	))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			p := params()
			p["Quantity"] = i
			got, err := f.Run(context.Background(), p, flow.Env{})
			if err != nil || got[0].Values["Quantity"] != i+1 {
				t.Errorf("run %d = %v, %v", i, got, err)
			}
		})
	}
	wg.Wait()
}

func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
