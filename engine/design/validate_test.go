package design_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// want is one error a check must report: its field, code and kind.
type want struct {
	field, code string
	kind        error
}

func (w want) String() string { return fmt.Sprintf("%s:%s(%v)", w.field, w.code, w.kind) }

// invalid is a want of kind fault.ErrInvalid, the kind of every field error.
func invalid(field, code string) want { return want{field, code, fault.ErrInvalid} }

// assertErrors fails unless errs are exactly ws, in order, each with the
// wanted field, code and kind, and a message a person can read.
func assertErrors(t *testing.T, errs fault.List, ws ...want) {
	t.Helper()
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = want{e.Field, e.Code, e.Kind}.String()
	}
	exp := make([]string, len(ws))
	for i, w := range ws {
		exp[i] = w.String()
	}
	if strings.Join(got, " ") != strings.Join(exp, " ") {
		t.Fatalf("errors\n got  %v\n want %v", got, exp)
	}
	for i, e := range errs {
		if !errors.Is(e, ws[i].kind) {
			t.Errorf("errors.Is(%s, %v) is false", e.Field, ws[i].kind)
		}
		if e.Message == "" {
			t.Errorf("%s:%s has no message", e.Field, e.Code)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, c := range []struct {
		name, code string
	}{
		{"OnPurchaseStarted", ""},
		{"a", ""},
		{"a_1", ""},
		{"Z9", ""},
		{strings.Repeat("a", design.MaxNameLength), ""},
		{strings.Repeat("a", design.MaxNameLength+1), "too_long"},
		{"", "required"},
		{"1st", "invalid_name"},
		{"_private", "invalid_name"},
		{"has space", "invalid_name"},
		{"dot.ted", "invalid_name"},
		{"dash-ed", "invalid_name"},
		{"Café", "invalid_name"},
		// 40 characters of 2 bytes each: not an identifier, and not too
		// long either, whatever its byte count.
		{strings.Repeat("é", 40), "invalid_name"},
	} {
		err := design.CheckName("apps[0].name", c.name)
		if c.code == "" {
			if err != nil {
				t.Errorf("%q refused: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q accepted, want %s", c.name, c.code)
			continue
		}
		if err.Code != c.code || err.Field != "apps[0].name" || !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("%q = field %q code %q kind %v, want field apps[0].name code %s kind invalid", c.name, err.Field, err.Code, err.Kind, c.code)
		}
	}
	if err := design.CheckName("name", strings.Repeat("a", 65)); !strings.Contains(err.Message, "65 characters") || !strings.Contains(err.Message, "at most 64") {
		t.Errorf("too long message = %q, want the length and the limit", err.Message)
	}
}

func TestAppCheck(t *testing.T) {
	cases := []struct {
		name string
		app  design.App
		want []want
	}{
		{"minimal", design.App{Name: "Shop"}, nil},
		{"everything set", design.App{Name: "Shop", Description: "sells", Color: "#3B82f6", Concurrency: 10000, Endpoint: "https://shop.example.com/events"}, nil},
		{"http endpoint", design.App{Name: "Shop", Endpoint: "http://127.0.0.1:9000/hook"}, nil},
		{"no name", design.App{}, []want{invalid("name", "required")}},
		{"bad name", design.App{Name: "my shop"}, []want{invalid("name", "invalid_name")}},
		{"description at the limit", design.App{Name: "Shop", Description: strings.Repeat("d", design.MaxDescriptionLength)}, nil},
		{"description over the limit", design.App{Name: "Shop", Description: strings.Repeat("d", design.MaxDescriptionLength+1)}, []want{invalid("description", "too_long")}},
		// Counted in characters, as a Text parameter is: 2,000 three-byte
		// characters fit.
		{"description of wide characters", design.App{Name: "Shop", Description: strings.Repeat("店", design.MaxDescriptionLength)}, nil},
		{"colour name", design.App{Name: "Shop", Color: "blue"}, []want{invalid("color", "invalid_color")}},
		{"short colour", design.App{Name: "Shop", Color: "#fff"}, []want{invalid("color", "invalid_color")}},
		{"negative concurrency", design.App{Name: "Shop", Concurrency: -1}, []want{invalid("concurrency", "out_of_range")}},
		{"huge concurrency", design.App{Name: "Shop", Concurrency: 10001}, []want{invalid("concurrency", "out_of_range")}},
		{"endpoint without scheme", design.App{Name: "Shop", Endpoint: "shop.example.com/events"}, []want{invalid("endpoint", "invalid_url")}},
		{"endpoint of another scheme", design.App{Name: "Shop", Endpoint: "ftp://shop.example.com/"}, []want{invalid("endpoint", "invalid_url")}},
		{"endpoint without host", design.App{Name: "Shop", Endpoint: "https:///events"}, []want{invalid("endpoint", "invalid_url")}},
		{"every error at once", design.App{Name: "1", Color: "red", Concurrency: -5, Endpoint: "nope"}, []want{
			invalid("name", "invalid_name"), invalid("color", "invalid_color"), invalid("concurrency", "out_of_range"), invalid("endpoint", "invalid_url"),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assertErrors(t, c.app.Check(), c.want...) })
	}
}

func TestEventCheck(t *testing.T) {
	p := func(name string, typ design.ParamType) design.Parameter {
		return design.Parameter{Name: name, Type: typ}
	}
	all := make([]design.Parameter, 0, len(design.ParamTypes()))
	for _, typ := range design.ParamTypes() {
		all = append(all, p("P"+string(typ), typ))
	}
	cases := []struct {
		name  string
		event design.Event
		want  []want
	}{
		{"no parameters", design.Event{Name: "OnPurchaseStarted"}, nil},
		{"every type", design.Event{Name: "OnAll", Parameters: all}, nil},
		{"no name", design.Event{}, []want{invalid("name", "required")}},
		{"bad name", design.Event{Name: "On-Purchase"}, []want{invalid("name", "invalid_name")}},
		{"long description", design.Event{Name: "E", Description: strings.Repeat("x", design.MaxDescriptionLength+1)}, []want{invalid("description", "too_long")}},
		{"duplicate parameter", design.Event{Name: "E", Parameters: []design.Parameter{p("Sku", design.Text), p("Qty", design.Integer), p("Sku", design.Integer)}},
			[]want{invalid("parameters[2].name", "duplicate")}},
		// Names are case-sensitive, as parameter names in payloads are.
		{"names differing in case", design.Event{Name: "E", Parameters: []design.Parameter{p("Sku", design.Text), p("SKU", design.Text)}}, nil},
		{"unknown type", design.Event{Name: "E", Parameters: []design.Parameter{p("Data", "Blob")}}, []want{invalid("parameters[0].type", "invalid_type")}},
		{"type in the wrong case", design.Event{Name: "E", Parameters: []design.Parameter{p("Note", "text")}}, []want{invalid("parameters[0].type", "invalid_type")}},
		{"no type", design.Event{Name: "E", Parameters: []design.Parameter{p("Note", "")}}, []want{invalid("parameters[0].type", "invalid_type")}},
		{"list type", design.Event{Name: "E", Parameters: []design.Parameter{p("Items", "List")}}, []want{invalid("parameters[0].type", "invalid_type")}},
		{"parameter without a name", design.Event{Name: "E", Parameters: []design.Parameter{p("", design.Text)}}, []want{invalid("parameters[0].name", "required")}},
		{"parameter with a bad name", design.Event{Name: "E", Parameters: []design.Parameter{p("2nd", design.Text)}}, []want{invalid("parameters[0].name", "invalid_name")}},
		{"parameter description too long", design.Event{Name: "E", Parameters: []design.Parameter{{Name: "Sku", Type: design.Text, Description: strings.Repeat("x", design.MaxDescriptionLength+1)}}},
			[]want{invalid("parameters[0].description", "too_long")}},
		{"every error at once", design.Event{Name: "", Parameters: []design.Parameter{p("A", "Blob"), p("A", design.Text), p("a b", "Record")}}, []want{
			invalid("name", "required"), invalid("parameters[0].type", "invalid_type"), invalid("parameters[1].name", "duplicate"),
			invalid("parameters[2].name", "invalid_name"), invalid("parameters[2].type", "invalid_type"),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assertErrors(t, c.event.Check(), c.want...) })
	}
}

func TestHandlerCheck(t *testing.T) {
	flow := func(steps ...design.Step) design.Handler { return design.Handler{Kind: design.KindFlow, Steps: steps} }
	cases := []struct {
		name    string
		handler design.Handler
		want    []want
	}{
		{"webhook", design.Handler{Kind: design.KindWebhook}, nil},
		{"go", design.Handler{Kind: design.KindGo, Name: "ship"}, nil},
		{"pull", design.Handler{Kind: design.KindPull}, nil},
		{"pull with steps", design.Handler{Kind: design.KindPull, Steps: []design.Step{{Type: design.StepLog, Message: "x"}}}, []want{invalid("handler.kind", "invalid_handler")}},
		{"go without a name", design.Handler{Kind: design.KindGo}, []want{invalid("handler.name", "required")}},
		{"no kind", design.Handler{}, []want{invalid("handler.kind", "invalid_kind")}},
		{"unknown kind", design.Handler{Kind: "lambda"}, []want{invalid("handler.kind", "invalid_kind")}},
		{"flow without steps", flow(), []want{invalid("handler.steps", "required")}},
		{"every step type", flow(
			design.Step{Type: design.StepLog, Message: "got {{ Sku }}"},
			design.Step{Type: design.StepWait, Duration: design.Duration(5e9)},
			design.Step{Type: design.StepTrigger, Event: "OnReserved", Parameters: map[string]string{"Sku": "Sku"}},
			design.Step{Type: design.StepFail},
			design.Step{Type: design.StepFail, When: "Qty > 5", Probability: 1, Message: "too many"},
		), nil},
		{"log without message", flow(design.Step{Type: design.StepLog}), []want{invalid("handler.steps[0].message", "required")}},
		{"wait without duration", flow(design.Step{Type: design.StepWait}), []want{invalid("handler.steps[0].duration", "required")}},
		{"negative wait", flow(design.Step{Type: design.StepWait, Duration: -1}), []want{invalid("handler.steps[0].duration", "required")}},
		{"trigger without event", flow(design.Step{Type: design.StepTrigger}), []want{invalid("handler.steps[0].event", "required")}},
		{"fail probability over 1", flow(design.Step{Type: design.StepFail, Probability: 1.5}), []want{invalid("handler.steps[0].probability", "out_of_range")}},
		{"fail probability negative", flow(design.Step{Type: design.StepFail, Probability: -0.1}), []want{invalid("handler.steps[0].probability", "out_of_range")}},
		{"unknown step", flow(design.Step{Type: "email"}), []want{invalid("handler.steps[0].type", "invalid_step")}},
		{"http without url", flow(design.Step{Type: design.StepHTTP, Method: "POST"}), []want{invalid("handler.steps[0].url", "required")}},
		{"errors name their step", flow(design.Step{Type: design.StepLog, Message: "ok"}, design.Step{Type: design.StepLog}, design.Step{Type: design.StepWait}),
			[]want{invalid("handler.steps[1].message", "required"), invalid("handler.steps[2].duration", "required")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assertErrors(t, c.handler.Check(), c.want...) })
	}
}

// base is a valid design: Shop owns a public and a private event, Mail a
// public one.
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

func triggerFlow(event string) design.Handler {
	return design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "hi"}, {Type: design.StepTrigger, Event: event}}}
}

