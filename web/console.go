package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
)

// consoleRoutes serves the browser console: server-rendered pages that
// work as plain HTML forms, enhanced by htmx where it helps.
func (s *Server) consoleRoutes() {
	e := s.echo
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static", s.assets)))
	e.GET("/healthz", s.health)
	// Browsers ask for /favicon.ico on pages that name no icon (a JSON
	// document opened in a tab): the console's icon, not a 404.
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, s.assets.URL("favicon.svg"))
	})
	e.GET("/signin", s.signInPage)
	e.POST("/signin", s.signIn, s.sameOrigin)
	e.POST("/signout", s.signOut, s.sameOrigin)

	g := e.Group("", s.sameOrigin, s.panelEdits)
	g.GET("/", s.designerPage)
	g.GET("/overview", s.overviewPage)
	g.GET("/designer/data", s.designerDataJSON)
	g.GET("/designer/backlog", s.designerBacklog)
	g.GET("/designer/timeline", s.designerTimeline)
	g.POST("/designer/positions", s.designerPositions)
	g.GET("/apps", s.appsPage)
	g.POST("/apps", s.appCreate)
	g.GET("/apps/:app", s.appPage)
	g.POST("/apps/:app", s.appUpdate)
	g.POST("/apps/:app/delete", s.appDelete)
	g.POST("/apps/:app/keys", s.keyCreate)
	g.POST("/apps/:app/keys/:id/revoke", s.keyRevoke)
	g.POST("/apps/:app/secrets", s.secretRotate)
	g.GET("/apps/:app/events/:event", s.eventPage)
	g.POST("/apps/:app/events/:event/trigger", s.eventTrigger)
	g.POST("/apps/:app/events/:event/delete", s.eventDelete)
	g.GET("/occurrences/:id", s.occurrenceRedirect)
	g.GET("/occurrences/:id/verdicts", s.verdictsPage)
	g.GET("/traces/:id", s.tracePage)
	g.GET("/dead", s.deadPage)
	g.POST("/dead/bulk", s.deadBulk)
	g.GET("/history", s.historyPage)
	g.GET("/bulk", s.bulkPage)
	g.POST("/bulk", s.bulkSubmit)
	g.GET("/bulk/jobs/:job", s.bulkJob)
	g.POST("/bulk/jobs/:job/cancel", s.bulkCancel)
	g.POST("/deliveries/:id/:op", s.deliveryAction)
	g.GET("/live", s.live.Serve)
	g.GET("/audit", s.auditPage)
	g.GET("/design/versions", s.versionsPage)
	g.GET("/design/diff", s.diffPage)
	g.GET("/reference", s.referencePage)
	g.GET("/alerts", s.alertsPage)
	s.editorRoutes(g)
	s.consoleUserRoutes(g)
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// sameOrigin refuses cross-site form posts (the browser's Sec-Fetch-Site
// and Origin headers); safe methods pass.
func (s *Server) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.crossOrigin.Check(c.Request()); err != nil {
			return echo.NewHTTPError(http.StatusForbidden, "cross-origin requests are refused; use the console's own pages")
		}
		return next(c)
	}
}

// render writes a component after rendering it into a buffer, so a render
// error can still become a 500. An htmx request gets the partial (when
// there is one), any other the full page; Vary says so to caches.
func (s *Server) render(c echo.Context, status int, full, partial templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	comp := full
	if partial != nil && isHTMX(c) {
		comp = partial
	}
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// signedInKey marks a request authorize let through, so its page
// does not check the session a second time.
const signedInKey = "eventloom.signedIn"

func (s *Server) page(c echo.Context, title, nav string) templates.Page {
	signedIn, _ := c.Get(signedInKey).(bool)
	w := whoOf(c)
	if !signedIn { // pages authorize did not sign in (sign-in, errors): best effort
		w = s.sessionWho(c)
		signedIn = w.role != ""
	}
	p := templates.Page{Title: title, Nav: nav, SignedIn: signedIn, User: w.name, Role: w.role, BundleMissing: s.bundleMissing, Assets: s.assetURLs, Fragment: isPanelRequest(c)}
	if signedIn {
		p.Alerts = s.eng.AlertsSince(s.eng.Now().Add(-24 * time.Hour))
	}
	if f := takeFlash(c); f != "" {
		p.Flash, p.FlashKind = f, "ok"
	}
	return p
}

// flashCookie carries a post's outcome to the page it redirects to. A
// cookie, not the URL: a link someone else wrote must not be able to put
// words in the console's own status banner.
const flashCookie = "eventloom_flash"

// back redirects after a post (post/redirect/get), with a flash message
// for the next page.
func back(c echo.Context, to, flash string) error {
	if pe := panelEditOf(c); pe != nil {
		return pe.answer(c, to, flash)
	}
	if flash != "" {
		c.SetCookie(&http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(flash)), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request().TLS != nil,
			MaxAge: 60}) // a minute: long enough for the redirect, short enough not to surprise later
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// takeFlash reads the flash message and clears it, so it shows once.
func takeFlash(c echo.Context) string {
	if f, ok := c.Get(panelFlashKey).(string); ok {
		return f // a side panel's answer: no redirect, no cookie
	}
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request().TLS != nil, MaxAge: -1})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return ""
	}
	return string(b)
}

