package web

import (
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
)

// errNoMetricsCredentials is the refusal of /metrics without the admin or
// metrics token, naming both ways in.
var errNoMetricsCredentials = &fault.Error{Kind: fault.ErrUnauthorized, Code: "unauthorized",
	Message: "missing or wrong credentials for /metrics: send 'Authorization: Bearer <token>' with the admin token or the metrics token (EVENTLOOM_METRICS_TOKEN), or scrape the --metrics-addr listener, which needs none"}

// serveMetrics answers a scrape in the Prometheus text format.
func (s *Server) serveMetrics(c echo.Context) error {
	if s.metrics == nil {
		return &fault.Error{Kind: fault.ErrNotFound, Code: "metrics_off", Message: "metrics are off in this server: it was built without web.Config.Metrics"}
	}
	s.metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}
