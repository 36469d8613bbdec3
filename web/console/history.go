package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// historyPage lists occurrences or deliveries newest first, filtered by
// app, event, state, time range and trace, 50 a page.
func (s *Console) historyPage(c echo.Context) error {
	q := c.QueryParams()
	f := readFilter(q)
	view := q.Get("view")
	states := templates.OccurrenceStates
	if view == "deliveries" {
		states = templates.DeliveryStates()
	} else {
		view = "occurrences"
	}
	h := templates.HistoryProps{Errors: templates.FieldErrors{}, Choices: s.filterChoices(states)}
	f.check(states, h.Errors)
	params := f.params
	if more := request.ParamQueries(q); len(more) > 0 {
		params = append(params, more...)
		f.Payload = request.FormatPayload(params)
	}
	h.Filter = templates.HistoryFilter{View: view, Filter: f.Filter}
	cursor, _ := strconv.ParseInt(q.Get("cursor"), 10, 64)
	const pageSize = 50
	status := http.StatusOK
	if len(h.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else if view == "deliveries" {
		ds, err := s.eng.Deliveries(c.Request().Context(), engine.DeliveryFilter{App: f.App, Event: f.event, Status: delivery.Status(f.Status), TraceID: f.trace, Since: f.since, Until: f.until, Params: params, BeforeID: cursor, Limit: pageSize})
		if msg, ok := paramFormError(err); ok {
			h.Errors["payload"] = msg
			return s.render(c, http.StatusUnprocessableEntity, templates.History(s.page(c, "History", "history"), h), nil)
		}
		if err != nil {
			return err
		}
		if h.Deliveries, err = s.deliveryRows(c.Request().Context(), ds); err != nil {
			return err
		}
		if len(ds) == pageSize {
			h.Older = olderQuery(q, ds[len(ds)-1].ID)
		}
	} else {
		os, err := s.eng.Occurrences(c.Request().Context(), engine.OccurrenceFilter{App: f.App, Event: f.event, Status: delivery.OccurrenceStatus(f.Status), TraceID: f.trace, Since: f.since, Until: f.until, Params: params, BeforeID: cursor, Limit: pageSize})
		if msg, ok := paramFormError(err); ok {
			h.Errors["payload"] = msg
			return s.render(c, http.StatusUnprocessableEntity, templates.History(s.page(c, "History", "history"), h), nil)
		}
		if err != nil {
			return err
		}
		h.Occurrences = os
		if len(os) == pageSize {
			h.Older = olderQuery(q, os[len(os)-1].ID)
		}
	}
	return s.render(c, status, templates.History(s.page(c, "History", "history"), h), nil)
}

// olderQuery is q moved to the page after id.
func olderQuery(q url.Values, id int64) string {
	next := url.Values{}
	for k, v := range q {
		next[k] = v
	}
	next.Set("cursor", strconv.FormatInt(id, 10))
	return next.Encode()
}

// deadBulk replays or discards every selected dead delivery.
func (s *Console) deadBulk(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the form could not be read"}
	}
	op := c.Request().PostForm.Get("op")
	var done []int64
	failed := 0
	for _, v := range c.Request().PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch op {
		case "replay":
			_, err = s.eng.Replay(c.Request().Context(), id)
		case "discard":
			_, err = s.eng.Discard(c.Request().Context(), id)
		default:
			return echo.NewHTTPError(http.StatusNotFound, "no such action")
		}
		if err != nil {
			failed++
			continue
		}
		done = append(done, id)
	}
	verb := "replayed"
	if op == "discard" {
		verb = "discarded"
	}
	msg := countOf(len(done), "delivery", "deliveries") + " " + verb + "."
	if failed > 0 {
		msg += " " + countOf(failed, "delivery", "deliveries") + " could not be (already handled by someone else)."
	}
	if op == "replay" && len(done) > 0 {
		return back(c, "/dead?"+replayedQuery(done), msg)
	}
	return back(c, "/dead", msg)
}

// countOf says "1 delivery" or "3 deliveries".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// deliveryRows pairs each delivery with its occurrence (read once per
// occurrence), so a list can show the event, the payload and the trace.
func (s *Console) deliveryRows(ctx context.Context, ds []delivery.Delivery) ([]templates.DeliveryRow, error) {
	occ := map[int64]delivery.Occurrence{}
	out := make([]templates.DeliveryRow, 0, len(ds))
	for _, d := range ds {
		o, ok := occ[d.OccurrenceID]
		if !ok {
			var err error
			o, err = s.eng.Occurrence(ctx, d.OccurrenceID)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return nil, fmt.Errorf("read occurrence %d of delivery %d: %w", d.OccurrenceID, d.ID, err)
			}
			o.Deliveries = nil // only the occurrence itself is shown
			occ[d.OccurrenceID] = o
		}
		out = append(out, templates.DeliveryRow{Delivery: d, Occurrence: o})
	}
	return out, nil
}

// timeWindow reads a filter form's since and until, typed in zone (the
// browser's, or UTC), putting each unreadable field's message in errs.
func timeWindow(zone, since, until string, errs templates.FieldErrors) (time.Time, time.Time) {
	loc, err := zoneOf(zone)
	if err != nil {
		errs[templates.ZoneField] = err.Error()
		loc = time.UTC
	}
	when := func(name, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, ok := parseLocal(v, loc)
		if !ok {
			errs[name] = "use a date and time such as 2026-11-23T10:00 (in " + loc.String() + ")"
		}
		return t
	}
	return when("since", since), when("until", until)
}
