package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
)

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// cascade reads ?cascade=true, which lets a delete remove the
// subscriptions that would otherwise refuse it.
func cascade(c echo.Context) bool { return c.QueryParam("cascade") == "true" }

func created(c echo.Context, location string, v any) error {
	c.Response().Header().Set(echo.HeaderLocation, location)
	return c.JSON(http.StatusCreated, v)
}

func esc(s string) string { return url.PathEscape(s) }

func eventRef(c echo.Context) design.EventRef {
	return design.EventRef{App: c.Param("app"), Event: c.Param("event")}
}

// subRef reads the {producer}.{event} path segment of a subscription.
func subRef(c echo.Context) (design.EventRef, error) {
	ref, err := design.ParseEventRef(c.Param("ref"))
	if err != nil {
		return ref, &httperr.BadRequest{Code: "bad_reference", Field: "event", Message: "the subscription is named by its event as Producer.EventName, e.g. Storefront.OnPurchaseStarted; got " + strconv.Quote(c.Param("ref"))}
	}
	return ref, nil
}

type appView struct {
	design.App
	Events        int `json:"events"`
	Subscriptions int `json:"subscriptions"`
}

func (s *Server) listApps(c echo.Context) error {
	d := s.eng.Design()
	out := make([]appView, 0, len(d.Apps))
	for _, a := range d.Apps {
		v := appView{App: a}
		for _, ev := range d.Events {
			if ev.App == a.Name {
				v.Events++
			}
		}
		for _, sub := range d.Subscriptions {
			if sub.App == a.Name {
				v.Subscriptions++
			}
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

func (s *Server) createApp(c echo.Context) error {
	var a design.App
	if err := s.decode(c, &a); err != nil {
		return err
	}
	got, err := s.eng.CreateApp(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(got.Name), got)
}

func (s *Server) getApp(c echo.Context) error {
	a, err := s.eng.App(c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// appPatch holds the fields a PATCH may change; absent ones stay.
type appPatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Color       *string `json:"color"`
	Concurrency *int    `json:"concurrency"`
	Endpoint    *string `json:"endpoint"`
}

func (s *Server) patchApp(c echo.Context) error {
	a, err := s.eng.App(c.Param("app"))
	if err != nil {
		return err
	}
	var p appPatch
	if err := s.decode(c, &p); err != nil {
		return err
	}
	set(&a.Name, p.Name)
	set(&a.Description, p.Description)
	set(&a.Color, p.Color)
	set(&a.Concurrency, p.Concurrency)
	set(&a.Endpoint, p.Endpoint)
	got, err := s.eng.UpdateApp(c.Request().Context(), c.Param("app"), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, got)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (s *Server) deleteApp(c echo.Context) error {
	ctx, err := designCtx(c)
	if err != nil {
		return err
	}
	if err := s.eng.DeleteApp(ctx, c.Param("app"), cascade(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ofApp answers the items of the app in the path that keep says belong to
// it, or 404 when there is no such app.
func ofApp[T any](s *Server, c echo.Context, all []T, keep func(T, string) bool) error {
	app := c.Param("app")
	if _, err := s.eng.App(app); err != nil {
		return err
	}
	out := []T{}
	for _, x := range all {
		if keep(x, app) {
			out = append(out, x)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

func (s *Server) listEvents(c echo.Context) error {
	return ofApp(s, c, s.eng.Design().Events, func(ev design.Event, app string) bool { return ev.App == app })
}

func (s *Server) createEvent(c echo.Context) error {
	var ev design.Event
	if err := s.decode(c, &ev); err != nil {
		return err
	}
	if ev.App != "" && ev.App != c.Param("app") {
		return &httperr.BadRequest{Code: "app_mismatch", Field: "app", Message: "the event's app must be the app in the URL, " + c.Param("app") + "; leave it out"}
	}
	got, err := s.eng.CreateEvent(c.Request().Context(), c.Param("app"), ev)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(got.App)+"/events/"+esc(got.Name), got)
}

// eventView is an event with the apps handling it.
type eventView struct {
	design.Event
	Subscribers []string `json:"subscribers"`
}

func (s *Server) getEvent(c echo.Context) error {
	ev, err := s.eng.Event(eventRef(c))
	if err != nil {
		return err
	}
	v := eventView{Event: ev, Subscribers: []string{}}
	for _, sub := range s.eng.Design().Subscriptions {
		if sub.Event == ev.Ref() {
			v.Subscribers = append(v.Subscribers, sub.App)
		}
	}
	return c.JSON(http.StatusOK, v)
}

type eventPatch struct {
	Name        *string             `json:"name"`
	Public      *bool               `json:"public"`
	Description *string             `json:"description"`
	Parameters  *[]design.Parameter `json:"parameters"`
}

func (s *Server) patchEvent(c echo.Context) error {
	ref := eventRef(c)
	ctx, err := designCtx(c)
	if err != nil {
		return err
	}
	ev, err := s.eng.Event(ref)
	if err != nil {
		return err
	}
	var p eventPatch
	if err := s.decode(c, &p); err != nil {
		return err
	}
	set(&ev.Name, p.Name)
	set(&ev.Public, p.Public)
	set(&ev.Description, p.Description)
	set(&ev.Parameters, p.Parameters)
	got, err := s.eng.UpdateEvent(ctx, ref, ev, cascade(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, got)
}

func (s *Server) deleteEvent(c echo.Context) error {
	ctx, err := designCtx(c)
	if err != nil {
		return err
	}
	if err := s.eng.DeleteEvent(ctx, eventRef(c), cascade(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listSubscriptions(c echo.Context) error {
	return ofApp(s, c, s.eng.Design().Subscriptions, func(sub design.Subscription, app string) bool { return sub.App == app })
}

// subscriptionBody is a subscription as a client sends it; enabled
// defaults to true.
type subscriptionBody struct {
	App     string           `json:"app"`
	Event   *design.EventRef `json:"event"`
	Handler *design.Handler  `json:"handler"`
	Filter  *string          `json:"filter"`
	Enabled *bool            `json:"enabled"`
	Paused  *bool            `json:"paused"`
}

func (s *Server) createSubscription(c echo.Context) error {
	var b subscriptionBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	if b.Event == nil {
		return &httperr.BadRequest{Code: "required", Field: "event", Message: "name the event to handle as \"Producer.EventName\""}
	}
	if b.Handler == nil {
		return &httperr.BadRequest{Code: "required", Field: "handler", Message: "give the handler, e.g. {\"kind\":\"flow\",\"steps\":[{\"type\":\"log\",\"message\":\"got it\"}]}"}
	}
	sub := design.Subscription{Event: *b.Event, Handler: *b.Handler, Enabled: true}
	set(&sub.Filter, b.Filter)
	set(&sub.Enabled, b.Enabled)
	set(&sub.Paused, b.Paused)
	got, err := s.eng.CreateSubscription(c.Request().Context(), c.Param("app"), sub)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(got.App)+"/subscriptions/"+esc(got.Event.String()), got)
}

func (s *Server) getSubscription(c echo.Context) error {
	ref, err := subRef(c)
	if err != nil {
		return err
	}
	sub, err := s.eng.Subscription(c.Param("app"), ref)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

func (s *Server) patchSubscription(c echo.Context) error {
	ref, err := subRef(c)
	if err != nil {
		return err
	}
	sub, err := s.eng.Subscription(c.Param("app"), ref)
	if err != nil {
		return err
	}
	var b subscriptionBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	set(&sub.Event, b.Event)
	set(&sub.Handler, b.Handler)
	set(&sub.Filter, b.Filter)
	set(&sub.Enabled, b.Enabled)
	set(&sub.Paused, b.Paused)
	got, err := s.eng.UpdateSubscription(c.Request().Context(), c.Param("app"), ref, sub)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, got)
}

func (s *Server) deleteSubscription(c echo.Context) error {
	ref, err := subRef(c)
	if err != nil {
		return err
	}
	if err := s.eng.DeleteSubscription(c.Request().Context(), c.Param("app"), ref); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) pauseSubscription(c echo.Context) error {
	return s.subscriptionOp(c, s.eng.PauseSubscription)
}

func (s *Server) resumeSubscription(c echo.Context) error {
	return s.subscriptionOp(c, s.eng.ResumeSubscription)
}

// subscriptionOp runs op on the subscription named by the path and
// answers the subscription as it is afterwards.
func (s *Server) subscriptionOp(c echo.Context, op func(context.Context, string, design.EventRef) (design.Subscription, error)) error {
	ref, err := subRef(c)
	if err != nil {
		return err
	}
	sub, err := op(c.Request().Context(), c.Param("app"), ref)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

func (s *Server) exportDesign(c echo.Context) error {
	return c.JSON(http.StatusOK, s.eng.Design())
}

func (s *Server) importDesign(c echo.Context) error {
	ctx, err := designCtx(c)
	if err != nil {
		return err
	}
	d, err := s.readDesign(c)
	if err != nil {
		return err
	}
	dry, err := boolQuery(c, "dryRun")
	if err != nil {
		return err
	}
	changes, breaks, err := s.eng.ImportDesignReport(ctx, d, dry)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []engine.Change{}
	}
	if breaks == nil {
		breaks = []design.Break{}
	}
	return c.JSON(http.StatusOK, map[string]any{"dryRun": dry, "changes": changes, "breaks": breaks})
}
