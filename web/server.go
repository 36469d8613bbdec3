package web

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/static"
	"github.com/eventloom/eventloom/web/api"
	"github.com/eventloom/eventloom/web/console"
	"github.com/eventloom/eventloom/web/live"
	"github.com/eventloom/eventloom/web/metrics"
	"github.com/eventloom/eventloom/web/series"
)

// Config is what a Server is built from.
type Config struct {
	// Engine is the engine the server drives; required.
	Engine *engine.Engine
	// Logger receives request errors; default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds every request body other than a trigger's
	// (whose bound is the engine's payload limit); default 4 MiB, room for
	// a large design document.
	MaxBodyBytes int64
	// FailedAuthPerClient is how many wrong sign-ins and wrong bearer
	// tokens one client address may send a minute before it gets 429;
	// default 10.
	FailedAuthPerClient int
	// FailedAuthGlobal is the same limit over all clients together, so
	// guessing from many addresses is slowed too; default 300.
	FailedAuthGlobal int
	// SecureCookies marks the session cookie Secure even when the request
	// came over plain HTTP: set it behind a proxy that terminates TLS, so
	// the browser never sends the cookie unencrypted.
	SecureCookies bool
	// Metrics, when set, is served at /metrics to the admin token or
	// MetricsToken; nil answers 404 there.
	Metrics *metrics.Metrics
	// MetricsToken is a bearer token that may read /metrics and nothing
	// else, for a Prometheus that should not hold the admin token; empty
	// means only the admin token may.
	MetricsToken string
	// LiveBus, when set, is what the live view shows instead of the
	// engine's own bus: a node of a cluster passes a bus carrying every
	// node's notes.
	LiveBus *notify.Bus
	// TraceURL, when set, links the trace page to the same trace in an
	// external tracing UI: a URL in which {traceId} stands for the W3C
	// trace id (see CheckTraceURL); empty shows no link.
	TraceURL string
}

// Server is the HTTP face of one engine.
type Server struct {
	eng      *engine.Engine
	log      *slog.Logger
	maxBody  int64
	echo     *echo.Echo
	live     *live.Server
	sessions *sessions
	throttle *throttle
	// crossOrigin refuses cross-site console posts (Sec-Fetch-Site and
	// Origin), so another site cannot act with a signed-in user's cookie.
	crossOrigin *http.CrossOriginProtection
	// stopSeries ends the charts' series; Close calls it.
	stopSeries context.CancelFunc
	// metrics is served at /metrics (nil: off) to the admin token or
	// metricsToken.
	metrics      *metrics.Metrics
	metricsToken string
	// access says who may call each route (accessTable); registered is
	// every route the server has, so authorize tells a missing entry
	// from a path no route serves.
	access     map[string]access
	registered map[string]bool
	// series feed the console's charts (/api/v1/stats/series) until Close.
	series *series.Series
	// api serves the REST API under /api/v1.
	api *api.API
	// console serves the browser console's pages and forms.
	console *console.Console
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = api.DefaultMaxBodyBytes
	}
	if cfg.FailedAuthPerClient <= 0 {
		cfg.FailedAuthPerClient = 10
	}
	if cfg.FailedAuthGlobal <= 0 {
		cfg.FailedAuthGlobal = 300
	}
	s := &Server{eng: cfg.Engine, log: cfg.Logger, maxBody: cfg.MaxBodyBytes}
	s.live = live.New(live.Config{Bus: cmp.Or(cfg.LiveBus, cfg.Engine.Bus()), Runtime: cfg.Engine, Logger: cfg.Logger})
	s.throttle = newThrottle(cfg.Engine.Now, cfg.FailedAuthPerClient, cfg.FailedAuthGlobal)
	assets, err := static.NewAssets()
	if err != nil { // an embedded file that cannot be read: a broken build
		panic(err)
	}
	s.sessions = &sessions{eng: cfg.Engine, secure: cfg.SecureCookies}
	s.crossOrigin = http.NewCrossOriginProtection()
	s.metrics, s.metricsToken = cfg.Metrics, cfg.MetricsToken
	if s.metrics != nil {
		s.metrics.WatchLive(s.live.Hub())
	}
	seriesCtx, stop := context.WithCancel(context.Background())
	s.stopSeries = stop
	s.series = series.New(series.Config{})
	s.series.Start(seriesCtx, cfg.Engine)
	s.api = api.New(api.Config{Engine: cfg.Engine, Logger: cfg.Logger, MaxBodyBytes: cfg.MaxBodyBytes, Live: s.live, Series: s.series})
	s.console = console.New(console.Config{Engine: cfg.Engine, Logger: cfg.Logger, MaxBodyBytes: cfg.MaxBodyBytes, Live: s.live,
		Assets: assets, TraceURL: cfg.TraceURL, SameOrigin: s.sameOrigin, Sessions: consoleSessions{s}, Throttle: consoleThrottle{s},
		MayGet: s.mayGet, Timeline: s.api.Timeline})
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		// A client that hung up is nobody's error: nobody reads the answer.
		if c.Request().Context().Err() != nil && errors.Is(err, context.Canceled) {
			s.log.Debug("client went away", "method", c.Request().Method, "path", c.Request().URL.Path)
			return
		}
		if p := c.Request().URL.Path; !strings.HasPrefix(p, "/api/") && p != "/metrics" { // machines get JSON
			if werr := s.console.WriteErrorPage(c, err); werr != nil {
				s.log.Error("write error page", "error", werr)
			}
			return
		}
		if werr := s.writeError(c, err); werr != nil {
			s.log.Error("write error response", "error", werr)
		}
	}
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(securityHeaders)
	e.Use(s.guardBody)
	e.Use(s.authorize)
	s.echo = e
	s.routes()
	s.access, s.registered = accessTable(), map[string]bool{}
	for _, r := range e.Routes() {
		s.registered[r.Method+" "+r.Path] = true
	}
	return s
}

// Close ends live streams, stops the hub and the charts' series; call it
// when the HTTP server has shut down. Calling it again does nothing.
func (s *Server) Close() {
	s.live.Close()
	s.stopSeries()
}

// Hub is the fan-out of the engine's notifications to live viewers.
func (s *Server) Hub() *live.Hub { return s.live.Hub() }

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

func (s *Server) routes() {
	s.echo.GET("/healthz", health)
	s.console.Mount(s.echo)
	s.echo.GET("/metrics", s.serveMetrics)
	// Who may call each route is decided in one place: accessTable
	// (web/roles.go), checked by authorize for every request.
	s.api.Mount(s.echo.Group("/api/v1"))
	s.echo.GET("/stats/series", s.api.StatsSeries) // the same for the console's charts, by session
}

// Series is the charts' time series this server keeps (and serves at
// /api/v1/stats/series), for a program or test that waits on them.
func (s *Server) Series() *series.Series { return s.series }

func bearer(c echo.Context) string {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}
