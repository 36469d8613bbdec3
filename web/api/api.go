package api

import (
	"cmp"
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/live"
	"github.com/eventloom/eventloom/web/series"
)

// Config is what an API is built from.
type Config struct {
	// Engine is the engine the API drives; required.
	Engine *engine.Engine
	// Logger receives what a client is not told (a backup cut short, an
	// item of a batch that failed inside); default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds every request body other than a trigger's
	// (whose bound is the engine's payload limit); default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Live serves GET /api/v1/live (the websocket); required. The server
	// owns it and closes it.
	Live *live.Server
	// Series feeds GET /api/v1/stats/series; required. The server starts
	// and stops it.
	Series *series.Series
}

// API holds the REST handlers of one engine; Mount serves them.
type API struct {
	eng     *engine.Engine
	log     *slog.Logger
	maxBody int64
	live    *live.Server
	series  *series.Series
}

// New builds the API from cfg, filling in the defaults.
func New(cfg Config) *API {
	return &API{eng: cfg.Engine, log: cmp.Or(cfg.Logger, slog.Default()), maxBody: cmp.Or(max(cfg.MaxBodyBytes, 0), DefaultMaxBodyBytes),
		live: cfg.Live, series: cfg.Series}
}

// DefaultMaxBodyBytes is Config.MaxBodyBytes' default, room for a large
// design document.
const DefaultMaxBodyBytes = 4 << 20

// Mount serves every route of the API on g, the /api/v1 group, ending
// with a 404 that names the route asked for. Who may call each route is
// the caller's concern (web's access table), checked before these run.
func (s *API) Mount(g *echo.Group) {
	g.GET("/apps", s.listApps)
	g.POST("/apps", s.createApp)
	g.GET("/apps/:app", s.getApp)
	g.PATCH("/apps/:app", s.patchApp)
	g.DELETE("/apps/:app", s.deleteApp)

	g.GET("/apps/:app/events", s.listEvents)
	g.POST("/apps/:app/events", s.createEvent)
	g.GET("/apps/:app/events/:event", s.getEvent)
	g.PATCH("/apps/:app/events/:event", s.patchEvent)
	g.DELETE("/apps/:app/events/:event", s.deleteEvent)
	g.POST("/apps/:app/events/:event/trigger", s.trigger)
	// echo reads ':' as a parameter marker; the backslash makes it the
	// literal colon of Google's custom-method style (trigger:batch).
	g.POST("/apps/:app/events/:event/trigger\\:batch", s.triggerBatch)

	g.GET("/apps/:app/subscriptions", s.listSubscriptions)
	g.POST("/apps/:app/subscriptions", s.createSubscription)
	g.GET("/apps/:app/subscriptions/:ref", s.getSubscription)
	g.PATCH("/apps/:app/subscriptions/:ref", s.patchSubscription)
	g.DELETE("/apps/:app/subscriptions/:ref", s.deleteSubscription)
	g.POST("/apps/:app/subscriptions/:ref/pause", s.pauseSubscription)
	g.POST("/apps/:app/subscriptions/:ref/resume", s.resumeSubscription)
	// Pull workers take the handling app's key or the admin token.
	s.pullRoutes(g)

	g.GET("/apps/:app/keys", s.listKeys)
	g.POST("/apps/:app/keys", s.createKey)
	g.DELETE("/apps/:app/keys/:id", s.revokeKey)
	g.POST("/apps/:app/secrets", s.rotateSecret)

	g.GET("/occurrences", s.listOccurrences)
	g.GET("/occurrences/:id", s.getOccurrence)
	g.GET("/occurrences/:id/verdicts", s.getVerdicts)
	g.GET("/traces/:id", s.getTrace)
	g.GET("/deliveries", s.listDeliveries)
	g.GET("/deliveries/:id", s.getDelivery)
	g.POST("/deliveries/:id/retry", s.retryDelivery)
	g.POST("/deliveries/:id/replay", s.replayDelivery)
	g.POST("/deliveries/:id/discard", s.discardDelivery)
	g.POST("/replays", s.startReplay)
	g.GET("/replays/:replay", s.getReplay)
	g.DELETE("/replays/:replay", s.cancelReplay)
	g.GET("/stats", s.stats)
	g.GET("/stats/series", s.StatsSeries)
	g.GET("/timeline", s.Timeline)

	g.GET("/live", s.live.Serve)
	g.GET("/lint", s.lint)
	g.GET("/layout", s.getLayout)
	g.PUT("/layout", s.putLayout)

	g.GET("/design", s.exportDesign)
	g.GET("/design/versions", s.listDesignVersions)
	g.GET("/design/versions/:n", s.getDesignVersion)
	g.GET("/design/diff", s.designDiff)
	g.GET("/backup", s.backup)
	g.PUT("/design", s.importDesign)
	g.GET("/design/asyncapi", s.exportAsyncAPI)
	g.GET("/openapi.json", s.serveOpenAPI)

	g.GET("/audit", s.listAudit)
	s.userRoutes(g)
	s.alertRoutes(g)

	g.Any("/*", func(c echo.Context) error {
		return &fault.Error{Kind: fault.ErrNotFound, Code: "not_found", Message: "no such API route: " + c.Request().Method + " " + c.Request().URL.Path + "; see the README for the routes"}
	})
}
