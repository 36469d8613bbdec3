package design

import (
	"fmt"
	"maps"
	"slices"

	"github.com/eventloom/eventloom/engine/fault"
)

// The edits below change a Design the caller owns (a Clone of the shared
// snapshot) one verb at a time, with the references that follow a rename
// or a delete; they check only what the verb itself needs (the part
// exists, a new name is free). The whole result is validated afterwards
// by Check, and by the engine for flows, so an edit that leaves the
// design wrong is refused as a whole.

// Clone returns a deep copy of d: its slices, every event's parameters
// and every flow step's maps are new, so editing the copy never changes d
// (which may be a snapshot other goroutines read).
func (d Design) Clone() Design {
	out := Design{
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
			h.Steps[j].Parameters = cloneMap(h.Steps[j].Parameters)
			h.Steps[j].Headers = cloneMap(h.Steps[j].Headers)
		}
	}
	return out
}

// cloneMap copies m, keeping nil nil.
func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}

// AppIndex is the position of the app named name in d.Apps, or -1.
func (d *Design) AppIndex(name string) int {
	return slices.IndexFunc(d.Apps, func(a App) bool { return a.Name == name })
}

// EventIndex is the position of the event ref in d.Events, or -1.
func (d *Design) EventIndex(ref EventRef) int {
	return slices.IndexFunc(d.Events, func(ev Event) bool { return ev.Ref() == ref })
}

// SubscriptionIndex is the position of the subscription ref in
// d.Subscriptions, or -1.
func (d *Design) SubscriptionIndex(ref SubscriptionRef) int {
	return slices.IndexFunc(d.Subscriptions, func(s Subscription) bool { return s.Ref() == ref })
}

// AddApp appends a as a new app (its ID cleared: storage assigns one);
// ErrConflict when the name is taken, since names identify apps.
func (d *Design) AddApp(a App) error {
	if d.AppIndex(a.Name) >= 0 {
		return &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "name", Message: fmt.Sprintf("app %q exists already; app names are unique", a.Name)}
	}
	a.ID = 0
	d.Apps = append(d.Apps, a)
	return nil
}

// UpdateApp replaces the app named name by a, keeping its ID; a.Name may
// rename it, and then its events and every subscription follow
// (RenameApp).
func (d *Design) UpdateApp(name string, a App) error {
	i := d.AppIndex(name)
	if i < 0 {
		return UnknownApp(name)
	}
	if a.Name != name && d.AppIndex(a.Name) >= 0 {
		return &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "name", Message: fmt.Sprintf("app %q exists already; pick another name", a.Name)}
	}
	a.ID = d.Apps[i].ID
	d.Apps[i] = a
	d.RenameApp(name, a.Name)
	return nil
}

// DeleteApp removes the app named name with the events it owns, its
// subscriptions and every other app's subscriptions to its events.
func (d *Design) DeleteApp(name string) error {
	if d.AppIndex(name) < 0 {
		return UnknownApp(name)
	}
	d.Apps = slices.DeleteFunc(d.Apps, func(a App) bool { return a.Name == name })
	d.Events = slices.DeleteFunc(d.Events, func(ev Event) bool { return ev.App == name })
	d.Subscriptions = slices.DeleteFunc(d.Subscriptions, func(s Subscription) bool { return s.App == name || s.Event.App == name })
	return nil
}

// AddEvent appends ev (owned by ev.App, which must exist) as a new event.
func (d *Design) AddEvent(ev Event) error {
	if d.AppIndex(ev.App) < 0 {
		return UnknownApp(ev.App)
	}
	if d.EventIndex(ev.Ref()) >= 0 {
		return &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "name", Message: fmt.Sprintf("event %s exists already; event names are unique within an app", ev.Ref())}
	}
	ev.ID = 0
	d.Events = append(d.Events, ev)
	return nil
}

// UpdateEvent replaces the event ref by ev, keeping its ID and owner
// (ev.App is set to ref.App). A private ev drops the subscriptions of
// apps other than the owner (DESIGN.md: only the owner may handle a
// private event); a new ev.Name renames it (RenameEvent).
func (d *Design) UpdateEvent(ref EventRef, ev Event) error {
	ev.App = ref.App
	i := d.EventIndex(ref)
	if i < 0 {
		return UnknownEvent(ref)
	}
	if ev.Name != ref.Event && d.EventIndex(ev.Ref()) >= 0 {
		return &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "name", Message: fmt.Sprintf("event %s exists already; pick another name", ev.Ref())}
	}
	if !ev.Public {
		d.Subscriptions = slices.DeleteFunc(d.Subscriptions, func(s Subscription) bool { return s.Event == ref && s.App != ref.App })
	}
	ev.ID = d.Events[i].ID
	d.Events[i] = ev
	d.renameEventRefs(ref, ev.Name)
	return nil
}

// DeleteEvent removes the event ref and every subscription to it.
func (d *Design) DeleteEvent(ref EventRef) error {
	if d.EventIndex(ref) < 0 {
		return UnknownEvent(ref)
	}
	d.Events = slices.DeleteFunc(d.Events, func(ev Event) bool { return ev.Ref() == ref })
	d.Subscriptions = slices.DeleteFunc(d.Subscriptions, func(s Subscription) bool { return s.Event == ref })
	return nil
}

