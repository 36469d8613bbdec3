package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// bulkProps is the bulk page's choices (apps, events, subscriptions)
// around filter f.
func (s *Server) bulkProps(c echo.Context, f templates.BulkFilter) templates.BulkProps {
	b := templates.BulkProps{Filter: f, Errors: templates.FieldErrors{}, CanOperate: request.WhoOf(c).Role.May(engine.RightOperate)}
	d := s.eng.Design()
	for _, a := range d.Apps {
		b.Apps = append(b.Apps, a.Name)
	}
	for _, ev := range d.Events {
		b.Events = append(b.Events, ev.Ref())
	}
	for _, sub := range d.Subscriptions {
		b.Subscriptions = append(b.Subscriptions, sub.Ref().String())
	}
	return b
}

// bulkPage shows the bulk actions form.
func (s *Server) bulkPage(c echo.Context) error {
	q := c.QueryParams()
	f := templates.BulkFilter{App: q.Get("app"), Event: q.Get("event"), Subscription: q.Get("subscription"), Status: q.Get("status"),
		Trace: q.Get("trace"), Since: q.Get("since"), Until: q.Get("until"), Payload: q.Get("payload"), Zone: q.Get(templates.ZoneField)}
	b := s.bulkProps(c, f)
	return s.render(c, http.StatusOK, templates.Bulk(s.page(c, "Bulk actions", "bulk"), b), nil)
}

// bulkSubmit counts (op=count) or starts a bulk action (op=replay, retry
// or discard) over the form's filter; htmx gets the result part, a plain
// form post the whole page.
func (s *Server) bulkSubmit(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the form could not be read"}
	}
	form := c.Request().PostForm
	f := templates.BulkFilter{App: form.Get("app"), Event: form.Get("event"), Subscription: form.Get("subscription"), Status: form.Get("status"),
		Trace: form.Get("trace"), Since: form.Get("since"), Until: form.Get("until"), Payload: form.Get("payload"), Zone: form.Get(templates.ZoneField)}
	b := s.bulkProps(c, f)
	show := func(status int) error {
		return s.render(c, status, templates.Bulk(s.page(c, "Bulk actions", "bulk"), b), templates.BulkResult(b))
	}
	op := form.Get("op")
	switch op {
	case "count", "replay", "retry", "discard":
	default:
		b.Errors["filter"] = "choose Count, Replay, Retry now or Discard; got " + strconv.Quote(op)
		return show(http.StatusUnprocessableEntity)
	}
	df := engine.DeliveryFilter{App: f.App, Subscription: f.Subscription, Status: delivery.Status(f.Status)}
	if f.Event != "" {
		ref, err := design.ParseEventRef(f.Event)
		if err != nil {
			b.Errors["event"] = "name the event as Producer.EventName"
		}
		df.Event = ref
	}
	if f.Status != "" && !df.Status.Valid() {
		b.Errors["status"] = "choose a state from the list"
	}
	df.Since, df.Until = timeWindow(f.Zone, f.Since, f.Until, b.Errors)
	if t := strings.TrimSpace(f.Trace); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			b.Errors["trace"] = "a trace id is a whole number, such as 42"
		}
		df.TraceID = n
	}
	params, perr := request.PayloadField(f.Payload)
	if perr != "" {
		b.Errors["payload"] = perr
	}
	df.Params = params
	if len(b.Errors) > 0 {
		return show(http.StatusUnprocessableEntity)
	}
	ctx := c.Request().Context()
	var err error
	if op == "count" {
		var n int
		if n, err = s.eng.BulkCount(ctx, df, engine.BulkReplay); err == nil {
			b.Matched = &n
			return show(http.StatusOK)
		}
	} else {
		if !b.CanOperate {
			return fault.New(fault.ErrForbidden, "forbidden", "your role may not act on deliveries; ask an operator")
		}
		var job engine.BulkJob
		if job, err = s.eng.BulkStart(ctx, df, engine.BulkAction(op)); err == nil {
			b.Job = &job
			return show(http.StatusAccepted)
		}
	}
	if msg, ok := paramFormError(err); ok {
		b.Errors["payload"] = msg
		return show(http.StatusUnprocessableEntity)
	}
	if all := fault.All(err); len(all) > 0 && (all[0].Code == "empty_filter" || all[0].Code == "bad_subscription") {
		b.Errors["filter"] = all[0].Message
		return show(http.StatusUnprocessableEntity)
	}
	return err
}

// bulkJob shows a bulk action's progress (the part htmx polls).
func (s *Server) bulkJob(c echo.Context) error {
	job, err := s.eng.BulkGet(c.Param("job"))
	if err != nil {
		return err
	}
	can := request.WhoOf(c).Role.May(engine.RightOperate)
	b := s.bulkProps(c, templates.BulkFilter{})
	b.Job = &job
	return s.render(c, http.StatusOK, templates.Bulk(s.page(c, "Bulk actions", "bulk"), b), templates.BulkJob(job, can))
}

// bulkCancel cancels a bulk action and shows where it stopped.
func (s *Server) bulkCancel(c echo.Context) error {
	if _, err := s.eng.BulkCancel(c.Request().Context(), c.Param("job")); err != nil {
		return err
	}
	return s.bulkJob(c)
}
