package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

func (s *Console) appRows() []templates.AppRow {
	d := s.eng.Design()
	rows := make([]templates.AppRow, 0, len(d.Apps))
	for _, a := range d.Apps {
		r := templates.AppRow{App: a}
		r.Events, r.Subscriptions = d.AppCounts(a.Name)
		rows = append(rows, r)
	}
	return rows
}

func (s *Console) appsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, templates.Apps(s.page(c, "Apps", "apps"), s.appRows(), design.App{}, nil), nil)
}

var appFields = []string{"name", "description", "color", "concurrency", "endpoint"}

// appFromForm reads the app form; a concurrency that is not a number is
// an inline error, not a crash.
func appFromForm(c echo.Context) (design.App, templates.FieldErrors) {
	a := design.App{Name: strings.TrimSpace(c.FormValue("name")), Description: c.FormValue("description"), Color: c.FormValue("color"), Endpoint: strings.TrimSpace(c.FormValue("endpoint"))}
	if v := strings.TrimSpace(c.FormValue("concurrency")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return a, templates.FieldErrors{"concurrency": "Concurrency must be a whole number such as 10, or empty for the default."}
		}
		a.Concurrency = n
	}
	return a, nil
}

// appCreate creates an app from the apps page's form, and saves its place
// on the designer's canvas in the same request when the form carries one
// (the side panel's create); a bad place refuses the create too.
func (s *Console) appCreate(c echo.Context) error {
	a, errs := appFromForm(c)
	spot, placed, bad := newNodeSpot(c)
	if bad != "" {
		if errs == nil {
			errs = templates.FieldErrors{}
		}
		errs[spotField] = bad
	}
	if errs == nil {
		if _, err := s.eng.CreateApp(c.Request().Context(), a); err != nil {
			if len(fault.All(err)) == 0 {
				return err
			}
			errs = fieldErrors(err, appFields...)
		}
	}
	if errs != nil {
		return s.render(c, http.StatusUnprocessableEntity, templates.Apps(s.page(c, "Apps", "apps"), s.appRows(), a, errs), nil)
	}
	if err := s.placeNode(c, appNodeID(a.Name), spot, placed); err != nil {
		return err
	}
	return back(c, "/apps/"+url.PathEscape(a.Name), "Created "+a.Name+".")
}

func (s *Console) appProps(c echo.Context, a design.App) (templates.AppProps, error) {
	ctx := c.Request().Context()
	p := templates.AppProps{App: a}
	d := s.eng.Design()
	for _, ev := range d.Events {
		if ev.App == a.Name {
			p.Events = append(p.Events, ev)
		}
	}
	for _, sub := range d.Subscriptions {
		if sub.App == a.Name {
			p.Subscriptions = append(p.Subscriptions, sub)
		}
	}
	keys, err := s.eng.Keys(ctx, a.Name)
	if err != nil {
		return p, err
	}
	for _, k := range keys {
		p.Keys = append(p.Keys, templates.KeyRow{ID: k.ID, Prefix: k.Prefix, CreatedAt: k.CreatedAt})
	}
	if p.Webhook, err = s.webhookProps(c, a.Name); err != nil {
		return p, err
	}
	p.Deliveries, err = s.eng.Deliveries(ctx, engine.DeliveryFilter{App: a.Name, Limit: 20})
	return p, err
}

func (s *Console) appPage(c echo.Context) error {
	return s.showApp(c, func(*templates.AppProps) {})
}

// showApp renders the page of the path's app, its props changed by edit
// first (a new key shown once, say).
func (s *Console) showApp(c echo.Context, edit func(*templates.AppProps)) error {
	a, err := s.eng.App(c.Param("app"))
	if err != nil {
		return err
	}
	p, err := s.appProps(c, a)
	if err != nil {
		return err
	}
	edit(&p)
	return s.render(c, http.StatusOK, templates.AppPage(s.page(c, a.Name, "apps"), p), nil)
}

func (s *Console) appUpdate(c echo.Context) error {
	name := c.Param("app")
	cur, err := s.eng.App(name)
	if err != nil {
		return err
	}
	a, errs := appFromForm(c)
	if errs == nil {
		if _, err := s.eng.UpdateApp(c.Request().Context(), name, a); err != nil {
			if len(fault.All(err)) == 0 {
				return err
			}
			errs = fieldErrors(err, appFields...)
		}
	}
	if errs != nil {
		p, err := s.appProps(c, cur)
		if err != nil {
			return err
		}
		p.App, p.Errors = a, errs
		p.App.Name = cur.Name
		return s.render(c, http.StatusUnprocessableEntity, templates.AppPage(s.page(c, cur.Name, "apps"), p), nil)
	}
	return back(c, "/apps/"+url.PathEscape(a.Name), "Saved.")
}

func (s *Console) appDelete(c echo.Context) error {
	name := c.Param("app")
	if err := s.eng.DeleteApp(formConfirmed(c), name, false); err != nil {
		if errors.Is(err, fault.ErrConflict) && !wantsJSON(c) {
			all := fault.All(err)
			p := s.page(c, name, "apps")
			p.Flash, p.FlashKind = all[0].Message, "error"
			a, aerr := s.eng.App(name)
			if aerr != nil {
				return aerr
			}
			props, perr := s.appProps(c, a)
			if perr != nil {
				return perr
			}
			return s.render(c, http.StatusConflict, templates.AppPage(p, props), nil)
		}
		return err
	}
	return back(c, "/apps", "Deleted "+name+".")
}

func (s *Console) keyCreate(c echo.Context) error {
	k, err := s.eng.CreateKey(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	// Rendered, not redirected: the clear key is shown this once and never
	// travels in a URL.
	return s.showApp(c, func(p *templates.AppProps) { p.NewKey = k.Clear })
}

func (s *Console) keyRevoke(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeKey(c.Request().Context(), c.Param("app"), id); err != nil {
		return err
	}
	return back(c, "/apps/"+url.PathEscape(c.Param("app")), "Key revoked.")
}
