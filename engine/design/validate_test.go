package design_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

func TestCheckName(t *testing.T) {
	for _, c := range []struct {
		name, code string
	}{
		{"OnPurchaseStarted", ""},
		{"a_1", ""},
		{strings.Repeat("a", 64), ""},
		{strings.Repeat("a", 65), "too_long"},
		{"", "required"},
		{"1st", "invalid_name"},
		{"has space", "invalid_name"},
		{"dot.ted", "invalid_name"},
	} {
		err := design.CheckName("name", c.name)
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%q refused: %v", c.name, err)
		case c.code != "" && (err == nil || err.Code != c.code || err.Field != "name"):
			t.Errorf("%q = %v, want code %s on field name", c.name, err, c.code)
		}
	}
}

// codes lists the field:code pairs of a design check.
func codes(errs fault.List) string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+":"+e.Code)
	}
	return strings.Join(out, " ")
}

func base() design.Design {
	return design.Design{
		Apps: []design.App{{Name: "Shop"}, {Name: "Mail"}},
		Events: []design.Event{
			{App: "Shop", Name: "Placed", Public: true, Parameters: []design.Parameter{{Name: "Sku", Type: design.Text}}},
			{App: "Shop", Name: "Audit"},
			{App: "Mail", Name: "Sent", Public: true},
		},
	}
}

func logFlow() design.Handler {
	return design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "hi"}}}
}

func TestDesignCheck(t *testing.T) {
	ref := func(s string) design.EventRef { r, _ := design.ParseEventRef(s); return r }
	cases := []struct {
		name string
		edit func(*design.Design)
		want string // substring of the field:code list; "" means valid
		kind error
	}{
		{"valid", func(d *design.Design) {}, "", nil},
		{"duplicate app", func(d *design.Design) { d.Apps = append(d.Apps, design.App{Name: "Shop"}) }, "apps[Shop].name:exists", fault.ErrConflict},
		{"duplicate event in an app", func(d *design.Design) {
			d.Events = append(d.Events, design.Event{App: "Shop", Name: "Placed"})
		}, "events[Shop.Placed].name:exists", fault.ErrConflict},
		{"same event name in two apps", func(d *design.Design) { d.Events = append(d.Events, design.Event{App: "Mail", Name: "Placed"}) }, "", nil},
		{"event of unknown app", func(d *design.Design) { d.Events = append(d.Events, design.Event{App: "Nope", Name: "X"}) }, "events[Nope.X].app:unknown_app", fault.ErrNotFound},
		{"duplicate parameter", func(d *design.Design) {
			d.Events[0].Parameters = append(d.Events[0].Parameters, design.Parameter{Name: "Sku", Type: design.Text})
		}, "events[Shop.Placed].parameters[1].name:duplicate", fault.ErrInvalid},
		{"bad parameter type", func(d *design.Design) { d.Events[0].Parameters[0].Type = "Blob" }, "events[Shop.Placed].parameters[0].type:invalid_type", fault.ErrInvalid},
		{"other app handles a public event", func(d *design.Design) {
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Mail", Event: ref("Shop.Placed"), Handler: logFlow()})
		}, "", nil},
		{"other app handles a private event", func(d *design.Design) {
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Mail", Event: ref("Shop.Audit"), Handler: logFlow()})
		}, "subscriptions[Mail:Shop.Audit].event:private_event", fault.ErrForbidden},
		{"owner handles its private event", func(d *design.Design) {
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Shop", Event: ref("Shop.Audit"), Handler: logFlow()})
		}, "", nil},
		{"two subscriptions for one (event, app)", func(d *design.Design) {
			s := design.Subscription{App: "Mail", Event: ref("Shop.Placed"), Handler: logFlow()}
			d.Subscriptions = append(d.Subscriptions, s, s)
		}, "subscriptions[Mail:Shop.Placed].event:exists", fault.ErrConflict},
		{"flow triggers another app's event", func(d *design.Design) {
			h := design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepTrigger, Event: "Placed"}}}
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Mail", Event: ref("Shop.Placed"), Handler: h})
		}, "subscriptions[Mail:Shop.Placed].handler.steps[0].event:unknown_event", fault.ErrInvalid},
		{"empty flow", func(d *design.Design) {
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Mail", Event: ref("Shop.Placed"), Handler: design.Handler{Kind: design.KindFlow}})
		}, "handler.steps:required", fault.ErrInvalid},
		{"unknown handler kind", func(d *design.Design) {
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Mail", Event: ref("Shop.Placed"), Handler: design.Handler{Kind: "lambda"}})
		}, "handler.kind:invalid_kind", fault.ErrInvalid},
		{"bad colour and concurrency", func(d *design.Design) { d.Apps[0].Color = "blue"; d.Apps[0].Concurrency = -1 }, "apps[Shop].color:invalid_color apps[Shop].concurrency:out_of_range", fault.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base()
			c.edit(&d)
			errs := d.Check()
			if c.want == "" {
				if len(errs) > 0 {
					t.Fatalf("refused: %s", codes(errs))
				}
				return
			}
			if !strings.Contains(codes(errs), c.want) {
				t.Fatalf("errors %q, want %q", codes(errs), c.want)
			}
			if !errors.Is(errs.Err(), c.kind) {
				t.Fatalf("kind of %v is not %v", errs, c.kind)
			}
		})
	}
}

func TestEventRefAndDurationText(t *testing.T) {
	var s design.Subscription
	if err := json.Unmarshal([]byte(`{"event":"Shop.Placed","handler":{"kind":"flow","steps":[{"type":"wait","duration":"1m30s"}]}}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Event != (design.EventRef{App: "Shop", Event: "Placed"}) || s.Handler.Steps[0].Duration != design.Duration(90e9) {
		t.Fatalf("decoded %+v", s)
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"event":"Shop.Placed"`) || !strings.Contains(string(b), `"duration":"1m30s"`) {
		t.Fatalf("encoded %s", b)
	}
	if err := json.Unmarshal([]byte(`{"event":"ShopPlaced"}`), &s); err == nil {
		t.Fatal("an event reference without a dot was accepted")
	}
	if err := json.Unmarshal([]byte(`{"handler":{"steps":[{"duration":"soon"}]}}`), &s); err == nil || !strings.Contains(err.Error(), "30s") {
		t.Fatalf("bad duration = %v, want a message with an example", err)
	}
}
