package design

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/fault"
)

// MaxNameLength bounds app, event and parameter names, so they fit in
// graph labels and URLs.
const MaxNameLength = 64

// MaxDescriptionLength bounds the descriptions of apps, events and
// parameters, in characters (Unicode code points), the same as a Text
// parameter.
const MaxDescriptionLength = 2000

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// CheckName refuses a name that is not an identifier: a letter, then
// letters, digits or underscores, at most MaxNameLength characters.
func CheckName(field, name string) *fault.Error {
	switch {
	case name == "":
		return fault.Field(field, "required", "a name is required")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fault.Field(field, "too_long", fmt.Sprintf("%q is %d characters; names are at most %d", name, utf8.RuneCountInString(name), MaxNameLength))
	case !namePattern.MatchString(name):
		return fault.Field(field, "invalid_name", fmt.Sprintf("%q is not an identifier: start with a letter and use only letters, digits and _ (e.g. OnPurchaseStarted)", name))
	}
	return nil
}

// Check refuses an app whose own fields break a rule.
func (a App) Check() fault.List {
	var errs fault.List
	if e := CheckName("name", a.Name); e != nil {
		errs = append(errs, e)
	}
	if e := checkDescription("description", a.Description); e != nil {
		errs = append(errs, e)
	}
	if a.Color != "" && !colorPattern.MatchString(a.Color) {
		errs = append(errs, fault.Field("color", "invalid_color", fmt.Sprintf("%q is not a colour; use #rrggbb, e.g. #3b82f6", a.Color)))
	}
	if a.Concurrency < 0 || a.Concurrency > 10000 {
		errs = append(errs, fault.Field("concurrency", "out_of_range", fmt.Sprintf("concurrency %d is out of range; use 1 to 10000, or 0 for the default", a.Concurrency)))
	}
	if a.Endpoint != "" {
		u, err := url.Parse(a.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fault.Field("endpoint", "invalid_url", fmt.Sprintf("%q is not an http(s) URL, e.g. https://shop.example.com/events", a.Endpoint)))
		}
	}
	return errs
}

// Check refuses an event whose own fields or parameters break a rule.
func (e Event) Check() fault.List {
	var errs fault.List
	if x := CheckName("name", e.Name); x != nil {
		errs = append(errs, x)
	}
	if x := checkDescription("description", e.Description); x != nil {
		errs = append(errs, x)
	}
	seen := map[string]bool{}
	for i, p := range e.Parameters {
		field := fmt.Sprintf("parameters[%d]", i)
		if x := CheckName(field+".name", p.Name); x != nil {
			errs = append(errs, x)
		} else if seen[p.Name] {
			errs = append(errs, fault.Field(field+".name", "duplicate", fmt.Sprintf("parameter %q appears twice; names are unique within an event", p.Name)))
		}
		seen[p.Name] = true
		if !p.Type.Valid() {
			errs = append(errs, fault.Field(field+".type", "invalid_type", fmt.Sprintf("%q is not a parameter type; use one of %v", p.Type, ParamTypes())))
		}
		if x := checkDescription(field+".description", p.Description); x != nil {
			errs = append(errs, x)
		}
	}
	return errs
}

// checkDescription refuses a description longer than MaxDescriptionLength
// characters; it counts characters, not bytes, as the Text check of package
// payload does, so a description in any script gets the same room.
func checkDescription(field, s string) *fault.Error {
	if n := utf8.RuneCountInString(s); n > MaxDescriptionLength {
		return fault.Field(field, "too_long", fmt.Sprintf("the description is %d characters; at most %d", n, MaxDescriptionLength))
	}
	return nil
}

