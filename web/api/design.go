package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// cascade reads ?cascade=true, which lets a delete remove the
// subscriptions that would otherwise refuse it.
func cascade(c echo.Context) bool { return c.QueryParam("cascade") == "true" }

func created(c echo.Context, location string, v any) error {
	c.Response().Header().Set(echo.HeaderLocation, location)
	return c.JSON(http.StatusCreated, v)
}

func esc(s string) string { return url.PathEscape(s) }

type appView struct {
	design.App
	Events        int `json:"events"`
	Subscriptions int `json:"subscriptions"`
}

func (s *API) listApps(c echo.Context) error {
	d := s.eng.Design()
	out := make([]appView, 0, len(d.Apps))
	for _, a := range d.Apps {
		v := appView{App: a}
		v.Events, v.Subscriptions = d.AppCounts(a.Name)
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

func (s *API) createApp(c echo.Context) error {
	var a design.App
	if err := request.Decode(c, s.maxBody, &a); err != nil {
		return err
	}
	got, err := s.eng.CreateApp(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(got.Name), got)
}

func (s *API) getApp(c echo.Context) error {
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

func (s *API) patchApp(c echo.Context) error {
	a, err := s.eng.App(c.Param("app"))
	if err != nil {
		return err
	}
	return patch(s, c, a, &appPatch{}, func(a design.App) (design.App, error) {
		return s.eng.UpdateApp(c.Request().Context(), c.Param("app"), a)
	})
}

func (p appPatch) apply(a *design.App) {
	set(&a.Name, p.Name)
	set(&a.Description, p.Description)
	set(&a.Color, p.Color)
	set(&a.Concurrency, p.Concurrency)
	set(&a.Endpoint, p.Endpoint)
}

// patch answers a PATCH: it decodes the body into p, applies it over cur
// (absent fields stay as they are), saves the result with save and
// answers what was saved.
func patch[T any, P interface{ apply(*T) }](s *API, c echo.Context, cur T, p P, save func(T) (T, error)) error {
	if err := request.Decode(c, s.maxBody, p); err != nil {
		return err
	}
	p.apply(&cur)
	got, err := save(cur)
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

func (s *API) deleteApp(c echo.Context) error {
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
func ofApp[T any](s *API, c echo.Context, all []T, keep func(T, string) bool) error {
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

func (s *API) listEvents(c echo.Context) error {
	return ofApp(s, c, s.eng.Design().Events, func(ev design.Event, app string) bool { return ev.App == app })
}

func (s *API) createEvent(c echo.Context) error {
	var ev design.Event
	if err := request.Decode(c, s.maxBody, &ev); err != nil {
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

func (s *API) getEvent(c echo.Context) error {
	ev, err := s.eng.Event(request.EventRef(c))
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

func (s *API) patchEvent(c echo.Context) error {
	ref := request.EventRef(c)
	ctx, err := designCtx(c)
	if err != nil {
		return err
	}
	ev, err := s.eng.Event(ref)
	if err != nil {
		return err
	}
	return patch(s, c, ev, &eventPatch{}, func(ev design.Event) (design.Event, error) {
		return s.eng.UpdateEvent(ctx, ref, ev, cascade(c))
	})
}

func (p eventPatch) apply(ev *design.Event) {
	set(&ev.Name, p.Name)
	set(&ev.Public, p.Public)
	set(&ev.Description, p.Description)
	set(&ev.Parameters, p.Parameters)
}

func (s *API) deleteEvent(c echo.Context) error {
	ctx, err := designCtx(c)
	if err != nil {
		return err
	}
	if err := s.eng.DeleteEvent(ctx, request.EventRef(c), cascade(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *API) listSubscriptions(c echo.Context) error {
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

func (s *API) createSubscription(c echo.Context) error {
	var b subscriptionBody
	if err := request.Decode(c, s.maxBody, &b); err != nil {
		return err
	}
	if b.Event == nil {
		return &httperr.BadRequest{Code: "required", Field: "event", Message: "name the event to handle as \"Producer.EventName\""}
	}
	if b.Handler == nil {
		return &httperr.BadRequest{Code: "required", Field: "handler", Message: "give the handler, e.g. {\"kind\":\"flow\",\"steps\":[{\"type\":\"log\",\"message\":\"got it\"}]}"}
	}
	sub := design.Subscription{Enabled: true}
	b.apply(&sub)
	got, err := s.eng.CreateSubscription(c.Request().Context(), c.Param("app"), sub)
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(got.App)+"/subscriptions/"+esc(got.Event.String()), got)
}

// subscription is the subscription the path names (:app handles :ref),
// with the event reference it is named by.
func (s *API) subscription(c echo.Context) (design.EventRef, design.Subscription, error) {
	ref, err := request.SubscriptionRef(c)
	if err != nil {
		return ref, design.Subscription{}, err
	}
	sub, err := s.eng.Subscription(c.Param("app"), ref)
	return ref, sub, err
}

func (s *API) getSubscription(c echo.Context) error {
	_, sub, err := s.subscription(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

func (s *API) patchSubscription(c echo.Context) error {
	ref, sub, err := s.subscription(c)
	if err != nil {
		return err
	}
	return patch(s, c, sub, &subscriptionBody{}, func(sub design.Subscription) (design.Subscription, error) {
		return s.eng.UpdateSubscription(c.Request().Context(), c.Param("app"), ref, sub)
	})
}

func (b subscriptionBody) apply(sub *design.Subscription) {
	set(&sub.Event, b.Event)
	set(&sub.Handler, b.Handler)
	set(&sub.Filter, b.Filter)
	set(&sub.Enabled, b.Enabled)
	set(&sub.Paused, b.Paused)
}

func (s *API) deleteSubscription(c echo.Context) error {
	ref, err := request.SubscriptionRef(c)
	if err != nil {
		return err
	}
	if err := s.eng.DeleteSubscription(c.Request().Context(), c.Param("app"), ref); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *API) pauseSubscription(c echo.Context) error {
	return s.subscriptionOp(c, s.eng.PauseSubscription)
}

func (s *API) resumeSubscription(c echo.Context) error {
	return s.subscriptionOp(c, s.eng.ResumeSubscription)
}

// subscriptionOp runs op on the subscription named by the path and
// answers the subscription as it is afterwards.
func (s *API) subscriptionOp(c echo.Context, op func(context.Context, string, design.EventRef) (design.Subscription, error)) error {
	ref, err := request.SubscriptionRef(c)
	if err != nil {
		return err
	}
	sub, err := op(c.Request().Context(), c.Param("app"), ref)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

func (s *API) exportDesign(c echo.Context) error {
	return c.JSON(http.StatusOK, s.eng.Design())
}

func (s *API) importDesign(c echo.Context) error {
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
