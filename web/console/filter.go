package console

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/request"
)

// filterForm is the filter the History and Bulk actions pages share, read
// from a query or a posted form by one model: the fields as typed
// (templates.Filter, which the pages draw back) and, once checked, the
// values the engine's filters take.
type filterForm struct {
	templates.Filter
	event        design.EventRef
	trace        int64
	since, until time.Time
	params       []engine.ParamQuery
}

// readFilter reads the shared filter's fields from v.
func readFilter(v url.Values) filterForm {
	return filterForm{Filter: templates.Filter{App: v.Get("app"), Event: v.Get("event"), Status: v.Get("status"), Trace: v.Get("trace"),
		Since: v.Get("since"), Until: v.Get("until"), Payload: v.Get("payload"), Zone: v.Get(templates.ZoneField)}}
}

// check parses the typed fields into the engine's values, writing what is
// wrong with each bad field (and how to fix it) into errs under the
// field's name; states are the states the form's State select offers.
func (f *filterForm) check(states []string, errs templates.FieldErrors) {
	if f.Event != "" {
		ref, err := design.ParseEventRef(f.Event)
		if err != nil {
			errs["event"] = "name the event as Producer.EventName; got " + strconv.Quote(f.Event)
		}
		f.event = ref
	}
	if f.Status != "" && !slices.Contains(states, f.Status) {
		errs["status"] = "choose a state from the list (" + strings.Join(states, ", ") + "); got " + strconv.Quote(f.Status)
	}
	f.since, f.until = timeWindow(f.Zone, f.Since, f.Until, errs)
	if t := strings.TrimSpace(f.Trace); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			errs["trace"] = "a trace id is a whole number, such as 42"
		}
		f.trace = n
	}
	params, perr := request.PayloadField(f.Payload)
	if perr != "" {
		errs["payload"] = perr
	}
	f.params = params
}

// filterChoices are the design's apps and events the filter's selects
// offer, with states.
func (s *Console) filterChoices(states []string) templates.FilterChoices {
	c := templates.FilterChoices{States: states}
	d := s.eng.Design()
	for _, a := range d.Apps {
		c.Apps = append(c.Apps, a.Name)
	}
	for _, ev := range d.Events {
		c.Events = append(c.Events, ev.Ref())
	}
	return c
}
