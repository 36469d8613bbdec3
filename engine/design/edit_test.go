package design_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// subRefs lists the references of d's subscriptions in order.
func subRefs(d design.Design) []string {
	var out []string
	for _, s := range d.Subscriptions {
		out = append(out, s.Ref().String())
	}
	return out
}

// TestCloneIsDeep: editing a clone's parameters, steps and their maps
// leaves the original (a snapshot others read) as it was.
func TestCloneIsDeep(t *testing.T) {
	a := diffBase()
	a.Subscriptions[1].Handler.Steps[0].Headers = map[string]string{"X": "1"}
	b := a.Clone()
	b.Events[0].Parameters[0].Name = "Changed"
	b.Subscriptions[1].Handler.Steps[0].Headers["X"] = "2"
	b.Subscriptions[0].Handler.Steps[0].Event = "Other"
	if a.Subscriptions[1].Handler.Steps[0].Headers["X"] != "1" || a.Subscriptions[0].Handler.Steps[0].Event != "Paid" || a.Events[0].Parameters[0].Name != "OrderId" {
		t.Fatalf("the original changed: %+v", a.Subscriptions)
	}
}

// TestUpdateAppRenames: renaming an app carries its events, its
// subscriptions and other apps' subscriptions to its events along, and
// keeps its id; a taken name is a conflict.
func TestUpdateAppRenames(t *testing.T) {
	d := diffBase()
	if err := d.UpdateApp("Shop", design.App{Name: "Store", Color: "#000000"}); err != nil {
		t.Fatal(err)
	}
	if d.Apps[0].ID != 1 || d.Apps[0].Name != "Store" || d.Events[0].App != "Store" {
		t.Fatalf("apps %+v events %+v", d.Apps, d.Events)
	}
	if got := subRefs(d); !slices.Equal(got, []string{"Store:Store.Paid", "Ledger:Store.Paid", "Mail:Store.Paid"}) {
		t.Fatalf("subscriptions = %v", got)
	}
	err := d.UpdateApp("Store", design.App{Name: "Ledger"})
	if !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("rename onto Ledger: %v, want a conflict", err)
	}
	if err := d.UpdateApp("Nobody", design.App{Name: "X"}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown app: %v", err)
	}
}

// TestRenameEvent: the subscriptions to a renamed event follow it, and
// so do the owner's trigger steps naming it, but not another app's step
// of the same name (that one triggers the other app's own event).
func TestRenameEvent(t *testing.T) {
	d := diffBase()
	if err := d.RenameEvent(design.EventRef{App: "Shop", Event: "Paid"}, "Settled"); err != nil {
		t.Fatal(err)
	}
	if got := subRefs(d); !slices.Equal(got, []string{"Shop:Shop.Settled", "Ledger:Shop.Settled", "Mail:Shop.Settled"}) {
		t.Fatalf("subscriptions = %v", got)
	}
	if own, other := d.Subscriptions[0].Handler.Steps[0].Event, d.Subscriptions[2].Handler.Steps[0].Event; own != "Settled" || other != "Paid" {
		t.Fatalf("Shop's trigger step names %q (want Settled), Mail's %q (want Paid)", own, other)
	}
	d.Events = append(d.Events, design.Event{App: "Shop", Name: "Refunded"})
	if err := d.RenameEvent(design.EventRef{App: "Shop", Event: "Settled"}, "Refunded"); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("rename onto an existing event: %v", err)
	}
	var fe *fault.Error
	if err := d.RenameEvent(design.EventRef{App: "Shop", Event: "Gone"}, "X"); !errors.As(err, &fe) || fe.Code != "unknown_event" {
		t.Fatalf("unknown event: %v", err)
	}
}

