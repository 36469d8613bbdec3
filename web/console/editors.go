package console

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// editorRoutes serve the event and subscription editors.
func (s *Console) editorRoutes(g *echo.Group) {
	g.GET("/apps/:app/events/new", s.eventEditor)
	g.POST("/apps/:app/events/new", s.eventSave)
	g.GET("/apps/:app/events/:event/edit", s.eventEditor)
	g.POST("/apps/:app/events/:event/edit", s.eventSave)
	g.GET("/apps/:app/subscriptions/new", s.subscriptionEditor)
	g.POST("/apps/:app/subscriptions/new", s.subscriptionSave)
	g.GET("/apps/:app/subscriptions/:ref/edit", s.subscriptionEditor)
	g.POST("/apps/:app/subscriptions/:ref/edit", s.subscriptionSave)
	g.POST("/apps/:app/subscriptions/:ref/:op", s.subscriptionAction)
}

// errorsByField keeps every refusal under its own field, for editors
// whose inputs are named after the engine's fields.
func errorsByField(err error) templates.FieldErrors {
	out := templates.FieldErrors{}
	for _, x := range fault.All(err) {
		if prev, ok := out[x.Field]; ok {
			out[x.Field] = prev + " " + x.Message
		} else {
			out[x.Field] = x.Message
		}
	}
	return out
}

func (s *Console) eventEditor(c echo.Context) error {
	app := c.Param("app")
	if _, err := s.eng.App(app); err != nil {
		return err
	}
	e := templates.EventEditProps{App: app, Event: design.Event{Parameters: []design.Parameter{}}}
	if name := c.Param("event"); name != "" {
		ev, err := s.eng.Event(design.EventRef{App: app, Event: name})
		if err != nil {
			return err
		}
		e.Original, e.Event = name, ev
	}
	return s.render(c, http.StatusOK, templates.EventEditor(s.page(c, "Edit event", "apps"), e), nil)
}

// formRows reads the repeated inputs of an editor's table row by row.
type formRows struct{ f url.Values }

func (r formRows) at(name string, i int) string {
	if v := r.f[name]; i < len(v) {
		return v[i]
	}
	return ""
}

func (r formRows) checked(name string, i int) bool { return r.f.Get(name+strconv.Itoa(i)) == "true" }

// order returns the row indexes to keep, sorted by their position input.
func (r formRows) order(keep func(i int) bool, posName string, n int) []int {
	var idx []int
	for i := 0; i < n; i++ {
		if keep(i) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, _ := strconv.Atoi(r.at(posName, idx[a]))
		pb, _ := strconv.Atoi(r.at(posName, idx[b]))
		return pa < pb
	})
	return idx
}

func (s *Console) eventSave(c echo.Context) error {
	app := c.Param("app")
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the form could not be read"}
	}
	r := formRows{c.Request().PostForm}
	ev := design.Event{Name: strings.TrimSpace(r.f.Get("name")), Description: r.f.Get("description"), Public: r.f.Get("public") == "true", Parameters: []design.Parameter{}}
	n := len(r.f["pname"])
	for _, i := range r.order(func(i int) bool { return strings.TrimSpace(r.at("pname", i)) != "" && !r.checked("premove", i) }, "pos", n) {
		ev.Parameters = append(ev.Parameters, design.Parameter{
			Name: strings.TrimSpace(r.at("pname", i)), Type: design.ParamType(r.at("ptype", i)),
			Mandatory: r.checked("pmandatory", i), Description: r.at("pdescription", i),
		})
	}
	original := c.Param("event")
	ctx := formConfirmed(c)
	var err error
	spot, placed, bad := newNodeSpot(c)
	if original == "" && bad != "" {
		e := templates.EventEditProps{App: app, Event: ev, Errors: templates.FieldErrors{spotField: bad}}
		return s.render(c, http.StatusUnprocessableEntity, templates.EventEditor(s.page(c, "Edit event", "apps"), e), nil)
	}
	if original == "" {
		_, err = s.eng.CreateEvent(ctx, app, ev)
	} else {
		_, err = s.eng.UpdateEvent(ctx, design.EventRef{App: app, Event: original}, ev, false)
	}
	if err != nil {
		if len(fault.All(err)) == 0 {
			return err
		}
		e := templates.EventEditProps{App: app, Original: original, Event: ev, Errors: errorsByField(err), Breaks: breaksOf(err)}
		if len(e.Breaks) > 0 {
			delete(e.Errors, "") // the notice says it, with the subscriptions
		}
		return s.render(c, httperr.Classify(err).Status, templates.EventEditor(s.page(c, "Edit event", "apps"), e), nil)
	}
	if original == "" {
		if err := s.placeNode(c, eventNodeID(designerEvent{App: app, Name: ev.Name}), spot, placed); err != nil {
			return err
		}
	}
	if r.f.Get("more") != "" {
		return back(c, "/apps/"+url.PathEscape(app)+"/events/"+url.PathEscape(ev.Name)+"/edit", "Saved.")
	}
	return back(c, "/apps/"+url.PathEscape(app)+"/events/"+url.PathEscape(ev.Name), "Saved "+app+"."+ev.Name+".")
}

