package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// bulkProps is the bulk page's choices (apps, events, delivery states,
// subscriptions) around filter f.
func (s *Console) bulkProps(c echo.Context, f templates.BulkFilter) templates.BulkProps {
	b := templates.BulkProps{Filter: f, Errors: templates.FieldErrors{}, CanOperate: request.WhoOf(c).Role.May(engine.RightOperate),
		Choices: s.filterChoices(templates.DeliveryStates())}
	for _, sub := range s.eng.Design().Subscriptions {
		b.Subscriptions = append(b.Subscriptions, sub.Ref().String())
	}
	return b
}

// bulkPage shows the bulk actions form.
func (s *Console) bulkPage(c echo.Context) error {
	q := c.QueryParams()
	b := s.bulkProps(c, templates.BulkFilter{Filter: readFilter(q).Filter, Subscription: q.Get("subscription")})
	return s.render(c, http.StatusOK, templates.Bulk(s.page(c, "Bulk actions", "bulk"), b), nil)
}

// bulkSubmit counts (op=count) or starts a bulk action (op=replay, retry
// or discard) over the form's filter; htmx gets the result part, a plain
// form post the whole page.
func (s *Console) bulkSubmit(c echo.Context) error {
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the form could not be read"}
	}
	form := c.Request().PostForm
	f := readFilter(form)
	b := s.bulkProps(c, templates.BulkFilter{Filter: f.Filter, Subscription: form.Get("subscription")})
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
	f.check(b.Choices.States, b.Errors)
	df := engine.DeliveryFilter{App: f.App, Event: f.event, Subscription: b.Filter.Subscription, Status: delivery.Status(f.Status),
		TraceID: f.trace, Since: f.since, Until: f.until, Params: f.params}
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
func (s *Console) bulkJob(c echo.Context) error {
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
func (s *Console) bulkCancel(c echo.Context) error {
	if _, err := s.eng.BulkCancel(c.Request().Context(), c.Param("job")); err != nil {
		return err
	}
	return s.bulkJob(c)
}
