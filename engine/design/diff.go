package design

import (
	"maps"
	"slices"
)

// DiffAction says what happened to one part between two designs. Its
// values are the words dry runs, audit entries and version diffs show.
type DiffAction string

// The diff actions.
const (
	// Added: the part is only in the newer design.
	Added DiffAction = "create"
	// Removed: the part is only in the older design.
	Removed DiffAction = "delete"
	// Changed: the part is in both, and at least one field differs.
	Changed DiffAction = "update"
)

// FieldChange is one field of a part that differs, with both values
// (plain strings, numbers or booleans).
type FieldChange struct {
	Field string
	Old   any
	New   any
}

// AppDiff is one app added, removed or changed. Old is nil when Added,
// New when Removed; Fields lists what a Changed app changed.
type AppDiff struct {
	Action DiffAction
	Old    *App
	New    *App
	Fields []FieldChange
}

// Name is the app's name in the newer design (the older one when it was
// removed).
func (x AppDiff) Name() string { return pick(x.Old, x.New).Name }

// ParameterDiff is one parameter of a changed event added, removed or
// changed (Fields: type, mandatory, description).
type ParameterDiff struct {
	Action DiffAction
	Old    *Parameter
	New    *Parameter
	Fields []FieldChange
}

// Name is the parameter's name.
func (x ParameterDiff) Name() string { return pick(x.Old, x.New).Name }

// EventDiff is one event added, removed or changed. A Changed event lists
// its own fields (app, name, public, description), its Parameters added,
// removed or changed, and Reordered when the parameters both versions
// have come in another order.
type EventDiff struct {
	Action     DiffAction
	Old        *Event
	New        *Event
	Fields     []FieldChange
	Parameters []ParameterDiff
	Reordered  bool
}

// Ref is the event's reference in the newer design (the older one when it
// was removed).
func (x EventDiff) Ref() EventRef { return pick(x.Old, x.New).Ref() }

// SubscriptionDiff is one subscription added, removed or changed (Fields:
// app, event, filter, enabled, paused; HandlerChanged when its handler
// differs in any way).
type SubscriptionDiff struct {
	Action         DiffAction
	Old            *Subscription
	New            *Subscription
	Fields         []FieldChange
	HandlerChanged bool
}

// Ref is the subscription's reference in the newer design (the older one
// when it was removed).
func (x SubscriptionDiff) Ref() SubscriptionRef { return pick(x.Old, x.New).Ref() }

// Diff is what changed from one design to another, part by part. Each
// list holds the parts added or changed in the newer design's order, then
// those removed in the older design's order; unchanged parts are absent.
type Diff struct {
	Apps          []AppDiff
	Events        []EventDiff
	Subscriptions []SubscriptionDiff
}

// Empty reports whether the designs are the same.
func (d Diff) Empty() bool {
	return len(d.Apps) == 0 && len(d.Events) == 0 && len(d.Subscriptions) == 0
}

// Compare lists what changed from a to b. Parts are matched by ID when
// both carry one (so a rename is a change, not a delete and an add), then
// the rest by name (designs read from files or versions have no ids).
// Only what a design document holds counts: ids and timestamps do not.
func Compare(a, b Design) Diff {
	var d Diff
	for _, m := range match(a.Apps, b.Apps, func(x App) int64 { return x.ID }, func(x App) string { return x.Name }) {
		if f := appFields(m.old, m.new); m.old == nil || m.new == nil || len(f) > 0 {
			d.Apps = append(d.Apps, AppDiff{Action: m.action(), Old: m.old, New: m.new, Fields: f})
		}
	}
	for _, m := range match(a.Events, b.Events, func(x Event) int64 { return x.ID }, func(x Event) string { return x.Ref().String() }) {
		x := EventDiff{Action: m.action(), Old: m.old, New: m.new}
		if m.old != nil && m.new != nil {
			x.Fields = eventFields(m.old, m.new)
			x.Parameters, x.Reordered = compareParameters(m.old.Parameters, m.new.Parameters)
			if len(x.Fields) == 0 && len(x.Parameters) == 0 && !x.Reordered {
				continue
			}
		}
		d.Events = append(d.Events, x)
	}
	for _, m := range match(a.Subscriptions, b.Subscriptions, func(x Subscription) int64 { return x.ID }, func(x Subscription) string { return x.Ref().String() }) {
		x := SubscriptionDiff{Action: m.action(), Old: m.old, New: m.new}
		if m.old != nil && m.new != nil {
			x.Fields = subscriptionFields(m.old, m.new)
			x.HandlerChanged = !m.old.Handler.Equal(m.new.Handler)
			if len(x.Fields) == 0 && !x.HandlerChanged {
				continue
			}
		}
		d.Subscriptions = append(d.Subscriptions, x)
	}
	return d
}