// subscriptionChoices lists what app may handle and the app's own events,
// the only ones its flows may trigger.
func (s *Console) subscriptionChoices(app string) (choices []design.EventRef, own []design.Event) {
	for _, ev := range s.eng.Design().Events {
		if ev.App == app {
			own = append(own, ev)
		}
		if ev.App == app || ev.Public {
			choices = append(choices, ev.Ref())
		}
	}
	return choices, own
}

func (s *Console) subscriptionEditor(c echo.Context) error {
	app := c.Param("app")
	if _, err := s.eng.App(app); err != nil {
		return err
	}
	// A new flow starts with one log step: a flow needs at least one.
	p := templates.SubscriptionEditProps{App: app, Sub: design.Subscription{Enabled: true, Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog}}}}}
	p.Choices, p.OwnEvents = s.subscriptionChoices(app)
	if c.Param("ref") != "" {
		ref, err := request.SubscriptionRef(c)
		if err != nil {
			return err
		}
		sub, err := s.eng.Subscription(app, ref)
		if err != nil {
			return err
		}
		p.Original, p.Sub, p.Paused = ref, sub, sub.Paused
	}
	return s.render(c, http.StatusOK, templates.SubscriptionEditor(s.page(c, "Subscription", "apps"), p), nil)
}

func (s *Console) subscriptionSave(c echo.Context) error {
	app := c.Param("app")
	if err := c.Request().ParseForm(); err != nil {
		return &httperr.BadRequest{Code: "malformed_form", Message: "the form could not be read"}
	}
	f := c.Request().PostForm
	p := templates.SubscriptionEditProps{App: app}
	p.Choices, p.OwnEvents = s.subscriptionChoices(app)
	ref, refErr := design.ParseEventRef(f.Get("event"))
	sub := design.Subscription{Event: ref, Enabled: f.Get("enabled") == "true", Filter: strings.TrimSpace(f.Get("filter"))}
	keys, steps, errs := stepsFromForm(f)
	switch design.HandlerKind(f.Get("kind")) {
	case design.KindGo:
		sub.Handler, errs = design.Handler{Kind: design.KindGo, Name: strings.TrimSpace(f.Get("goname"))}, nil
	case design.KindWebhook:
		sub.Handler, errs = design.Handler{Kind: design.KindWebhook, Path: strings.TrimSpace(f.Get("path"))}, nil
	case design.KindPull:
		sub.Handler, errs = design.Handler{Kind: design.KindPull}, nil
	default:
		sub.Handler = design.Handler{Kind: design.KindFlow, Steps: steps}
	}
	if c.Param("ref") != "" {
		orig, err := request.SubscriptionRef(c)
		if err != nil {
			return err
		}
		p.Original = orig
		if cur, err := s.eng.Subscription(app, orig); err == nil {
			sub.Paused, p.Paused = cur.Paused, cur.Paused
		}
	}
	if edited, editErr, ok := editSteps(f, keys, steps); ok {
		// A card's button pressed without the script: the editor again
		// with the steps edited, nothing saved.
		sub.Handler.Steps = edited
		p.Sub = sub
		if editErr != "" {
			p.Errors = templates.FieldErrors{"handler.steps": editErr}
		}
		return s.render(c, http.StatusOK, templates.SubscriptionEditor(s.page(c, "Subscription", "apps"), p), nil)
	}
	if refErr != nil {
		if errs == nil {
			errs = templates.FieldErrors{}
		}
		errs["event"] = "pick the event to handle"
	}
	status := http.StatusUnprocessableEntity
	if errs == nil {
		var err error
		if p.Original.App == "" {
			_, err = s.eng.CreateSubscription(c.Request().Context(), app, sub)
		} else {
			_, err = s.eng.UpdateSubscription(c.Request().Context(), app, p.Original, sub)
		}
		if err == nil {
			return back(c, "/apps/"+url.PathEscape(app), "Saved: "+app+" handles "+sub.Event.String()+".")
		}
		if len(fault.All(err)) == 0 {
			return err
		}
		errs, status = errorsByField(err), httperr.Classify(err).Status
	}
	p.Sub, p.Errors = sub, errs
	return s.render(c, status, templates.SubscriptionEditor(s.page(c, "Subscription", "apps"), p), nil)
}

func (s *Console) subscriptionAction(c echo.Context) error {
	app := c.Param("app")
	ref, err := request.SubscriptionRef(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	switch c.Param("op") {
	case "pause":
		_, err = s.eng.PauseSubscription(ctx, app, ref)
	case "resume":
		_, err = s.eng.ResumeSubscription(ctx, app, ref)
	case "delete":
		if err = s.eng.DeleteSubscription(ctx, app, ref); err == nil {
			return back(c, "/apps/"+url.PathEscape(app), "Deleted the subscription to "+ref.String()+".")
		}
	default:
		return echo.NewHTTPError(http.StatusNotFound, "no such action")
	}
	if err != nil {
		return err
	}
	return back(c, "/apps/"+url.PathEscape(app)+"/subscriptions/"+url.PathEscape(ref.String())+"/edit", "Subscription "+c.Param("op")+"d.")
}