// fieldErrors turns a refusal into messages by form field; messages about
// no field (or one the form lacks) go under "".
func fieldErrors(err error, fields ...string) templates.FieldErrors {
	out := templates.FieldErrors{}
	for _, x := range fault.All(err) {
		key := x.Field
		known := false
		for _, f := range fields {
			known = known || f == key
		}
		if !known {
			key = ""
		}
		if prev, ok := out[key]; ok {
			out[key] = prev + " " + x.Message
		} else {
			out[key] = x.Message
		}
	}
	return out
}

func (s *Server) overviewPage(c echo.Context) error {
	ctx := c.Request().Context()
	d := s.eng.Design()
	counts, err := s.eng.DeliveryCounts(ctx, s.eng.Now().Add(-3600e9))
	if err != nil {
		return err
	}
	depths, err := s.eng.QueueDepths(ctx)
	if err != nil {
		return err
	}
	o := templates.OverviewProps{Apps: len(d.Apps), Events: len(d.Events), Subscriptions: len(d.Subscriptions), Counts: counts}
	for _, q := range depths {
		o.Queues = append(o.Queues, templates.QueueRow{Event: q.Event, Pending: q.Pending, Cap: q.Cap})
	}
	sort.Slice(o.Queues, func(i, j int) bool { return o.Queues[i].Event < o.Queues[j].Event })
	for app, l := range s.eng.InFlight() {
		o.Loads = append(o.Loads, templates.LoadRow{App: app, Running: l.Running, Queued: l.Queued, Limit: l.Limit})
	}
	sort.Slice(o.Loads, func(i, j int) bool { return o.Loads[i].App < o.Loads[j].App })
	for _, st := range []delivery.Status{delivery.Dead, delivery.Retrying} {
		ds, err := s.eng.Deliveries(ctx, engine.DeliveryFilter{Status: st, Limit: 10})
		if err != nil {
			return err
		}
		o.Failures = append(o.Failures, ds...)
	}
	return s.render(c, http.StatusOK, templates.Overview(s.page(c, "Overview", "overview"), o), nil)
}

