// Package design is the model a user designs: apps, the events they own with
// their typed parameters, and subscriptions that say which app handles which
// event with which handler. It holds the types and the rules of DESIGN.md
// that can be checked on the model alone (names, uniqueness, who may handle
// what); expression checks live in package flow.
//
// design imports only fault; it must never import storage, web or store.
package design

import (
	"fmt"
	"strings"
	"time"
)

// ParamType is the primitive type of a parameter. Records, lists, binaries
// and structures are deliberately absent: events carry identifiers and
// scalars, and handlers fetch the rest.
type ParamType string

// The parameter types of DESIGN.md.
const (
	Text        ParamType = "Text"
	Integer     ParamType = "Integer"
	LongInteger ParamType = "LongInteger"
	Decimal     ParamType = "Decimal"
	Boolean     ParamType = "Boolean"
	Date        ParamType = "Date"
	Time        ParamType = "Time"
	DateTime    ParamType = "DateTime"
	Email       ParamType = "Email"
	PhoneNumber ParamType = "PhoneNumber"
	Currency    ParamType = "Currency"
	Identifier  ParamType = "Identifier"
)

// ParamTypes lists every type in the order a type picker shows them.
func ParamTypes() []ParamType {
	return []ParamType{Text, Integer, LongInteger, Decimal, Boolean, Date, Time, DateTime, Email, PhoneNumber, Currency, Identifier}
}

// Valid reports whether t is one of the ParamTypes.
func (t ParamType) Valid() bool {
	for _, x := range ParamTypes() {
		if t == x {
			return true
		}
	}
	return false
}

// Parameter is one named, typed value an event carries.
type Parameter struct {
	Name        string    `json:"name"`
	Type        ParamType `json:"type"`
	Mandatory   bool      `json:"mandatory"`
	Description string    `json:"description,omitempty"`
}

// App is a deployable unit that owns events and handles events. ID is
// assigned by storage and never shown in documents; names identify apps.
type App struct {
	ID          int64  `json:"-"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Color is a CSS colour (e.g. "#3b82f6") the console draws the app in.
	Color string `json:"color,omitempty"`
	// Concurrency caps the app's simultaneous handler runs; 0 means the
	// engine's default (100).
	Concurrency int `json:"concurrency,omitempty"`
	// Endpoint is the URL webhook handlers of this app POST to.
	Endpoint  string    `json:"endpoint,omitempty"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// Event is an event type owned by one app, its producer. Only the owner may
// trigger it; other apps may handle it only when Public.
type Event struct {
	ID          int64       `json:"-"`
	AppID       int64       `json:"-"`
	App         string      `json:"app,omitempty"`
	Name        string      `json:"name"`
	Public      bool        `json:"public"`
	Description string      `json:"description,omitempty"`
	Parameters  []Parameter `json:"parameters"`
	CreatedAt   time.Time   `json:"-"`
	UpdatedAt   time.Time   `json:"-"`
}

// Ref returns the event's reference.
func (e Event) Ref() EventRef { return EventRef{App: e.App, Event: e.Name} }

// Param returns the parameter named name.
func (e Event) Param(name string) (Parameter, bool) {
	for _, p := range e.Parameters {
		if p.Name == name {
			return p, true
		}
	}
	return Parameter{}, false
}

// EventRef names an event by its producer and name; it reads and writes as
// "Producer.EventName".
type EventRef struct {
	App   string
	Event string
}

// String is "Producer.EventName".
func (r EventRef) String() string { return r.App + "." + r.Event }

// ParseEventRef reads "Producer.EventName".
func ParseEventRef(s string) (EventRef, error) {
	app, event, ok := strings.Cut(s, ".")
	if !ok || app == "" || event == "" {
		return EventRef{}, fmt.Errorf("event reference %q: want Producer.EventName", s)
	}
	return EventRef{App: app, Event: event}, nil
}

// MarshalText writes "Producer.EventName".
func (r EventRef) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "Producer.EventName".
func (r *EventRef) UnmarshalText(b []byte) error {
	x, err := ParseEventRef(string(b))
	if err != nil {
		return err
	}
	*r = x
	return nil
}

// HandlerKind says what runs for each delivery.
type HandlerKind string

// The handler kinds.
const (
	// KindFlow runs steps designed in the console.
	KindFlow HandlerKind = "flow"
	// KindGo runs a function registered by the program embedding the engine.
	KindGo HandlerKind = "go"
	// KindWebhook POSTs the event to the app's endpoint.
	KindWebhook HandlerKind = "webhook"
	// KindPull leaves each delivery for an external worker that long-polls
	// for it with the handling app's key and acknowledges, releases,
	// rejects or extends it by a lock token; the dispatcher never runs it.
	KindPull HandlerKind = "pull"
)

// StepType is the kind of one flow step.
type StepType string

// The flow step types.
const (
	StepLog     StepType = "log"
	StepWait    StepType = "wait"
	StepTrigger StepType = "trigger"
	StepFail    StepType = "fail"
	// StepHTTP calls a service over HTTP; a non-2xx answer fails the run.
	StepHTTP StepType = "http"
)

// Step is one step of a flow handler; which fields matter depends on Type:
// log uses Message (a template whose {{expr}} parts are expressions); wait
// uses Duration; trigger uses Event (one of the handling app's own events)
// and Parameters (target parameter -> expression over the handled event's
// parameters); fail uses When (a boolean expression; empty means always),
// Probability (0 means 1) and Message; http uses Method (GET, POST, PUT,
// PATCH or DELETE; empty means POST), URL, Headers and Body, where URL,
// each header value and Body are templates like a log's message.
type Step struct {
	Type        StepType          `json:"type"`
	Message     string            `json:"message,omitempty"`
	Duration    Duration          `json:"duration,omitempty"`
	Event       string            `json:"event,omitempty"`
	Parameters  map[string]string `json:"parameters,omitempty"`
	When        string            `json:"when,omitempty"`
	Probability float64           `json:"probability,omitempty"`
	Method      string            `json:"method,omitempty"`
	URL         string            `json:"url,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        string            `json:"body,omitempty"`
}

// Handler is what runs for each delivery of a subscription.
type Handler struct {
	Kind HandlerKind `json:"kind"`
	// Steps are the flow's steps, run in order (KindFlow).
	Steps []Step `json:"steps,omitempty"`
	// Name is the registered function's name (KindGo).
	Name string `json:"name,omitempty"`
	// Path is appended to the app's endpoint (KindWebhook); empty posts
	// to the endpoint itself.
	Path string `json:"path,omitempty"`
}

// Subscription says that App handles Event with Handler. There is at most
// one per (event, app). Enabled false means occurrences create no delivery
// for it; Paused true means deliveries are created but wait until resumed.
type Subscription struct {
	ID      int64    `json:"-"`
	AppID   int64    `json:"-"`
	EventID int64    `json:"-"`
	App     string   `json:"app,omitempty"`
	Event   EventRef `json:"event"`
	Handler Handler  `json:"handler"`
	// Filter is a boolean expression over the event's parameters; an
	// occurrence gets a delivery for the subscription only when it holds
	// (empty: every occurrence does).
	Filter    string    `json:"filter,omitempty"`
	Enabled   bool      `json:"enabled"`
	Paused    bool      `json:"paused"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// Duration is a time.Duration that reads and writes as "30s" in JSON.
type Duration time.Duration

// MarshalText writes the duration as Go's time.Duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string such as "30s" or "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	x, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, such as 30s or 2m", string(b))
	}
	*d = Duration(x)
	return nil
}

// IsZero lets omitempty drop a zero duration.
func (d Duration) IsZero() bool { return d == 0 }
