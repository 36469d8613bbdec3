package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/web/request"
)

// health answers the load balancer's probe; it needs no credentials.
func health(c echo.Context) error {
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

// mayGet reports whether the request's caller may GET the route c is now
// routed to, by the same access table authorize checks: a console side
// panel's answer shows a page only to one who may read it.
func (s *Server) mayGet(c echo.Context) bool {
	a, ok := s.accessOf(http.MethodGet, c.Path())
	return ok && s.registered[http.MethodGet+" "+c.Path()] && (a.public || request.WhoOf(c).Role.May(a.right))
}

// consoleSessions gives the console the server's sessions (console.Sessions).
type consoleSessions struct{ s *Server }

// Start starts a session of user and sets its cookie.
func (cs consoleSessions) Start(c echo.Context, user string) error {
	return cs.s.sessions.create(c.Response(), c.Request(), user)
}

// End revokes the request's session and clears its cookie.
func (cs consoleSessions) End(c echo.Context) error {
	return cs.s.sessions.end(c.Response(), c.Request())
}

// Who is who the request's session signed in as (zero when none).
func (cs consoleSessions) Who(c echo.Context) request.Who { return cs.s.sessionWho(c) }

// consoleThrottle gives the console the server's sign-in throttle
// (console.Throttle).
type consoleThrottle struct{ s *Server }

// Refuse answers 429 while the client must wait.
func (ct consoleThrottle) Refuse(c echo.Context) error { return ct.s.refuseIfThrottled(c) }

// Failed counts a wrong sign-in from the client.
func (ct consoleThrottle) Failed(c echo.Context) {
	ct.s.throttle.failed(request.ClientOf(c.Request()))
}