// AddSubscription appends s (s.App handling s.Event) as a new
// subscription; ErrConflict when s.App handles s.Event already (at most
// one subscription per event and app).
func (d *Design) AddSubscription(s Subscription) error {
	if d.AppIndex(s.App) < 0 {
		return UnknownApp(s.App)
	}
	if d.SubscriptionIndex(s.Ref()) >= 0 {
		return &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "event", Message: fmt.Sprintf("%s already handles %s; an app has at most one subscription per event (edit that one)", s.App, s.Event)}
	}
	s.ID = 0
	d.Subscriptions = append(d.Subscriptions, s)
	return nil
}

// UpdateSubscription replaces the subscription ref by s, keeping its ID
// and app (s.App is set to ref.App); s.Event may move it to another
// event the app does not handle yet.
func (d *Design) UpdateSubscription(ref SubscriptionRef, s Subscription) error {
	s.App = ref.App
	i := d.SubscriptionIndex(ref)
	if i < 0 {
		return UnknownSubscription(ref)
	}
	if s.Event != ref.EventRef() && d.SubscriptionIndex(s.Ref()) >= 0 {
		return &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "event", Message: fmt.Sprintf("%s already handles %s", s.App, s.Event)}
	}
	s.ID = d.Subscriptions[i].ID
	d.Subscriptions[i] = s
	return nil
}

// DeleteSubscription removes the subscription ref.
func (d *Design) DeleteSubscription(ref SubscriptionRef) error {
	i := d.SubscriptionIndex(ref)
	if i < 0 {
		return UnknownSubscription(ref)
	}
	d.Subscriptions = slices.Delete(d.Subscriptions, i, i+1)
	return nil
}

// SetPaused pauses (or resumes) the subscription ref.
func (d *Design) SetPaused(ref SubscriptionRef, paused bool) error {
	i := d.SubscriptionIndex(ref)
	if i < 0 {
		return UnknownSubscription(ref)
	}
	d.Subscriptions[i].Paused = paused
	return nil
}

// RenameApp makes every reference to the app from follow its new name
// to: the events it owns, the subscriptions it has and those to its
// events. The app itself is renamed by the caller (UpdateApp).
func (d *Design) RenameApp(from, to string) {
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

// RenameEvent renames the event ref to, with every reference to it: the
// subscriptions to it and the owner's flow steps triggering it (only the
// owner's flows may trigger it). It is UpdateEvent with only the name
// changed.
func (d *Design) RenameEvent(ref EventRef, to string) error {
	i := d.EventIndex(ref)
	if i < 0 {
		return UnknownEvent(ref)
	}
	ev := d.Events[i]
	ev.Name = to
	return d.UpdateEvent(ref, ev)
}

// renameEventRefs makes the subscriptions to ref and the owner's trigger
// steps naming it follow its new name to.
func (d *Design) renameEventRefs(ref EventRef, to string) {
	if ref.Event == to {
		return
	}
	next := EventRef{App: ref.App, Event: to}
	for i := range d.Subscriptions {
		s := &d.Subscriptions[i]
		if s.Event == ref {
			s.Event = next
		}
		if s.App != ref.App {
			continue
		}
		for j := range s.Handler.Steps {
			if st := &s.Handler.Steps[j]; st.Type == StepTrigger && st.Event == ref.Event {
				st.Event = to
			}
		}
	}
}

// WithIDsOf returns doc (a design read from a file, without ids) with the
// ids of cur's parts of the same names, so replacing cur by it updates
// the parts it keeps instead of deleting and recreating them (which would
// lose their deliveries). doc itself is not changed.
func (doc Design) WithIDsOf(cur Design) Design {
	next := Design{
		Apps:          slices.Clone(doc.Apps),
		Events:        slices.Clone(doc.Events),
		Subscriptions: slices.Clone(doc.Subscriptions),
	}
	for i := range next.Apps {
		next.Apps[i].ID = 0
		if j := cur.AppIndex(next.Apps[i].Name); j >= 0 {
			next.Apps[i].ID = cur.Apps[j].ID
		}
	}
	for i := range next.Events {
		next.Events[i].ID = 0
		if j := cur.EventIndex(next.Events[i].Ref()); j >= 0 {
			next.Events[i].ID = cur.Events[j].ID
		}
	}
	for i := range next.Subscriptions {
		s := &next.Subscriptions[i]
		s.ID = 0
		if j := cur.SubscriptionIndex(s.Ref()); j >= 0 {
			s.ID = cur.Subscriptions[j].ID
		}
	}
	return next
}

// UnknownApp is the refusal of a verb naming an app that does not exist.
func UnknownApp(name string) *fault.Error {
	return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_app", Field: "app", Message: fmt.Sprintf("app %q does not exist; check the name or create it first", name)}
}

// UnknownEvent is the refusal of a verb naming an event that does not
// exist.
func UnknownEvent(ref EventRef) *fault.Error {
	return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_event", Field: "event", Message: fmt.Sprintf("event %s does not exist; name it as Producer.EventName", ref)}
}

// UnknownSubscription is the refusal of a verb naming a subscription that
// does not exist.
func UnknownSubscription(ref SubscriptionRef) *fault.Error {
	return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_subscription", Field: "event", Message: fmt.Sprintf("%s does not handle %s; create the subscription first", ref.App, ref.EventRef())}
}