// TestUpdateEventPrivateDropsOthers: making an event private drops the
// other apps' subscriptions to it (only its owner may handle it) and
// keeps the owner's.
func TestUpdateEventPrivateDropsOthers(t *testing.T) {
	d := diffBase()
	ev := d.Events[0]
	ev.Public = false
	if err := d.UpdateEvent(ev.Ref(), ev); err != nil {
		t.Fatal(err)
	}
	if got := subRefs(d); !slices.Equal(got, []string{"Shop:Shop.Paid"}) || d.Events[0].ID != 10 {
		t.Fatalf("subscriptions = %v, event %+v", got, d.Events[0])
	}
}

// TestDeletesCascade: deleting an app takes its events and every
// subscription it has or its events have; deleting an event takes the
// subscriptions to it.
func TestDeletesCascade(t *testing.T) {
	d := diffBase()
	d.Events = append(d.Events, design.Event{ID: 11, App: "Mail", Name: "Sent"})
	d.Subscriptions = append(d.Subscriptions, design.Subscription{ID: 103, App: "Ledger", Event: design.EventRef{App: "Mail", Event: "Sent"}})
	e := d.Clone()
	if err := e.DeleteApp("Mail"); err != nil {
		t.Fatal(err)
	}
	if got := subRefs(e); len(e.Apps) != 2 || len(e.Events) != 1 || !slices.Equal(got, []string{"Shop:Shop.Paid", "Ledger:Shop.Paid"}) {
		t.Fatalf("after deleting Mail: apps %v events %v subscriptions %v", e.Apps, e.Events, got)
	}
	if err := d.DeleteEvent(design.EventRef{App: "Shop", Event: "Paid"}); err != nil {
		t.Fatal(err)
	}
	if got := subRefs(d); !slices.Equal(got, []string{"Ledger:Mail.Sent"}) {
		t.Fatalf("after deleting Shop.Paid: %v", got)
	}
}

// TestSubscriptionEdits: at most one subscription per app and event;
// moving one keeps its id; pause and delete find it by reference.
func TestSubscriptionEdits(t *testing.T) {
	d := diffBase()
	paid := design.EventRef{App: "Shop", Event: "Paid"}
	if err := d.AddSubscription(design.Subscription{App: "Ledger", Event: paid}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := d.AddSubscription(design.Subscription{App: "Nobody", Event: paid}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown app: %v", err)
	}
	d.Events = append(d.Events, design.Event{ID: 11, App: "Shop", Name: "Refunded", Public: true})
	ledger := design.NewSubscriptionRef("Ledger", paid)
	if err := d.UpdateSubscription(ledger, design.Subscription{Event: design.EventRef{App: "Shop", Event: "Refunded"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if s := d.Subscriptions[1]; s.ID != 101 || s.Ref().String() != "Ledger:Shop.Refunded" || !s.Enabled {
		t.Fatalf("moved subscription = %+v", s)
	}
	moved := design.SubscriptionRef{App: "Ledger", Producer: "Shop", Event: "Refunded"}
	if err := d.SetPaused(moved, true); err != nil || !d.Subscriptions[1].Paused {
		t.Fatalf("pause: %v %+v", err, d.Subscriptions[1])
	}
	if err := d.SetPaused(ledger, true); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("pausing the old reference: %v", err)
	}
	if err := d.DeleteSubscription(moved); err != nil || len(d.Subscriptions) != 2 {
		t.Fatalf("delete: %v, %v", err, subRefs(d))
	}
}

// TestWithIDsOf: a document read from a file takes the ids of the
// current parts of the same names, and new parts have none.
func TestWithIDsOf(t *testing.T) {
	cur := diffBase()
	doc := diffBase()
	doc.Apps = append(doc.Apps, design.App{ID: 99, Name: "Stock"})
	doc.Apps[0].ID = 42
	next := doc.WithIDsOf(cur)
	if next.Apps[0].ID != 1 || next.Apps[3].ID != 0 || next.Events[0].ID != 10 || next.Subscriptions[2].ID != 102 {
		t.Fatalf("ids = %+v", next)
	}
	if doc.Apps[0].ID != 42 {
		t.Fatal("WithIDsOf changed its receiver")
	}
}
