package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// versionOf is the design version a change stores: the whole next design
// as its document, who made it, and a summary of what changed.
func versionOf(ctx context.Context, next design.Design, changes []Change, at time.Time) (*storage.DesignVersion, error) {
	doc, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("design version: %w", err)
	}
	return &storage.DesignVersion{At: at, Actor: ActorOf(ctx).Name, Summary: summarize(changes), Document: doc}, nil
}

// summarize is a change list in one line: "create event Shop.Paid", or
// "4 changes: create app A, update event A.B, …" (the first three named).
func summarize(changes []Change) string {
	say := func(c Change) string { return c.Action + " " + c.Kind + " " + c.Name }
	if len(changes) == 1 {
		return say(changes[0])
	}
	names := make([]string, 0, 3)
	for _, c := range changes[:min(3, len(changes))] {
		names = append(names, say(c))
	}
	more := ""
	if len(changes) > 3 {
		more = ", …"
	}
	return fmt.Sprintf("%d changes: %s%s", len(changes), strings.Join(names, ", "), more)
}

// DesignVersions lists the design's versions newest first (without their
// documents), those below before (0: from the newest).
func (e *Engine) DesignVersions(ctx context.Context, before int64, limit int) ([]storage.DesignVersion, error) {
	out, err := e.st.DesignVersionList(ctx, &storage.DesignVersionListParams{Before: before, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("list design versions: %w", err)
	}
	return out, nil
}

// DesignVersion returns one version with its design.
func (e *Engine) DesignVersion(ctx context.Context, n int64) (storage.DesignVersion, design.Design, error) {
	v, err := e.st.DesignVersionGet(ctx, n)
	if err != nil {
		return v, design.Design{}, err
	}
	var d design.Design
	if err := json.Unmarshal(v.Document, &d); err != nil {
		return v, d, fmt.Errorf("design version %d: read its document: %w", n, err)
	}
	return v, d, nil
}

// DiffEntry is one difference between two designs: a part created,
// deleted or changed (Details say how). Breaking marks an event change
// that breaks its subscribers (design.Breaks: a parameter removed, retyped
// or made mandatory, the event made private or deleted, while apps other
// than its producer handle it) and Breaks names the subscriptions
// ("App:Producer.Event") it breaks.
type DiffEntry struct {
	Action   string   `json:"action"`
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	Details  []string `json:"details,omitempty"`
	Breaking bool     `json:"breaking,omitempty"`
	Breaks   []string `json:"breaks,omitempty"`
}

// DesignDiff compares versions from and to (to 0: the current design).
func (e *Engine) DesignDiff(ctx context.Context, from, to int64) ([]DiffEntry, error) {
	_, a, err := e.DesignVersion(ctx, from)
	if err != nil {
		return nil, err
	}
	b := e.Design()
	if to != 0 {
		if _, b, err = e.DesignVersion(ctx, to); err != nil {
			return nil, err
		}
	}
	return DiffDesigns(a, b), nil
}

// DiffDesigns lists what changed from a to b, matching parts by name:
// apps, then events, then subscriptions, each sorted by name.
func DiffDesigns(a, b design.Design) []DiffEntry {
	var out []DiffEntry
	out = append(out, diffParts("app", a.Apps, b.Apps, func(x design.App) string { return x.Name }, appDetails)...)
	broken := map[string][]string{} // event -> subscriptions it breaks
	for _, x := range design.Breaks(a, b) {
		_, ev, _ := strings.Cut(x.Subscription, ":")
		if subs := broken[ev]; len(subs) == 0 || subs[len(subs)-1] != x.Subscription {
			broken[ev] = append(subs, x.Subscription)
		}
	}
	events := diffParts("event", a.Events, b.Events, func(x design.Event) string { return x.Ref().String() }, eventDetails)
	for i := range events {
		d := &events[i]
		d.Breaks = broken[d.Name]
		d.Breaking = len(d.Breaks) > 0
	}
	out = append(out, events...)
	out = append(out, diffParts("subscription", a.Subscriptions, b.Subscriptions, func(x design.Subscription) string { return x.App + ":" + x.Event.String() }, subscriptionDetails)...)
	return out
}

// diffParts diffs one kind of part by name; details describes an update,
// nil details meaning none.
func diffParts[T any](kind string, a, b []T, name func(T) string, details func(x, y T) []string) []DiffEntry {
	old := make(map[string]T, len(a))
	for _, x := range a {
		old[name(x)] = x
	}
	seen := make(map[string]bool, len(b))
	var out []DiffEntry
	for _, y := range b {
		n := name(y)
		seen[n] = true
		x, ok := old[n]
		if !ok {
			out = append(out, DiffEntry{Action: "create", Kind: kind, Name: n})
			continue
		}
		if d := details(x, y); len(d) > 0 {
			out = append(out, DiffEntry{Action: "update", Kind: kind, Name: n, Details: d})
		}
	}
	for _, x := range a {
		if !seen[name(x)] {
			out = append(out, DiffEntry{Action: "delete", Kind: kind, Name: name(x)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func appDetails(x, y design.App) []string {
	var d []string
	d = field(d, "description", x.Description, y.Description)
	d = field(d, "color", x.Color, y.Color)
	d = field(d, "concurrency", x.Concurrency, y.Concurrency)
	d = field(d, "endpoint", x.Endpoint, y.Endpoint)
	return d
}

func eventDetails(x, y design.Event) []string {
	var d []string
	if x.Public && !y.Public {
		d = append(d, "made private")
	} else if !x.Public && y.Public {
		d = append(d, "made public")
	}
	d = field(d, "description", x.Description, y.Description)
	old := map[string]design.Parameter{}
	for _, p := range x.Parameters {
		old[p.Name] = p
	}
	now := map[string]bool{}
	for _, p := range y.Parameters {
		now[p.Name] = true
		q, ok := old[p.Name]
		switch {
		case !ok && p.Mandatory:
			d = append(d, fmt.Sprintf("parameter %s added (%s, mandatory)", p.Name, p.Type))
		case !ok:
			d = append(d, fmt.Sprintf("parameter %s added (%s)", p.Name, p.Type))
		default:
			if q.Type != p.Type {
				d = append(d, fmt.Sprintf("parameter %s retyped %s → %s", p.Name, q.Type, p.Type))
			}
			if !q.Mandatory && p.Mandatory {
				d = append(d, fmt.Sprintf("parameter %s made mandatory", p.Name))
			} else if q.Mandatory && !p.Mandatory {
				d = append(d, fmt.Sprintf("parameter %s made optional", p.Name))
			}
			d = field(d, "parameter "+p.Name+" description", q.Description, p.Description)
		}
	}
	for _, p := range x.Parameters {
		if !now[p.Name] {
			d = append(d, fmt.Sprintf("parameter %s removed", p.Name))
		}
	}
	return d
}

func subscriptionDetails(x, y design.Subscription) []string {
	var d []string
	if x.Handler.Kind != y.Handler.Kind {
		d = append(d, fmt.Sprintf("handler %s → %s", x.Handler.Kind, y.Handler.Kind))
	} else if !reflect.DeepEqual(x.Handler, y.Handler) {
		d = append(d, "handler changed")
	}
	d = field(d, "filter", x.Filter, y.Filter)
	d = field(d, "enabled", x.Enabled, y.Enabled)
	d = field(d, "paused", x.Paused, y.Paused)
	return d
}

// field appends "name: old → new" when they differ.
func field[T comparable](d []string, name string, old, now T) []string {
	if old == now {
		return d
	}
	return append(d, fmt.Sprintf("%s: %v → %v", name, show(old), show(now)))
}

func show(v any) any {
	if s, ok := v.(string); ok {
		if s == "" {
			return "(none)"
		}
		return fmt.Sprintf("%q", s)
	}
	return v
}