func (s *Server) appRows() []templates.AppRow {
	d := s.eng.Design()
	rows := make([]templates.AppRow, 0, len(d.Apps))
	for _, a := range d.Apps {
		r := templates.AppRow{App: a}
		for _, ev := range d.Events {
			if ev.App == a.Name {
				r.Events++
			}
		}
		for _, sub := range d.Subscriptions {
			if sub.App == a.Name {
				r.Subscriptions++
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func (s *Server) appsPage(c echo.Context) error {
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

func (s *Server) appCreate(c echo.Context) error {
	a, errs := appFromForm(c)
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
	return back(c, "/apps/"+url.PathEscape(a.Name), "Created "+a.Name+".")
}

func (s *Server) appProps(c echo.Context, a design.App) (templates.AppProps, error) {
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

func (s *Server) appPage(c echo.Context) error {
	a, err := s.eng.App(c.Param("app"))
	if err != nil {
		return err
	}
	p, err := s.appProps(c, a)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.AppPage(s.page(c, a.Name, "apps"), p), nil)
}

func (s *Server) appUpdate(c echo.Context) error {
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

func (s *Server) appDelete(c echo.Context) error {
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

func (s *Server) keyCreate(c echo.Context) error {
	k, err := s.eng.CreateKey(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	a, err := s.eng.App(c.Param("app"))
	if err != nil {
		return err
	}
	p, err := s.appProps(c, a)
	if err != nil {
		return err
	}
	p.NewKey = k.Clear
	// Rendered, not redirected: the clear key is shown this once and never
	// travels in a URL.
	return s.render(c, http.StatusOK, templates.AppPage(s.page(c, a.Name, "apps"), p), nil)
}

func (s *Server) keyRevoke(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeKey(c.Request().Context(), c.Param("app"), id); err != nil {
		return err
	}
	return back(c, "/apps/"+url.PathEscape(c.Param("app")), "Key revoked.")
}

func (s *Server) occurrenceRedirect(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := s.eng.Occurrence(c.Request().Context(), id)
	if err != nil {
		return err
	}
	// An occurrence past the trace's first page opens the page that
	// starts at it.
	page := "/traces/" + itoa(o.TraceID)
	first, err := s.eng.TracePage(c.Request().Context(), o.TraceID, 0, tracePageSize)
	if err != nil {
		return err
	}
	if len(first) == tracePageSize && first[len(first)-1].ID < o.ID {
		page += "?after=" + itoa(o.ID-1)
	}
	return c.Redirect(http.StatusSeeOther, page+"#occ-"+itoa(o.ID))
}

// tracePageSize is how many occurrences one trace page shows. A chain
// has no bound on its size (it fans out), so the page reads one slice of
// it at a time, oldest first.
const tracePageSize = 300

// traceTree builds the chain's tree from one page of its occurrences
// (oldest first): an occurrence hangs under the delivery that triggered
// it, or starts the tree when that delivery is on an earlier page.
func traceTree(traceID int64, occ []delivery.Occurrence) templates.TraceProps {
	children := map[int64][]delivery.Occurrence{}
	onPage := map[int64]bool{}
	for _, o := range occ {
		for _, d := range o.Deliveries {
			onPage[d.ID] = true
		}
	}
	var roots []delivery.Occurrence
	running := false
	for _, o := range occ {
		if o.Status == delivery.OccurrencePending {
			running = true
		}
		if o.ParentDeliveryID == 0 || !onPage[o.ParentDeliveryID] {
			roots = append(roots, o)
		} else {
			children[o.ParentDeliveryID] = append(children[o.ParentDeliveryID], o)
		}
	}
	var build func([]delivery.Occurrence) []templates.TraceNode
	build = func(os []delivery.Occurrence) []templates.TraceNode {
		out := make([]templates.TraceNode, 0, len(os))
		for _, o := range os {
			n := templates.TraceNode{Occurrence: o, ParentOffPage: o.ParentDeliveryID != 0 && !onPage[o.ParentDeliveryID]}
			for _, d := range o.Deliveries {
				n.Deliveries = append(n.Deliveries, templates.TraceDelivery{Delivery: d, Children: build(children[d.ID])})
			}
			out = append(out, n)
		}
		return out
	}
	return templates.TraceProps{TraceID: traceID, Roots: build(roots), Running: running}
}

// tracePage shows one page of a trace: ?after= is the last occurrence
// id of the page before (none: from the root).
func (s *Server) tracePage(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var after int64
	if v := c.QueryParam("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return &httperr.BadRequest{Code: "bad_query", Field: "after", Message: "after must be the id of the last occurrence of the page before; got " + strconv.Quote(v)}
		}
	}
	occ, err := s.eng.TracePage(c.Request().Context(), id, after, tracePageSize+1)
	if err != nil {
		return err
	}
	if len(occ) == 0 && after == 0 {
		return fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("trace %d has no occurrences", id))
	}
	more := len(occ) > tracePageSize
	if more {
		occ = occ[:tracePageSize]
	}
	t := traceTree(id, occ)
	t.After, t.PageSize = after, tracePageSize
	t.ExternalURL, t.ExternalTraceID = externalTrace(s.traceURL, occ)
	if more {
		t.Next = occ[len(occ)-1].ID
	}
	return s.render(c, http.StatusOK, templates.TracePage(s.page(c, "Trace #"+itoa(id), ""), t), templates.TraceTree(t))
}

// deadPage lists dead letters and waiting retries; ?replayed= names
// deliveries just replayed, which the page follows live to their outcome
// (an htmx refresh gets only that part).
func (s *Server) deadPage(c echo.Context) error {
	ids, bad := parseReplayed(c.QueryParam("replayed"))
	d, err := s.deadProps(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	d.CanOperate = whoOf(c).role.May(engine.RightOperate)
	p, status := s.page(c, "Dead letters", "dead"), http.StatusOK
	if bad != "" {
		p.Flash, p.FlashKind, status = bad, "error", http.StatusUnprocessableEntity
	}
	return s.render(c, status, templates.DeadLetters(p, d), templates.ReplayedDeliveries(d))
}

func (s *Server) deliveryAction(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	flash, to := "", "/dead"
	switch c.Param("op") {
	case "replay":
		_, err = s.eng.Replay(ctx, id)
		flash = "Delivery #" + itoa(id) + " replayed: it runs again now, with the whole retry schedule."
		to = "/dead?" + replayedQuery([]int64{id})
	case "retry":
		_, err = s.eng.RetryNow(ctx, id)
		flash = "Delivery #" + itoa(id) + " will be retried now."
	case "discard":
		_, err = s.eng.Discard(ctx, id)
		flash = "Delivery #" + itoa(id) + " discarded."
	default:
		return echo.NewHTTPError(http.StatusNotFound, "no such action")
	}
	if err != nil {
		return err
	}
	return back(c, to, flash)
}

// eventDelete deletes an event; while other apps handle it the refusal
// names them, until the form confirms (confirm=breaking).
func (s *Server) eventDelete(c echo.Context) error {
	ref := eventRef(c)
	if err := s.eng.DeleteEvent(formConfirmed(c), ref, false); err != nil {
		return err
	}
	return back(c, "/apps/"+url.PathEscape(ref.App), "Deleted "+ref.String()+".")
}
