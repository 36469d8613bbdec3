package design

import (
	"fmt"
	"strings"
)

// SubscriptionRef names a subscription by the app that handles the event
// and the event (its producer and name). It reads and writes as
// "App:Producer.Event" (Mail:Shop.OrderPlaced) everywhere a subscription
// is named: field paths of errors, breaks, dry runs, the backlog and
// filters. Building and parsing that key here, and only here, keeps every
// surface spelling it the same way.
type SubscriptionRef struct {
	// App is the handling app.
	App string
	// Producer is the app owning the event.
	Producer string
	// Event is the event's name within its producer.
	Event string
}

// NewSubscriptionRef is the reference of app's subscription to ev.
func NewSubscriptionRef(app string, ev EventRef) SubscriptionRef {
	return SubscriptionRef{App: app, Producer: ev.App, Event: ev.Event}
}

// Ref returns the subscription's reference.
func (s Subscription) Ref() SubscriptionRef { return NewSubscriptionRef(s.App, s.Event) }

// EventRef is the handled event's reference.
func (r SubscriptionRef) EventRef() EventRef { return EventRef{App: r.Producer, Event: r.Event} }

// String is "App:Producer.Event".
func (r SubscriptionRef) String() string { return r.App + ":" + r.Producer + "." + r.Event }

// ParseSubscriptionRef reads "App:Producer.Event"; every part must be
// present.
func ParseSubscriptionRef(s string) (SubscriptionRef, error) {
	app, ev, ok := strings.Cut(s, ":")
	producer, name, ok2 := strings.Cut(ev, ".")
	if !ok || !ok2 || app == "" || producer == "" || name == "" || strings.ContainsAny(name, ".:") || strings.Contains(producer, ":") {
		return SubscriptionRef{}, fmt.Errorf("subscription reference %q: write it HandlingApp:Producer.Event, such as Mail:Shop.OrderPlaced", s)
	}
	return SubscriptionRef{App: app, Producer: producer, Event: name}, nil
}

// MarshalText writes "App:Producer.Event", so a SubscriptionRef can key a
// JSON object.
func (r SubscriptionRef) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "App:Producer.Event".
func (r *SubscriptionRef) UnmarshalText(b []byte) error {
	x, err := ParseSubscriptionRef(string(b))
	if err != nil {
		return err
	}
	*r = x
	return nil
}

// FieldPrefix is the prefix of the field paths of errors about the
// subscription in a whole-design check: "subscriptions[App:Producer.Event].".
func (r SubscriptionRef) FieldPrefix() string { return "subscriptions[" + r.String() + "]." }
