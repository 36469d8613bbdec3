package design_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// breakingBase is Shop's public Paid event with two parameters, handled by
// Shop itself and by Ledger and Mail.
func breakingBase() design.Design {
	paid := design.EventRef{App: "Shop", Event: "Paid"}
	return design.Design{
		Apps: []design.App{{ID: 1, Name: "Shop"}, {ID: 2, Name: "Ledger"}, {ID: 3, Name: "Mail"}},
		Events: []design.Event{{ID: 10, AppID: 1, App: "Shop", Name: "Paid", Public: true, Parameters: []design.Parameter{
			{Name: "OrderId", Type: design.Identifier, Mandatory: true},
			{Name: "Amount", Type: design.Decimal},
		}}},
		Subscriptions: []design.Subscription{
			{ID: 100, App: "Shop", Event: paid},
			{ID: 101, App: "Ledger", Event: paid},
			{ID: 102, App: "Mail", Event: paid},
		},
	}
}

func clone(d design.Design) design.Design {
	out := d
	out.Events = slices.Clone(d.Events)
	for i := range out.Events {
		out.Events[i].Parameters = slices.Clone(out.Events[i].Parameters)
	}
	out.Subscriptions = slices.Clone(d.Subscriptions)
	return out
}

// TestBreaks: each kind of breaking change names every subscription of
// another app with its reason; the producer's own subscription and
// changes that break nobody are not listed.
func TestBreaks(t *testing.T) {
	both := func(reason string) []string {
		return []string{"Ledger:Shop.Paid: " + reason, "Mail:Shop.Paid: " + reason}
	}
	cases := []struct {
		name string
		edit func(*design.Design)
		want []string
	}{
		{"parameter removed", func(d *design.Design) { d.Events[0].Parameters = d.Events[0].Parameters[:1] }, both("parameter Amount removed")},
		{"parameter retyped", func(d *design.Design) { d.Events[0].Parameters[1].Type = design.Text }, both("parameter Amount retyped Decimal → Text")},
		{"parameter made mandatory", func(d *design.Design) { d.Events[0].Parameters[1].Mandatory = true }, both("parameter Amount made mandatory")},
		{"event made private", func(d *design.Design) {
			d.Events[0].Public = false
			d.Subscriptions = d.Subscriptions[:1]
		}, both("event Shop.Paid made private")},
		{"event deleted", func(d *design.Design) { d.Events, d.Subscriptions = nil, nil }, both("event Shop.Paid deleted")},
		{"producer deleted with its events", func(d *design.Design) { d.Apps, d.Events, d.Subscriptions = d.Apps[1:], nil, nil }, both("event Shop.Paid deleted")},
		{"two reasons", func(d *design.Design) {
			d.Events[0].Parameters = d.Events[0].Parameters[1:]
			d.Events[0].Parameters[0].Type = design.Text
		},
			[]string{"Ledger:Shop.Paid: parameter OrderId removed", "Ledger:Shop.Paid: parameter Amount retyped Decimal → Text",
				"Mail:Shop.Paid: parameter OrderId removed", "Mail:Shop.Paid: parameter Amount retyped Decimal → Text"}},
		{"optional parameter added", func(d *design.Design) {
			d.Events[0].Parameters = append(d.Events[0].Parameters, design.Parameter{Name: "Note", Type: design.Text})
		}, nil},
		{"made optional, description changed", func(d *design.Design) {
			d.Events[0].Parameters[0].Mandatory = false
			d.Events[0].Parameters[0].Description = "the order"
		}, nil},
		{"event renamed (same id)", func(d *design.Design) {
			d.Events[0].Name = "OrderPaid"
			for i := range d.Subscriptions {
				d.Subscriptions[i].Event.Event = "OrderPaid"
			}
		}, nil},
		{"a subscriber unsubscribes", func(d *design.Design) { d.Subscriptions = d.Subscriptions[:2] }, nil},
		{"the subscriber app deleted", func(d *design.Design) { d.Apps = d.Apps[:2]; d.Subscriptions = d.Subscriptions[:2] }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := breakingBase()
			b := clone(a)
			tc.edit(&b)
			var got []string
			for _, x := range design.Breaks(a, b) {
				got = append(got, x.Subscription.String()+": "+x.Reason)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("breaks =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestBreaksOnlyTheProducersOwn: a change to an event only its producer
// handles breaks nothing.
func TestBreaksOnlyTheProducersOwn(t *testing.T) {
	a := breakingBase()
	a.Subscriptions = a.Subscriptions[:1]
	b := clone(a)
	b.Events = nil
	b.Subscriptions = nil
	if got := design.Breaks(a, b); len(got) != 0 {
		t.Fatalf("breaks = %v, want none", got)
	}
}

// TestBreaksWithoutIDs: designs from documents (no ids) are matched by
// Producer.Event.
func TestBreaksWithoutIDs(t *testing.T) {
	a := breakingBase()
	for i := range a.Events {
		a.Events[i].ID = 0
	}
	b := clone(a)
	b.Events[0].Parameters = b.Events[0].Parameters[:1]
	if got := design.Breaks(a, b); len(got) != 2 || got[0].Reason != "parameter Amount removed" {
		t.Fatalf("breaks = %v", got)
	}
}

// TestBreakingError: the refusal is a 409-kind fault with the code
// breaking_change, naming the subscriptions and how to confirm.
func TestBreakingError(t *testing.T) {
	err := error(design.NewBreakingError([]design.Break{{Subscription: design.SubscriptionRef{App: "Ledger", Producer: "Shop", Event: "Paid"}, Reason: "parameter Amount removed"}}))
	all := fault.All(err)
	if len(all) != 1 || all[0].Code != "breaking_change" || !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("fault = %+v", all)
	}
	for _, want := range []string{"Ledger:Shop.Paid: parameter Amount removed", "?confirm=breaking", "nothing was saved"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err.Error(), want)
		}
	}
	var be *design.BreakingError
	if !errors.As(err, &be) || len(be.Breaks) != 1 {
		t.Fatalf("errors.As BreakingError = %v", be)
	}
}
