package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/eventloom/eventloom/engine/design"
)

// Finding is one thing worth a designer's attention in a design that is
// valid but probably not what was meant.
type Finding struct {
	// Code is stable: unhandled_event, idle_app, loop, broken_flow.
	Code string `json:"code"`
	// Subject is what the finding is about: an app name, "Producer.Event",
	// or "App:Producer.Event" for a subscription.
	Subject string `json:"subject"`
	// Path lists the events of a loop, in order, back to the first.
	Path    []string `json:"path,omitempty"`
	Message string   `json:"message"`
}

// Lint reports what the designer should look at: events nobody handles,
// apps that handle nothing, chains of flows that loop back to their start,
// and flows that no longer compile against the events they map (a
// parameter renamed or removed, a Go handler not registered here). The
// design is valid either way; lints never block a change.
func (e *Engine) Lint() []Finding {
	snap := e.snap.Load()
	idx := snap.idx
	var out []Finding
	for _, ev := range idx.Events {
		if len(idx.SubscriptionsOf(ev.ID)) == 0 {
			out = append(out, Finding{Code: "unhandled_event", Subject: ev.Ref().String(),
				Message: fmt.Sprintf("nobody handles %s: its occurrences are stored and go nowhere; subscribe an app or delete the event", ev.Ref())})
		}
	}
	for _, a := range idx.Apps {
		if len(idx.SubscriptionsBy(a.ID)) == 0 {
			out = append(out, Finding{Code: "idle_app", Subject: a.Name,
				Message: fmt.Sprintf("%s handles no event; subscribe it to one, or it only produces", a.Name)})
		}
	}
	out = append(out, loops(idx)...)
	for i := range idx.Subscriptions {
		s := &idx.Subscriptions[i]
		_, errs := e.compileSub(idx, s)
		for _, x := range errs {
			field := strings.TrimPrefix(x.Field, s.Ref().FieldPrefix())
			out = append(out, Finding{Code: "broken_flow", Subject: s.Ref().String(),
				Message: fmt.Sprintf("%s handling %s: %s: %s", s.App, s.Event, field, x.Message)})
		}
	}
	return out
}

// loops finds every chain of flows that comes back to an event it
// started from: event -> subscription's flow -> triggered event -> ...
// Each loop is reported once, starting from its smallest event name.
func loops(idx *design.Index) []Finding {
	next := map[string][]string{}
	for _, s := range idx.Subscriptions {
		if s.Handler.Kind != design.KindFlow || !s.Enabled {
			continue
		}
		for _, st := range s.Handler.Steps {
			if st.Type == design.StepTrigger {
				to := design.EventRef{App: s.App, Event: st.Event}.String()
				if !slices.Contains(next[s.Event.String()], to) {
					next[s.Event.String()] = append(next[s.Event.String()], to)
				}
			}
		}
	}
	starts := make([]string, 0, len(next))
	for k := range next {
		starts = append(starts, k)
	}
	sort.Strings(starts)
	seen := map[string]bool{}
	var out []Finding
	var path []string
	onPath := map[string]bool{}
	var walk func(ev, start string)
	walk = func(ev, start string) {
		for _, to := range next[ev] {
			switch {
			case to == start:
				cycle := append(slices.Clone(path), start)
				key := strings.Join(cycle, ">")
				if !seen[key] {
					seen[key] = true
					out = append(out, Finding{Code: "loop", Subject: start, Path: cycle,
						Message: fmt.Sprintf("a chain loops back to its start: %s; unless a condition ends it, every occurrence runs for ever", strings.Join(cycle, " → "))})
				}
			case to < start || onPath[to]:
				// A loop through a smaller event is reported from there.
			default:
				onPath[to] = true
				path = append(path, to)
				walk(to, start)
				path = path[:len(path)-1]
				onPath[to] = false
			}
		}
	}
	for _, s := range starts {
		path = []string{s}
		onPath = map[string]bool{s: true}
		walk(s, s)
	}
	return out
}
