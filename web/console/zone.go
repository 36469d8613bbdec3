package console

import (
	"fmt"
	"time"

	// The zones a browser names (Europe/Paris) must resolve on a machine
	// without a zoneinfo directory too, so the database is built in.
	_ "time/tzdata"

	"github.com/eventloom/eventloom/engine/design"
)

// dateTimeLayouts are what a browser's datetime-local input sends: a local
// date and time without a zone.
var dateTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// zoneOf resolves the zone a console form's date-time inputs were sent in
// (app.js sends the browser's IANA zone; without it the console reads them
// as UTC, as its hints say). A zone that does not resolve is an error that
// says how to fix it.
func zoneOf(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("the time zone %q would mean the server's zone; send an IANA zone such as Europe/Paris, or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("the time zone %q is not known; send an IANA zone such as Europe/Paris, or UTC", name)
	}
	return loc, nil
}

// parseLocal reads a datetime-local value in loc; ok is false when v is not
// one (left to the caller's own error).
func parseLocal(v string, loc *time.Location) (time.Time, bool) {
	for _, l := range dateTimeLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formInZone rewrites the DateTime values of a trigger form that a browser
// sent as local times in loc to RFC 3339 with loc's offset, so the engine
// stores the instant the person meant. Other values, and DateTime values
// already carrying a zone, pass unchanged (the engine checks them).
func formInZone(ev design.Event, form map[string]string, loc *time.Location) map[string]string {
	out := make(map[string]string, len(form))
	for k, v := range form {
		out[k] = v
	}
	for _, p := range ev.Parameters {
		if p.Type != design.DateTime {
			continue
		}
		if t, ok := parseLocal(out[p.Name], loc); ok {
			out[p.Name] = t.Format(time.RFC3339)
		}
	}
	return out
}