// Check refuses a handler whose structure is wrong. Expressions are checked
// by package flow against the events involved.
func (h Handler) Check() fault.List {
	var errs fault.List
	switch h.Kind {
	case KindFlow:
		if len(h.Steps) == 0 {
			errs = append(errs, fault.Field("handler.steps", "required", "a flow needs at least one step, e.g. {\"type\":\"log\",\"message\":\"received\"}"))
		}
		for i, s := range h.Steps {
			field := fmt.Sprintf("handler.steps[%d]", i)
			switch s.Type {
			case StepLog:
				if s.Message == "" {
					errs = append(errs, fault.Field(field+".message", "required", "a log step needs a message"))
				}
			case StepWait:
				if s.Duration <= 0 {
					errs = append(errs, fault.Field(field+".duration", "required", "a wait step needs a positive duration, e.g. \"5s\""))
				}
			case StepTrigger:
				if s.Event == "" {
					errs = append(errs, fault.Field(field+".event", "required", "a trigger step needs the name of one of the handling app's own events"))
				}
			case StepFail:
				if s.Probability < 0 || s.Probability > 1 {
					errs = append(errs, fault.Field(field+".probability", "out_of_range", fmt.Sprintf("probability %v is out of range; use 0 to 1 (0 means always)", s.Probability)))
				}
			case StepHTTP:
				if strings.TrimSpace(s.URL) == "" {
					errs = append(errs, fault.Field(field+".url", "required", "an http step needs a URL, e.g. https://example.com/hooks/orders"))
				}
			default:
				errs = append(errs, fault.Field(field+".type", "invalid_step", fmt.Sprintf("%q is not a step type; use log, wait, trigger, fail or http", s.Type)))
			}
		}
	case KindGo:
		if h.Name == "" {
			errs = append(errs, fault.Field("handler.name", "required", "a go handler needs the name its function was registered under"))
		}
	case KindWebhook:
		if h.Path != "" && (!strings.HasPrefix(h.Path, "/") || strings.ContainsAny(h.Path, "?# \t\n")) {
			errs = append(errs, fault.Field("handler.path", "invalid_path", fmt.Sprintf("%q is not a path; start it with / and leave out query, fragment and spaces, e.g. /orders", h.Path)))
		}
	case KindPull:
		if len(h.Steps) > 0 || h.Name != "" || h.Path != "" {
			errs = append(errs, fault.Field("handler.kind", "invalid_handler", "a pull handler takes no steps, name or path: an external worker receives its deliveries; send {\"kind\":\"pull\"}"))
		}
	default:
		errs = append(errs, fault.Field("handler.kind", "invalid_kind", fmt.Sprintf("%q is not a handler kind; use flow, go, webhook or pull", h.Kind)))
	}
	return errs
}

// Check refuses a design that breaks a rule across its parts: unique app
// names, event names unique per app, every reference resolving, at most one
// subscription per (event, app), other apps handling public events only,
// and trigger steps naming the handling app's own events. Fields are
// prefixed with the part they concern ("apps[Storefront].name").
func (d Design) Check() fault.List {
	var errs fault.List
	apps := map[string]bool{}
	for _, a := range d.Apps {
		for _, e := range a.Check() {
			e.Field = "apps[" + a.Name + "]." + e.Field
			errs = append(errs, e)
		}
		if apps[a.Name] {
			errs = append(errs, &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: "apps[" + a.Name + "].name", Message: fmt.Sprintf("app %q exists already; app names are unique", a.Name)})
		}
		apps[a.Name] = true
	}
	events := map[EventRef]Event{}
	for _, e := range d.Events {
		prefix := "events[" + e.Ref().String() + "]."
		for _, x := range e.Check() {
			x.Field = prefix + x.Field
			errs = append(errs, x)
		}
		if !apps[e.App] {
			errs = append(errs, &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_app", Field: prefix + "app", Message: fmt.Sprintf("app %q does not exist; create it first", e.App)})
		}
		if _, dup := events[e.Ref()]; dup {
			errs = append(errs, &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: prefix + "name", Message: fmt.Sprintf("event %s exists already; event names are unique within an app", e.Ref())})
		}
		events[e.Ref()] = e
	}
	type pair struct {
		ref EventRef
		app string
	}
	subs := map[pair]bool{}
	for _, s := range d.Subscriptions {
		prefix := s.Ref().FieldPrefix()
		for _, x := range s.Handler.Check() {
			x.Field = prefix + x.Field
			errs = append(errs, x)
		}
		if !apps[s.App] {
			errs = append(errs, &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_app", Field: prefix + "app", Message: fmt.Sprintf("app %q does not exist; create it first", s.App)})
			continue
		}
		ev, ok := events[s.Event]
		if !ok {
			errs = append(errs, &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_event", Field: prefix + "event", Message: fmt.Sprintf("event %s does not exist; name it as Producer.EventName", s.Event)})
			continue
		}
		if ev.App != s.App && !ev.Public {
			errs = append(errs, &fault.Error{Kind: fault.ErrForbidden, Code: "private_event", Field: prefix + "event", Message: fmt.Sprintf("event %s is private to %s; only %s may handle it (make it public to let %s subscribe)", s.Event, ev.App, ev.App, s.App)})
		}
		p := pair{s.Event, s.App}
		if subs[p] {
			errs = append(errs, &fault.Error{Kind: fault.ErrConflict, Code: "exists", Field: prefix + "event", Message: fmt.Sprintf("%s already handles %s; an app has at most one subscription per event", s.App, s.Event)})
		}
		subs[p] = true
		if s.Handler.Kind == KindFlow {
			for i, st := range s.Handler.Steps {
				if st.Type != StepTrigger || st.Event == "" {
					continue
				}
				if _, own := events[EventRef{App: s.App, Event: st.Event}]; !own {
					errs = append(errs, fault.Field(fmt.Sprintf("%shandler.steps[%d].event", prefix, i), "unknown_event", fmt.Sprintf("%s has no event %q; a flow may trigger only the handling app's own events", s.App, st.Event)))
				}
			}
		}
	}
	return errs
}
