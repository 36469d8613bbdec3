package design_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
)

// diffLines writes a Diff one line per part, with what changed, so a case
// can say the whole expected diff at once.
func diffLines(d design.Diff) string {
	var out []string
	fields := func(fs []design.FieldChange) string {
		var s []string
		for _, f := range fs {
			s = append(s, fmt.Sprintf("%s %v→%v", f.Field, f.Old, f.New))
		}
		return strings.Join(s, ", ")
	}
	for _, a := range d.Apps {
		out = append(out, fmt.Sprintf("%s app %s [%s]", a.Action, a.Name(), fields(a.Fields)))
	}
	for _, e := range d.Events {
		line := fmt.Sprintf("%s event %s [%s]", e.Action, e.Ref(), fields(e.Fields))
		for _, p := range e.Parameters {
			line += fmt.Sprintf(" %s %s [%s]", p.Action, p.Name(), fields(p.Fields))
		}
		if e.Reordered {
			line += " reordered"
		}
		out = append(out, line)
	}
	for _, s := range d.Subscriptions {
		line := fmt.Sprintf("%s subscription %s [%s]", s.Action, s.Ref(), fields(s.Fields))
		if s.HandlerChanged {
			line += " handler"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestCompare: every kind of change to apps, events, parameters and
// subscriptions is reported, typed, with the fields it changed; an
// unchanged design compares empty.
func TestCompare(t *testing.T) {
	paid := design.EventRef{App: "Shop", Event: "Paid"}
	for _, tc := range []struct {
		name string
		edit func(*design.Design)
		want string
	}{
		{"nothing", func(*design.Design) {}, ""},
		{"nil and empty maps and lists are the same", func(d *design.Design) {
			d.Subscriptions[1].Handler.Steps = []design.Step{{Type: design.StepLog, Message: "hi", Parameters: map[string]string{}, Headers: map[string]string{}}}
		}, ""},
		{"app added", func(d *design.Design) { d.Apps = append(d.Apps, design.App{Name: "Stock"}) }, "create app Stock []"},
		{"app removed", func(d *design.Design) { d.Apps = d.Apps[:2] }, "delete app Mail []"},
		{"app fields", func(d *design.Design) { d.Apps[1].Color, d.Apps[1].Concurrency = "#112233", 5 },
			"update app Ledger [color →#112233, concurrency 0→5]"},
		{"app renamed keeps its id", func(d *design.Design) { d.Apps[1].Name = "Books" }, "update app Books [name Ledger→Books]"},
		{"event made private and described", func(d *design.Design) { d.Events[0].Public, d.Events[0].Description = false, "paid" },
			"update event Shop.Paid [public true→false, description →paid]"},
		{"parameters added, removed, retyped, made optional", func(d *design.Design) {
			d.Events[0].Parameters = []design.Parameter{
				{Name: "OrderId", Type: design.Text},
				{Name: "Currency", Type: design.Currency, Mandatory: true},
			}
		}, "update event Shop.Paid [] update OrderId [type Identifier→Text, mandatory true→false] create Currency [] delete Amount []"},
		{"parameters reordered", func(d *design.Design) {
			p := d.Events[0].Parameters
			p[0], p[1] = p[1], p[0]
		}, "update event Shop.Paid [] reordered"},
		{"event removed", func(d *design.Design) { d.Events = nil; d.Subscriptions = nil },
			"delete event Shop.Paid []\ndelete subscription Shop:Shop.Paid []\ndelete subscription Ledger:Shop.Paid []\ndelete subscription Mail:Shop.Paid []"},
		{"subscription paused, filtered, handler changed", func(d *design.Design) {
			s := &d.Subscriptions[1]
			s.Paused, s.Filter = true, "Amount > 5"
			s.Handler.Steps[0].Message = "other"
		}, "update subscription Ledger:Shop.Paid [filter →Amount > 5, paused false→true] handler"},
		{"subscription added", func(d *design.Design) {
			d.Subscriptions = append(d.Subscriptions, design.Subscription{App: "Stock", Event: paid})
		}, "create subscription Stock:Shop.Paid []"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := diffBase()
			b := a.Clone()
			tc.edit(&b)
			d := design.Compare(a, b)
			if got := diffLines(d); got != tc.want {
				t.Fatalf("diff =\n%s\nwant\n%s", got, tc.want)
			}
			if d.Empty() != (tc.want == "") {
				t.Fatalf("Empty = %v", d.Empty())
			}
		})
	}
}

// TestCompareMatchesByIDThenName: with ids a renamed event is one change;
// without them (a version or a file) it is a delete and an add, and a
// design with ids against one without matches by name.
func TestCompareMatchesByIDThenName(t *testing.T) {
	a := diffBase()
	b := a.Clone()
	if err := b.RenameEvent(design.EventRef{App: "Shop", Event: "Paid"}, "Settled"); err != nil {
		t.Fatal(err)
	}
	if got, want := diffLines(design.Compare(a, b)), "update event Shop.Settled [name Paid→Settled]\n"+
		"update subscription Shop:Shop.Settled [event Shop.Paid→Shop.Settled] handler\n"+
		"update subscription Ledger:Shop.Settled [event Shop.Paid→Shop.Settled]\n"+
		"update subscription Mail:Shop.Settled [event Shop.Paid→Shop.Settled]"; got != want {
		t.Fatalf("with ids =\n%s\nwant\n%s", got, want)
	}
	noIDs := func(d design.Design) design.Design {
		d = d.Clone()
		for i := range d.Apps {
			d.Apps[i].ID = 0
		}
		for i := range d.Events {
			d.Events[i].ID = 0
		}
		for i := range d.Subscriptions {
			d.Subscriptions[i].ID = 0
		}
		return d
	}
	got := diffLines(design.Compare(noIDs(a), noIDs(b)))
	if !strings.HasPrefix(got, "create event Shop.Settled []\ndelete event Shop.Paid []") {
		t.Fatalf("without ids =\n%s", got)
	}
	if got := diffLines(design.Compare(noIDs(a), a)); got != "" {
		t.Fatalf("the same design with and without ids differs:\n%s", got)
	}
}

// diffBase is Shop's public Paid event handled by Shop, Ledger and Mail.
// Shop's flow triggers its own Paid; Mail's names a trigger of "Paid" too,
// which can only mean Mail's own event of that name.
func diffBase() design.Design {
	paid := design.EventRef{App: "Shop", Event: "Paid"}
	log := design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "hi"}}}
	trigger := func() design.Handler {
		return design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepTrigger, Event: "Paid"}}}
	}
	return design.Design{
		Apps: []design.App{{ID: 1, Name: "Shop"}, {ID: 2, Name: "Ledger"}, {ID: 3, Name: "Mail"}},
		Events: []design.Event{{ID: 10, App: "Shop", Name: "Paid", Public: true, Parameters: []design.Parameter{
			{Name: "OrderId", Type: design.Identifier, Mandatory: true},
			{Name: "Amount", Type: design.Decimal},
		}}},
		Subscriptions: []design.Subscription{
			{ID: 100, App: "Shop", Event: paid, Handler: trigger()},
			{ID: 101, App: "Ledger", Event: paid, Handler: log},
			{ID: 102, App: "Mail", Event: paid, Handler: trigger()},
		},
	}
}
