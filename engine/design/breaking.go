package design

import (
	"fmt"
	"sort"
	"strings"

	"github.com/eventloom/eventloom/engine/fault"
)

// Break is one subscription a design change breaks, and why: an event
// its handler relies on is deleted or made private, or one of the
// event's parameters is removed, retyped or made mandatory.
type Break struct {
	// Subscription names the broken subscription, written
	// "App:Producer.Event" (the event as it was before the change).
	Subscription SubscriptionRef `json:"subscription"`
	// Reason says what breaks it, e.g. "parameter Amount removed".
	Reason string `json:"reason"`
}

// Breaks lists what changing a into b breaks for subscribers, one entry
// per subscription and reason, sorted by subscription. Only apps other
// than an event's producer count as its subscribers here: the producer
// changes its own event and handlers in the same design (and a flow whose
// mapping a parameter change breaks is refused on its own), whereas
// another app's handler is code or a contract the producer does not see.
// Events are matched by id when both designs carry ids (so a rename is
// not a delete), by Producer.Event otherwise.
func Breaks(a, b Design) []Break {
	byID := make(map[int64]*Event, len(b.Events))
	byRef := make(map[EventRef]*Event, len(b.Events))
	for i := range b.Events {
		ev := &b.Events[i]
		if ev.ID != 0 {
			byID[ev.ID] = ev
		}
		byRef[ev.Ref()] = ev
	}
	var out []Break
	for _, old := range a.Events {
		subs := subscribersOf(a, old.Ref())
		if len(subs) == 0 {
			continue
		}
		var now *Event
		if old.ID != 0 {
			now = byID[old.ID]
		} else {
			now = byRef[old.Ref()]
		}
		for _, reason := range eventBreaks(old, now) {
			for _, s := range subs {
				out = append(out, Break{Subscription: s, Reason: reason})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Subscription.String() < out[j].Subscription.String() })
	return out
}

// subscribersOf names the subscriptions of apps other than ref's
// producer to ref, sorted by name.
func subscribersOf(d Design, ref EventRef) []SubscriptionRef {
	var out []SubscriptionRef
	for _, s := range d.Subscriptions {
		if s.Event == ref && s.App != ref.App {
			out = append(out, s.Ref())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// eventBreaks says what turning old into now (nil: deleted) breaks for a
// subscriber of old, in the order of old's parameters.
func eventBreaks(old Event, now *Event) []string {
	if now == nil {
		return []string{"event " + old.Ref().String() + " deleted"}
	}
	var out []string
	if old.Public && !now.Public {
		out = append(out, "event "+old.Ref().String()+" made private")
	}
	for _, p := range old.Parameters {
		q, ok := now.Param(p.Name)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("parameter %s removed", p.Name))
		case q.Type != p.Type:
			out = append(out, fmt.Sprintf("parameter %s retyped %s → %s", p.Name, p.Type, q.Type))
		}
		if ok && !p.Mandatory && q.Mandatory {
			out = append(out, fmt.Sprintf("parameter %s made mandatory", p.Name))
		}
	}
	return out
}

// ConfirmBreakingQuery is the query parameter (with the value "breaking")
// that confirms a design change which breaks subscriptions, on every REST
// route that changes the design.
const ConfirmBreakingQuery = "confirm"

// BreakingError refuses a design change that breaks subscriptions and was
// not confirmed. It unwraps to a fault.Error (Kind ErrConflict, Code
// "breaking_change"), so every surface maps it like any other refusal,
// and carries the Breaks for those that list them.
type BreakingError struct {
	Breaks []Break
	fault  *fault.Error
}

// NewBreakingError builds the refusal of a change with breaks; its
// message names them and says how to confirm.
func NewBreakingError(breaks []Break) *BreakingError {
	subs := map[SubscriptionRef]bool{}
	var names []string
	for _, b := range breaks {
		if !subs[b.Subscription] {
			subs[b.Subscription] = true
			names = append(names, b.Subscription.String())
		}
	}
	reasons := make([]string, 0, len(breaks))
	for _, b := range breaks {
		reasons = append(reasons, b.Subscription.String()+": "+b.Reason)
	}
	msg := fmt.Sprintf("this change breaks %d subscription(s) (%s); nothing was saved. Check with their owners, then repeat the request with ?%s=breaking (in the console: Save anyway) to make it anyway",
		len(names), strings.Join(reasons, "; "), ConfirmBreakingQuery)
	return &BreakingError{Breaks: breaks, fault: &fault.Error{Kind: fault.ErrConflict, Code: "breaking_change", Message: msg, Refs: names}}
}

// Error is the refusal's message.
func (e *BreakingError) Error() string { return e.fault.Error() }

// Unwrap returns the fault.Error the refusal is.
func (e *BreakingError) Unwrap() error { return e.fault }
