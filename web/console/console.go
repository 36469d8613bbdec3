package console

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/static"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/live"
	"github.com/eventloom/eventloom/web/request"
)

// Config is what a Console is built from.
type Config struct {
	// Engine is the engine the console drives; required.
	Engine *engine.Engine
	// Logger receives the detail of errors a page shows only a request
	// id of; default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds the JSON bodies the designer's script posts;
	// default 4 MiB.
	MaxBodyBytes int64
	// Live serves /live (the websocket) to signed-in pages; required.
	Live *live.Server
	// Assets serves /static/ and names the versioned URLs pages link;
	// required.
	Assets *static.Assets
	// TraceURL, when set, links the trace page to the same trace in an
	// external tracing UI (see CheckTraceURL); empty shows no link.
	TraceURL string
	// SameOrigin refuses cross-site posts; it wraps every form the
	// console takes. Required (web's cross-origin protection).
	SameOrigin echo.MiddlewareFunc
	// Sessions starts and ends sign-ins; required.
	Sessions Sessions
	// Throttle slows down guessing at the sign-in form; required.
	Throttle Throttle
	// MayGet reports whether the request's caller may read the page the
	// request is now routed to: a side panel's post answers with the
	// page it would have redirected to only when the poster may read it.
	// Required.
	MayGet func(c echo.Context) bool
	// Timeline answers the designer's time travel (the REST API's
	// timeline, behind the console's sign-in); required.
	Timeline echo.HandlerFunc
}

// Sessions is how the console signs people in and out; the server keeps
// the sessions (and checks them on every request before a page runs).
type Sessions interface {
	// Start signs user in ("" for the admin token): a session and its
	// cookie on c's response.
	Start(c echo.Context, user string) error
	// End signs the request's session out and clears its cookie.
	End(c echo.Context) error
	// Who is who the request's session signed in as, for pages outside
	// the sign-in check (the sign-in page, error pages); zero when none.
	Who(c echo.Context) request.Who
}

// Throttle counts wrong sign-ins by client and refuses a client that
// sent too many.
type Throttle interface {
	// Refuse answers an error (429 with Retry-After) when c's client
	// must wait; nil when it may try.
	Refuse(c echo.Context) error
	// Failed counts a wrong sign-in from c's client.
	Failed(c echo.Context)
}

// Console is the browser console of one engine: server-rendered pages
// that work as plain HTML forms, enhanced by htmx where it helps.
type Console struct {
	eng      *engine.Engine
	log      *slog.Logger
	maxBody  int64
	live     *live.Server
	traceURL string
	// assets serves /static/; assetURLs are its versioned URLs for pages.
	assets    *static.Assets
	assetURLs map[string]string
	// bundleMissing names the front-end files this build lacks (banner).
	bundleMissing []string
	sameOrigin    echo.MiddlewareFunc
	sessions      Sessions
	throttle      Throttle
	mayGet        func(c echo.Context) bool
	timeline      echo.HandlerFunc
}

// New builds the console from cfg, filling in the defaults.
func New(cfg Config) *Console {
	return &Console{eng: cfg.Engine, log: cmp.Or(cfg.Logger, slog.Default()), maxBody: cmp.Or(max(cfg.MaxBodyBytes, 0), 4<<20),
		live: cfg.Live, traceURL: cfg.TraceURL, assets: cfg.Assets, assetURLs: cfg.Assets.URLs(), bundleMissing: static.Missing(),
		sameOrigin: cfg.SameOrigin, sessions: cfg.Sessions, throttle: cfg.Throttle, mayGet: cfg.MayGet, timeline: cfg.Timeline}
}

// Mount serves the console's pages and forms on e, with its static files
// and the sign-in page. Who may call each route is the caller's concern
// (web's access table), checked before these run.
func (s *Console) Mount(e *echo.Echo) {
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static", s.assets)))
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

// render writes a component after rendering it into a buffer, so a render
// error can still become a 500. An htmx request gets the partial (when
// there is one), any other the full page; Vary says so to caches.
func (s *Console) render(c echo.Context, status int, full, partial templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	comp := full
	if partial != nil && request.IsHTMX(c) {
		comp = partial
	}
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

func (s *Console) page(c echo.Context, title, nav string) templates.Page {
	// The server's sign-in check records who it let through; pages it did
	// not check (sign-in, errors) look at the session, best effort.
	w := request.WhoOf(c)
	if w.Role == "" {
		w = s.sessions.Who(c)
	}
	signedIn := w.Role != ""
	p := templates.Page{Title: title, Nav: nav, SignedIn: signedIn, User: w.Name, Role: w.Role, BundleMissing: s.bundleMissing, Assets: s.assetURLs, Fragment: isPanelRequest(c)}
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
