package web

import (
	"crypto/subtle"
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
)

// errNoMetricsCredentials is the refusal of /metrics without the admin or
// metrics token, naming both ways in.
var errNoMetricsCredentials = &fault.Error{Kind: fault.ErrUnauthorized, Code: "unauthorized",
	Message: "missing or wrong credentials for /metrics: send 'Authorization: Bearer <token>' with the admin token or the metrics token (EVENTLOOM_METRICS_TOKEN), or scrape the --metrics-addr listener, which needs none"}

// requireMetricsReader lets through the metrics token or the admin token;
// an app key is refused (it may trigger its events, not read the router's
// load).
func (s *Server) requireMetricsReader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if tok := bearer(c); s.metricsToken != "" && tok != "" &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(s.metricsToken)) == 1 {
			return next(c)
		}
		admin, _, err := s.credentials(c)
		if errors.Is(err, fault.ErrUnauthorized) || (err == nil && !admin) {
			return errNoMetricsCredentials
		}
		if err != nil {
			return err
		}
		return next(c)
	}
}

// serveMetrics answers a scrape in the Prometheus text format.
func (s *Server) serveMetrics(c echo.Context) error {
	if s.metrics == nil {
		return &fault.Error{Kind: fault.ErrNotFound, Code: "metrics_off", Message: "metrics are off in this server: it was built without web.Config.Metrics"}
	}
	s.metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}
