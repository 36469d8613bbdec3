package web

import (
	"net/http"

	"github.com/eventloom/eventloom/web/console"
	"github.com/labstack/echo/v4"
)

// RouteAccess is one route the server serves, as tests walking every
// route see it.
type RouteAccess struct {
	Method, Path string
	// Listed: the access table has an entry; Public: that entry needs no
	// credentials.
	Listed, Public bool
}

// RouteAccesses lists every route of s (echo's not-found catch-alls
// left out) with its access entry.
func RouteAccesses(s *Server) []RouteAccess {
	var out []RouteAccess
	for _, r := range s.echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		a, ok := s.accessOf(r.Method, r.Path)
		out = append(out, RouteAccess{Method: r.Method, Path: r.Path, Listed: ok, Public: a.public})
	}
	return out
}

// AddUnlistedRoute serves a route the access table has no entry for, as
// a route added without thinking of who may call it would be.
func AddUnlistedRoute(s *Server, method, path string) {
	s.echo.Add(method, path, func(c echo.Context) error { return c.String(http.StatusOK, "reached") })
	s.registered[method+" "+path] = true
}

// TracePageSize lets the external tests page through a trace exactly.
const TracePageSize = console.TracePageSize

// AddFailingRoute serves GET path, open to anyone, answering err: the
// classifier tests reach the same error through the API and the console.
func AddFailingRoute(s *Server, path string, err error) {
	s.echo.GET(path, func(echo.Context) error { return err })
	s.registered["GET "+path] = true
	s.access["GET "+path] = access{public: true}
}
