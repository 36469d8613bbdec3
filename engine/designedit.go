package engine

import (
	"errors"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// diffDesign lists the storage ops that turn old into next and the
// changes they make, from design.Compare (parts matched by id; id 0 is
// new): deletes first (subscriptions, events, apps), then puts (apps,
// events, subscriptions), so names freed by a delete can be reused and
// references resolve. A part Compare matched by name takes the id of the
// one it replaces.
func diffDesign(old, next design.Design) ([]storage.DesignOp, []Change) {
	diff := design.Compare(old, next)
	var ops []storage.DesignOp
	var changes []Change
	for _, s := range diff.Subscriptions {
		if s.Action == design.Removed {
			ops = append(ops, storage.DesignOp{Kind: storage.SubscriptionDelete, ID: s.Old.ID})
			changes = append(changes, Change{string(s.Action), "subscription", s.Ref().String()})
		}
	}
	for _, ev := range diff.Events {
		if ev.Action == design.Removed {
			ops = append(ops, storage.DesignOp{Kind: storage.EventDelete, ID: ev.Old.ID})
			changes = append(changes, Change{string(ev.Action), "event", ev.Ref().String()})
		}
	}
	for _, a := range diff.Apps {
		if a.Action == design.Removed {
			ops = append(ops, storage.DesignOp{Kind: storage.AppDelete, ID: a.Old.ID})
			changes = append(changes, Change{string(a.Action), "app", a.Name()})
		}
	}
	for _, a := range diff.Apps {
		if a.Action != design.Removed {
			ops = append(ops, storage.DesignOp{Kind: storage.AppPut, App: withOldID(a.Old, a.New, func(x *design.App) *int64 { return &x.ID })})
			changes = append(changes, Change{string(a.Action), "app", a.Name()})
		}
	}
	for _, ev := range diff.Events {
		if ev.Action != design.Removed {
			ops = append(ops, storage.DesignOp{Kind: storage.EventPut, Event: withOldID(ev.Old, ev.New, func(x *design.Event) *int64 { return &x.ID })})
			changes = append(changes, Change{string(ev.Action), "event", ev.Ref().String()})
		}
	}
	for _, s := range diff.Subscriptions {
		if s.Action != design.Removed {
			ops = append(ops, storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: withOldID(s.Old, s.New, func(x *design.Subscription) *int64 { return &x.ID })})
			changes = append(changes, Change{string(s.Action), "subscription", s.Ref().String()})
		}
	}
	return ops, changes
}

// withOldID is a copy of the part the newer design holds, with the id of
// the part it replaces (old nil: a new part, id 0).
func withOldID[T any](old, new *T, id func(*T) *int64) *T {
	x := *new
	if old != nil {
		*id(&x) = *id(old)
	}
	return &x
}

// localize strips the design-wide prefix ("apps[Shop].") from the fields
// of errors about the one part a verb edits, so a form can show each error
// next to its own input; errors about other parts keep their prefix.
func localize(err error, prefix string) error {
	all := fault.All(err)
	if len(all) == 0 || errors.As(err, new(*design.BreakingError)) {
		return err
	}
	out := make(fault.List, len(all))
	for i, x := range all {
		y := *x
		y.Field = strings.TrimPrefix(y.Field, prefix)
		out[i] = &y
	}
	return out.Err()
}

// unknownApp, unknownEvent and unknownSubscription are the model's
// refusals of a missing part, for the engine's lookups.
func unknownApp(name string) *fault.Error { return design.UnknownApp(name) }

func unknownEvent(ref design.EventRef) *fault.Error { return design.UnknownEvent(ref) }

func unknownSubscription(app string, ref design.EventRef) *fault.Error {
	return design.UnknownSubscription(design.NewSubscriptionRef(app, ref))
}