// Equal reports whether h and o run the same way: same kind, name, path
// and steps, field by field (a nil map or list equals an empty one, as
// in the design's JSON).
func (h Handler) Equal(o Handler) bool {
	return h.Kind == o.Kind && h.Name == o.Name && h.Path == o.Path && slices.EqualFunc(h.Steps, o.Steps, Step.Equal)
}

// Equal reports whether s and o are the same step.
func (s Step) Equal(o Step) bool {
	return s.Type == o.Type && s.Message == o.Message && s.Duration == o.Duration && s.Event == o.Event &&
		maps.Equal(s.Parameters, o.Parameters) && s.When == o.When && s.Probability == o.Probability &&
		s.Method == o.Method && s.URL == o.URL && maps.Equal(s.Headers, o.Headers) && s.Body == o.Body
}

// pair is one part of the older design matched with its counterpart in
// the newer one; either is nil when the part is only in the other.
type pair[T any] struct{ old, new *T }

func (p pair[T]) action() DiffAction {
	switch {
	case p.old == nil:
		return Added
	case p.new == nil:
		return Removed
	}
	return Changed
}

// match pairs the parts of a and b: by id where both have one, then by
// name among those left. The pairs come in b's order, then a's unmatched
// parts in a's order.
func match[T any](a, b []T, id func(T) int64, name func(T) string) []pair[T] {
	used := make([]bool, len(a))
	byID := make(map[int64]int, len(a))
	byName := make(map[string]int, len(a))
	for i, x := range a {
		if id(x) != 0 {
			byID[id(x)] = i
		}
	}
	out := make([]pair[T], len(b))
	for j := range b {
		out[j].new = &b[j]
		if k := id(b[j]); k != 0 {
			if i, ok := byID[k]; ok {
				used[i] = true
				out[j].old = &a[i]
			}
		}
	}
	for i, x := range a {
		if !used[i] {
			byName[name(x)] = i
		}
	}
	for j := range b {
		if out[j].old != nil {
			continue
		}
		if i, ok := byName[name(b[j])]; ok && !used[i] {
			used[i] = true
			out[j].old = &a[i]
		}
	}
	for i := range a {
		if !used[i] {
			out = append(out, pair[T]{old: &a[i]})
		}
	}
	return out
}

func pick[T any](old, new *T) *T {
	if new != nil {
		return new
	}
	return old
}

// fieldChanges accumulates the fields that differ.
type fieldChanges []FieldChange

func (f *fieldChanges) add(field string, old, new any) {
	if old != new {
		*f = append(*f, FieldChange{Field: field, Old: old, New: new})
	}
}

func appFields(a, b *App) []FieldChange {
	if a == nil || b == nil {
		return nil
	}
	var f fieldChanges
	f.add("name", a.Name, b.Name)
	f.add("description", a.Description, b.Description)
	f.add("color", a.Color, b.Color)
	f.add("concurrency", a.Concurrency, b.Concurrency)
	f.add("endpoint", a.Endpoint, b.Endpoint)
	return f
}

func eventFields(a, b *Event) []FieldChange {
	var f fieldChanges
	f.add("app", a.App, b.App)
	f.add("name", a.Name, b.Name)
	f.add("public", a.Public, b.Public)
	f.add("description", a.Description, b.Description)
	return f
}

func subscriptionFields(a, b *Subscription) []FieldChange {
	var f fieldChanges
	f.add("app", a.App, b.App)
	f.add("event", a.Event.String(), b.Event.String())
	f.add("filter", a.Filter, b.Filter)
	f.add("enabled", a.Enabled, b.Enabled)
	f.add("paused", a.Paused, b.Paused)
	return f
}

// compareParameters lists the parameters added, changed (in b's order)
// and removed (in a's order), matched by name, and whether those in both
// come in another order.
func compareParameters(a, b []Parameter) ([]ParameterDiff, bool) {
	var out []ParameterDiff
	for _, m := range match(a, b, func(Parameter) int64 { return 0 }, func(p Parameter) string { return p.Name }) {
		if m.old != nil && m.new != nil {
			var f fieldChanges
			f.add("type", string(m.old.Type), string(m.new.Type))
			f.add("mandatory", m.old.Mandatory, m.new.Mandatory)
			f.add("description", m.old.Description, m.new.Description)
			if len(f) > 0 {
				out = append(out, ParameterDiff{Action: Changed, Old: m.old, New: m.new, Fields: f})
			}
			continue
		}
		out = append(out, ParameterDiff{Action: m.action(), Old: m.old, New: m.new})
	}
	return out, !slices.Equal(namesIn(a, b), namesIn(b, a))
}

// namesIn lists, in ps's order, the names of ps's parameters that others
// has too.
func namesIn(ps, others []Parameter) []string {
	var out []string
	for _, p := range ps {
		if slices.ContainsFunc(others, func(q Parameter) bool { return q.Name == p.Name }) {
			out = append(out, p.Name)
		}
	}
	return out
}
