package engine

import (
	"context"
	"encoding/json"
	"fmt"
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

// DiffDesigns lists what changed from a to b (design.Compare: parts
// matched by id where both carry one, by name otherwise, as between
// versions): apps, then events, then subscriptions, each sorted by name,
// with the details of each update in words.
func DiffDesigns(a, b design.Design) []DiffEntry {
	diff := design.Compare(a, b)
	broken := map[string][]string{} // event -> subscriptions it breaks
	for _, x := range design.Breaks(a, b) {
		ev, name := x.Subscription.EventRef().String(), x.Subscription.String()
		if subs := broken[ev]; len(subs) == 0 || subs[len(subs)-1] != name {
			broken[ev] = append(subs, name)
		}
	}
	var apps, events, subs []DiffEntry
	for _, x := range diff.Apps {
		apps = append(apps, DiffEntry{Action: string(x.Action), Kind: "app", Name: x.Name(), Details: fieldDetails("", x.Fields)})
	}
	for _, x := range diff.Events {
		d := DiffEntry{Action: string(x.Action), Kind: "event", Name: x.Ref().String(), Details: eventDetails(x)}
		d.Breaks = broken[d.Name]
		d.Breaking = len(d.Breaks) > 0
		events = append(events, d)
	}
	for _, x := range diff.Subscriptions {
		subs = append(subs, DiffEntry{Action: string(x.Action), Kind: "subscription", Name: x.Ref().String(), Details: subscriptionDetails(x)})
	}
	var out []DiffEntry
	for _, part := range [][]DiffEntry{apps, events, subs} {
		sort.SliceStable(part, func(i, j int) bool { return part[i].Name < part[j].Name })
		out = append(out, part...)
	}
	return out
}

// eventDetails says in words how an updated event changed: its own
// fields, then its parameters (added and changed in the new order, then
// removed), then whether they were reordered.
func eventDetails(x design.EventDiff) []string {
	d := fieldDetails("", x.Fields)
	for _, p := range x.Parameters {
		switch p.Action {
		case design.Added:
			if p.New.Mandatory {
				d = append(d, fmt.Sprintf("parameter %s added (%s, mandatory)", p.Name(), p.New.Type))
			} else {
				d = append(d, fmt.Sprintf("parameter %s added (%s)", p.Name(), p.New.Type))
			}
		case design.Removed:
			d = append(d, fmt.Sprintf("parameter %s removed", p.Name()))
		default:
			d = append(d, fieldDetails("parameter "+p.Name()+" ", p.Fields)...)
		}
	}
	if x.Reordered {
		d = append(d, "parameters reordered")
	}
	return d
}

// subscriptionDetails says in words how an updated subscription changed:
// its handler first, then its other fields.
func subscriptionDetails(x design.SubscriptionDiff) []string {
	var d []string
	if x.HandlerChanged && x.Old.Handler.Kind != x.New.Handler.Kind {
		d = append(d, fmt.Sprintf("handler %s → %s", x.Old.Handler.Kind, x.New.Handler.Kind))
	} else if x.HandlerChanged {
		d = append(d, "handler changed")
	}
	return append(d, fieldDetails("", x.Fields)...)
}

// fieldDetails writes each changed field as "name: old → new" (strings
// quoted, empty ones as (none)), with words for the flags: "made
// private", "made mandatory", and "retyped" for a parameter's type.
// prefix names the part ("parameter Amount ") when it is not the entry.
func fieldDetails(prefix string, fs []design.FieldChange) []string {
	var d []string
	for _, f := range fs {
		switch {
		case f.Field == "public" && f.New == false:
			d = append(d, prefix+"made private")
		case f.Field == "public":
			d = append(d, prefix+"made public")
		case f.Field == "mandatory" && f.New == true:
			d = append(d, prefix+"made mandatory")
		case f.Field == "mandatory":
			d = append(d, prefix+"made optional")
		case f.Field == "type":
			d = append(d, fmt.Sprintf("%sretyped %v → %v", prefix, f.Old, f.New))
		default:
			d = append(d, fmt.Sprintf("%s%s: %v → %v", prefix, f.Field, show(f.Old), show(f.New)))
		}
	}
	return d
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
