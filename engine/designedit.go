package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// diffDesign lists the storage ops that turn old into next (matched by
// id; id 0 is new) and the changes they make: deletes first
// (subscriptions, events, apps), then puts (apps, events, subscriptions),
// so names freed by a delete can be reused and references resolve.
func diffDesign(old, next design.Design) ([]storage.DesignOp, []Change) {
	var ops []storage.DesignOp
	var changes []Change
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	subName := func(s design.Subscription) string { return s.App + ":" + s.Event.String() }

	nextSubs := map[int64]design.Subscription{}
	for _, s := range next.Subscriptions {
		if s.ID != 0 {
			nextSubs[s.ID] = s
		}
	}
	nextEvents := map[int64]design.Event{}
	for _, ev := range next.Events {
		if ev.ID != 0 {
			nextEvents[ev.ID] = ev
		}
	}
	nextApps := map[int64]design.App{}
	for _, a := range next.Apps {
		if a.ID != 0 {
			nextApps[a.ID] = a
		}
	}
	for _, s := range old.Subscriptions {
		if _, ok := nextSubs[s.ID]; !ok {
			ops = append(ops, storage.DesignOp{Kind: storage.SubscriptionDelete, ID: s.ID})
			changes = append(changes, Change{"delete", "subscription", subName(s)})
		}
	}
	for _, ev := range old.Events {
		if _, ok := nextEvents[ev.ID]; !ok {
			ops = append(ops, storage.DesignOp{Kind: storage.EventDelete, ID: ev.ID})
			changes = append(changes, Change{"delete", "event", ev.Ref().String()})
		}
	}
	for _, a := range old.Apps {
		if _, ok := nextApps[a.ID]; !ok {
			ops = append(ops, storage.DesignOp{Kind: storage.AppDelete, ID: a.ID})
			changes = append(changes, Change{"delete", "app", a.Name})
		}
	}
	oldApps := map[int64]design.App{}
	for _, a := range old.Apps {
		oldApps[a.ID] = a
	}
	for i := range next.Apps {
		a := next.Apps[i]
		if a.ID == 0 {
			ops = append(ops, storage.DesignOp{Kind: storage.AppPut, App: &a})
			changes = append(changes, Change{"create", "app", a.Name})
		} else if !same(oldApps[a.ID], a) {
			ops = append(ops, storage.DesignOp{Kind: storage.AppPut, App: &a})
			changes = append(changes, Change{"update", "app", a.Name})
		}
	}
	oldEvents := map[int64]design.Event{}
	for _, ev := range old.Events {
		oldEvents[ev.ID] = ev
	}
	for i := range next.Events {
		ev := next.Events[i]
		if ev.ID == 0 {
			ops = append(ops, storage.DesignOp{Kind: storage.EventPut, Event: &ev})
			changes = append(changes, Change{"create", "event", ev.Ref().String()})
		} else if !same(oldEvents[ev.ID], ev) {
			ops = append(ops, storage.DesignOp{Kind: storage.EventPut, Event: &ev})
			changes = append(changes, Change{"update", "event", ev.Ref().String()})
		}
	}
	oldSubs := map[int64]design.Subscription{}
	for _, s := range old.Subscriptions {
		oldSubs[s.ID] = s
	}
	for i := range next.Subscriptions {
		s := next.Subscriptions[i]
		if s.ID == 0 {
			ops = append(ops, storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &s})
			changes = append(changes, Change{"create", "subscription", subName(s)})
		} else if !same(oldSubs[s.ID], s) {
			ops = append(ops, storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &s})
			changes = append(changes, Change{"update", "subscription", subName(s)})
		}
	}
	return ops, changes
}

func cloneDesign(d design.Design) design.Design {
	out := design.Design{
		Apps:          slices.Clone(d.Apps),
		Events:        slices.Clone(d.Events),
		Subscriptions: slices.Clone(d.Subscriptions),
	}
	for i := range out.Events {
		out.Events[i].Parameters = slices.Clone(out.Events[i].Parameters)
	}
	for i := range out.Subscriptions {
		h := &out.Subscriptions[i].Handler
		h.Steps = slices.Clone(h.Steps)
		for j := range h.Steps {
			if h.Steps[j].Parameters != nil {
				m := make(map[string]string, len(h.Steps[j].Parameters))
				for k, v := range h.Steps[j].Parameters {
					m[k] = v
				}
				h.Steps[j].Parameters = m
			}
		}
	}
	return out
}

func findApp(d *design.Design, name string) int {
	return slices.IndexFunc(d.Apps, func(a design.App) bool { return a.Name == name })
}

func findEvent(d *design.Design, ref design.EventRef) int {
	return slices.IndexFunc(d.Events, func(ev design.Event) bool { return ev.Ref() == ref })
}

func findSub(d *design.Design, app string, ref design.EventRef) int {
	return slices.IndexFunc(d.Subscriptions, func(s design.Subscription) bool { return s.App == app && s.Event == ref })
}

// renameApp makes every reference to app from follow its new name to.
func renameApp(d *design.Design, from, to string) {
	if from == to {
		return
	}
	for i := range d.Events {
		if d.Events[i].App == from {
			d.Events[i].App = to
		}
	}
	for i := range d.Subscriptions {
		s := &d.Subscriptions[i]
		if s.App == from {
			s.App = to
		}
		if s.Event.App == from {
			s.Event.App = to
		}
	}
}

// renameOwnTriggers makes the owner's flow trigger steps that name the
// renamed event follow its new name.
func renameOwnTriggers(d *design.Design, ref design.EventRef, to string) {
	if ref.Event == to {
		return
	}
	for i := range d.Subscriptions {
		s := &d.Subscriptions[i]
		if s.App != ref.App {
			continue
		}
		for j := range s.Handler.Steps {
			if s.Handler.Steps[j].Type == design.StepTrigger && s.Handler.Steps[j].Event == ref.Event {
				s.Handler.Steps[j].Event = to
			}
		}
	}
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

func unknownApp(name string) *fault.Error {
	return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_app", Field: "app", Message: fmt.Sprintf("app %q does not exist; check the name or create it first", name)}
}

func unknownEvent(ref design.EventRef) *fault.Error {
	return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_event", Field: "event", Message: fmt.Sprintf("event %s does not exist; name it as Producer.EventName", ref)}
}

func unknownSubscription(app string, ref design.EventRef) *fault.Error {
	return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_subscription", Field: "event", Message: fmt.Sprintf("%s does not handle %s; create the subscription first", app, ref)}
}