func sub(app, event string, h design.Handler) design.Subscription {
	ref, err := design.ParseEventRef(event)
	if err != nil {
		panic(err)
	}
	return design.Subscription{App: app, Event: ref, Handler: h, Enabled: true}
}

func TestDesignCheck(t *testing.T) {
	subs := func(s ...design.Subscription) func(*design.Design) {
		return func(d *design.Design) { d.Subscriptions = append(d.Subscriptions, s...) }
	}
	cases := []struct {
		name string
		edit func(*design.Design)
		want []want
	}{
		{"valid", func(d *design.Design) {}, nil},
		{"empty design", func(d *design.Design) { *d = design.Design{} }, nil},
		{"duplicate app", func(d *design.Design) { d.Apps = append(d.Apps, design.App{Name: "Shop"}) },
			[]want{{"apps[Shop].name", "exists", fault.ErrConflict}}},
		{"app fields are prefixed", func(d *design.Design) { d.Apps[0].Color = "blue"; d.Apps[0].Concurrency = -1 },
			[]want{invalid("apps[Shop].color", "invalid_color"), invalid("apps[Shop].concurrency", "out_of_range")}},
		{"duplicate event in an app", func(d *design.Design) { d.Events = append(d.Events, design.Event{App: "Shop", Name: "Placed"}) },
			[]want{{"events[Shop.Placed].name", "exists", fault.ErrConflict}}},
		{"same event name in two apps", func(d *design.Design) { d.Events = append(d.Events, design.Event{App: "Mail", Name: "Placed"}) }, nil},
		{"event of an unknown app", func(d *design.Design) { d.Events = append(d.Events, design.Event{App: "Nope", Name: "X"}) },
			[]want{{"events[Nope.X].app", "unknown_app", fault.ErrNotFound}}},
		{"duplicate parameter", func(d *design.Design) {
			d.Events[0].Parameters = append(d.Events[0].Parameters, design.Parameter{Name: "Sku", Type: design.Text})
		}, []want{invalid("events[Shop.Placed].parameters[1].name", "duplicate")}},
		{"invalid parameter type", func(d *design.Design) { d.Events[0].Parameters[0].Type = "Blob" },
			[]want{invalid("events[Shop.Placed].parameters[0].type", "invalid_type")}},

		{"other app handles a public event", subs(sub("Mail", "Shop.Placed", logFlow())), nil},
		{"other app handles a private event", subs(sub("Mail", "Shop.Audit", logFlow())),
			[]want{{"subscriptions[Mail:Shop.Audit].event", "private_event", fault.ErrForbidden}}},
		{"owner handles its private event", subs(sub("Shop", "Shop.Audit", logFlow())), nil},
		{"owner handles its public event", subs(sub("Shop", "Shop.Placed", logFlow())), nil},
		{"several apps handle one event", subs(sub("Shop", "Shop.Placed", logFlow()), sub("Mail", "Shop.Placed", logFlow())), nil},
		{"one app handles several events", subs(sub("Mail", "Shop.Placed", logFlow()), sub("Mail", "Mail.Sent", logFlow())), nil},
		{"two subscriptions for one (event, app)", subs(sub("Mail", "Shop.Placed", logFlow()), sub("Mail", "Shop.Placed", design.Handler{Kind: design.KindWebhook})),
			[]want{{"subscriptions[Mail:Shop.Placed].event", "exists", fault.ErrConflict}}},
		{"subscription by an unknown app", subs(sub("Nope", "Shop.Placed", logFlow())),
			[]want{{"subscriptions[Nope:Shop.Placed].app", "unknown_app", fault.ErrNotFound}}},
		{"subscription to an unknown event", subs(sub("Mail", "Shop.Gone", logFlow())),
			[]want{{"subscriptions[Mail:Shop.Gone].event", "unknown_event", fault.ErrNotFound}}},
		{"subscription to an event of an unknown app", subs(sub("Mail", "Nope.Placed", logFlow())),
			[]want{{"subscriptions[Mail:Nope.Placed].event", "unknown_event", fault.ErrNotFound}}},
		{"handler errors are prefixed", subs(sub("Mail", "Shop.Placed", design.Handler{Kind: design.KindFlow})),
			[]want{invalid("subscriptions[Mail:Shop.Placed].handler.steps", "required")}},
		{"unknown handler kind", subs(sub("Mail", "Shop.Placed", design.Handler{Kind: "lambda"})),
			[]want{invalid("subscriptions[Mail:Shop.Placed].handler.kind", "invalid_kind")}},

		{"flow triggers its own app's event", subs(sub("Mail", "Shop.Placed", triggerFlow("Sent"))), nil},
		{"flow triggers its own private event", subs(sub("Shop", "Mail.Sent", triggerFlow("Audit"))), nil},
		{"flow triggers the handled event's producer's event", subs(sub("Mail", "Shop.Placed", triggerFlow("Placed"))),
			[]want{invalid("subscriptions[Mail:Shop.Placed].handler.steps[1].event", "unknown_event")}},
		{"flow triggers an event by its full reference", subs(sub("Mail", "Shop.Placed", triggerFlow("Mail.Sent"))),
			[]want{invalid("subscriptions[Mail:Shop.Placed].handler.steps[1].event", "unknown_event")}},
		{"flow triggers an event nobody owns", subs(sub("Mail", "Shop.Placed", triggerFlow("Nothing"))),
			[]want{invalid("subscriptions[Mail:Shop.Placed].handler.steps[1].event", "unknown_event")}},

		{"every error at once", func(d *design.Design) {
			d.Apps = append(d.Apps, design.App{Name: "Mail"})
			d.Events = append(d.Events, design.Event{App: "Ghost", Name: "Boo"})
			d.Subscriptions = append(d.Subscriptions, sub("Mail", "Shop.Audit", triggerFlow("Placed")), sub("Ghost", "Shop.Placed", logFlow()))
		}, []want{
			{"apps[Mail].name", "exists", fault.ErrConflict},
			{"events[Ghost.Boo].app", "unknown_app", fault.ErrNotFound},
			{"subscriptions[Mail:Shop.Audit].event", "private_event", fault.ErrForbidden},
			invalid("subscriptions[Mail:Shop.Audit].handler.steps[1].event", "unknown_event"),
			{"subscriptions[Ghost:Shop.Placed].app", "unknown_app", fault.ErrNotFound},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base()
			c.edit(&d)
			errs := d.Check()
			assertErrors(t, errs, c.want...)
			// The list as one error matches every member's kind, so a
			// caller maps a mixed refusal by errors.Is.
			for _, w := range c.want {
				if !errors.Is(errs.Err(), w.kind) {
					t.Errorf("errors.Is(list, %v) is false", w.kind)
				}
			}
		})
	}
}

func TestDesignCheckPrivateEventMessageSaysHowToFix(t *testing.T) {
	d := base()
	d.Subscriptions = []design.Subscription{sub("Mail", "Shop.Audit", logFlow())}
	err := d.Check().Err()
	if !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("err = %v, want forbidden", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "private to Shop") || !strings.Contains(msg, "make it public") {
		t.Fatalf("message %q does not say whose event it is and how to allow it", msg)
	}
}
