package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/request"
)

// access is who may call one route. Exactly one of public or right says
// who among people; appKey and metricsToken add narrow machine callers.
type access struct {
	// public routes need no credentials (sign-in, health, static files).
	public bool
	// right is what a person's role must hold (the admin token holds
	// every right).
	right engine.Right
	// ops, when set, overrides right by the route's :op parameter, for
	// routes whose last segment names the action (pause is operating,
	// delete is designing).
	ops map[string]engine.Right
	// appKey says whether an app key may call the route too, and how it
	// is checked.
	appKey keyRule
	// metricsToken lets the metrics token call it.
	metricsToken bool
}

// keyRule is how a route takes app keys.
type keyRule int

const (
	// keyNone: app keys are refused (401, as if no credentials came).
	keyNone keyRule = iota
	// keyOfApp: only a key of the route's :app (the handling app pulling
	// its deliveries); another app's key is refused here with 403.
	keyOfApp
	// keyAsCaller: any app's key, handed to the handler as the caller,
	// for routes whose engine verb checks the caller itself and reports
	// the refusal where it belongs (a trigger by another app than the
	// owner is refused by the engine and shown to live viewers).
	keyAsCaller
)

// accessTable is the one place that says who may call each route, by
// method and echo path ("*" as the method covers every method). A route
// missing here is refused to everyone with a message naming the missing
// entry, and TestEveryRouteHasAnAccessEntry fails for it.
func accessTable() map[string]access {
	public, reads, designs := access{public: true}, access{right: engine.RightRead}, access{right: engine.RightDesign}
	operates, admins := access{right: engine.RightOperate}, access{right: engine.RightAdmin}
	// triggers: an app key (the engine checks it is the owner's), or a
	// person who may trigger.
	triggers := access{right: engine.RightTrigger, appKey: keyAsCaller}
	// pulls: the handling app's key, or a person who operates.
	pulls := access{right: engine.RightOperate, appKey: keyOfApp}
	subOps := access{right: engine.RightDesign, ops: map[string]engine.Right{"pause": engine.RightOperate, "resume": engine.RightOperate}}
	return map[string]access{
		// Outside any sign-in.
		"GET /static/*": public, "GET /healthz": public, "GET /favicon.ico": public,
		"GET /signin": public, "POST /signin": public, "POST /signout": public,
		"* /api/v1/*": public, // the API's own 404, naming the route

		// Console pages read; forms change.
		"GET /": reads, "GET /overview": reads, "GET /designer/data": reads, "GET /designer/backlog": reads, "GET /designer/timeline": reads,
		"POST /designer/positions": designs,
		"GET /apps":                reads, "POST /apps": designs, "GET /apps/:app": reads, "POST /apps/:app": designs,
		"POST /apps/:app/delete": designs, "POST /apps/:app/keys": designs, "POST /apps/:app/keys/:id/revoke": designs,
		"GET /apps/:app/events/:event": reads, "POST /apps/:app/events/:event/trigger": {right: engine.RightTrigger},
		"POST /apps/:app/events/:event/delete": designs,
		"GET /apps/:app/events/new":            reads, "POST /apps/:app/events/new": designs,
		"GET /apps/:app/events/:event/edit": reads, "POST /apps/:app/events/:event/edit": designs,
		"GET /apps/:app/subscriptions/new": reads, "POST /apps/:app/subscriptions/new": designs,
		"GET /apps/:app/subscriptions/:ref/edit": reads, "POST /apps/:app/subscriptions/:ref/edit": designs,
		"POST /apps/:app/subscriptions/:ref/:op": subOps,
		"GET /occurrences/:id":                   reads, "GET /traces/:id": reads, "GET /history": reads, "GET /live": reads, "GET /audit": reads,
		"GET /occurrences/:id/verdicts": reads, "GET /design/versions": reads, "GET /design/diff": reads, "GET /reference": reads,
		"POST /apps/:app/secrets": designs,
		"GET /dead":               reads, "POST /dead/bulk": operates,
		"GET /bulk": operates, "POST /bulk": operates, "GET /bulk/jobs/:job": operates, "POST /bulk/jobs/:job/cancel": operates, "POST /deliveries/:id/:op": operates,
		"GET /users": admins, "POST /users": admins, "POST /users/:name": admins, "POST /users/:name/delete": admins,
		"POST /users/:name/tokens": admins, "POST /users/:name/tokens/:id/revoke": admins,

		"GET /metrics": {right: engine.RightAdmin, metricsToken: true},

		// REST API.
		"GET /api/v1/apps": reads, "POST /api/v1/apps": designs,
		"GET /api/v1/apps/:app": reads, "PATCH /api/v1/apps/:app": designs, "DELETE /api/v1/apps/:app": designs,
		"GET /api/v1/apps/:app/events": reads, "POST /api/v1/apps/:app/events": designs,
		"GET /api/v1/apps/:app/events/:event": reads, "PATCH /api/v1/apps/:app/events/:event": designs,
		"DELETE /api/v1/apps/:app/events/:event":               designs,
		"POST /api/v1/apps/:app/events/:event/trigger":         triggers,
		"POST /api/v1/apps/:app/events/:event/trigger\\:batch": triggers,
		"POST /api/v1/apps/:app/secrets":                       designs,
		"GET /api/v1/occurrences/:id/verdicts":                 reads,
		"GET /api/v1/design/versions":                          reads, "GET /api/v1/design/versions/:n": reads, "GET /api/v1/design/diff": reads,
		"GET /api/v1/design/asyncapi": reads, "GET /api/v1/openapi.json": public,
		"GET /api/v1/apps/:app/subscriptions":              reads,
		"POST /api/v1/apps/:app/subscriptions":             designs,
		"GET /api/v1/apps/:app/subscriptions/:ref":         reads,
		"PATCH /api/v1/apps/:app/subscriptions/:ref":       designs,
		"DELETE /api/v1/apps/:app/subscriptions/:ref":      designs,
		"POST /api/v1/apps/:app/subscriptions/:ref/pause":  operates,
		"POST /api/v1/apps/:app/subscriptions/:ref/resume": operates,
		// Pull delivery (the handling app's key).
		"POST /api/v1/apps/:app/subscriptions/:ref/receive": pulls,
		"POST /api/v1/apps/:app/subscriptions/:ref/ack":     pulls,
		"POST /api/v1/apps/:app/subscriptions/:ref/release": pulls,
		"POST /api/v1/apps/:app/subscriptions/:ref/reject":  pulls,
		"POST /api/v1/apps/:app/subscriptions/:ref/extend":  pulls,
		"GET /api/v1/apps/:app/keys":                        designs, "POST /api/v1/apps/:app/keys": designs, "DELETE /api/v1/apps/:app/keys/:id": designs,
		"GET /api/v1/occurrences": reads, "GET /api/v1/occurrences/:id": reads, "GET /api/v1/traces/:id": reads,
		"GET /api/v1/deliveries": reads, "GET /api/v1/deliveries/:id": reads,
		"POST /api/v1/deliveries/:id/retry": operates, "POST /api/v1/deliveries/:id/replay": operates,
		"POST /api/v1/deliveries/:id/discard": operates,
		"GET /api/v1/stats":                   reads, "GET /api/v1/stats/series": reads, "GET /stats/series": reads, "GET /api/v1/timeline": reads, "GET /api/v1/live": reads, "GET /api/v1/lint": reads,
		"POST /api/v1/replays": operates, "GET /api/v1/replays/:replay": operates, "DELETE /api/v1/replays/:replay": operates,
		"GET /api/v1/layout": reads, "PUT /api/v1/layout": designs,
		"GET /api/v1/design": reads, "PUT /api/v1/design": designs, "GET /api/v1/backup": admins,
		"GET /api/v1/audit": reads,
		"GET /api/v1/users": admins, "POST /api/v1/users": admins,
		"GET /api/v1/users/:name": admins, "PATCH /api/v1/users/:name": admins, "DELETE /api/v1/users/:name": admins,
		"GET /api/v1/users/:name/tokens": admins, "POST /api/v1/users/:name/tokens": admins,
		"DELETE /api/v1/users/:name/tokens/:id": admins,
		"GET /api/v1/alerts":                    reads, "GET /alerts": reads,
		"GET /api/v1/alerts/webhook": admins, "PUT /api/v1/alerts/webhook": admins, "DELETE /api/v1/alerts/webhook": admins,
	}
}

// accessOf returns the entry of a route: its method's, else its "*" one.
func (s *Server) accessOf(method, path string) (access, bool) {
	if a, ok := s.access[method+" "+path]; ok {
		return a, true
	}
	a, ok := s.access["* "+path]
	return a, ok
}

// authorize is the one check of who may call what: it finds the route's
// entry in the access table, identifies the caller (a console session, or
// a bearer token on the API and /metrics) and lets the request on only
// when the entry allows that caller. A route without an entry is refused.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		method, path := c.Request().Method, c.Path()
		if !s.registered[method+" "+path] {
			return next(c) // no such route: echo's own 404 or 405
		}
		a, ok := s.accessOf(method, path)
		if !ok {
			s.log.Error("route without an access entry", "method", method, "path", path)
			return &fault.Error{Kind: fault.ErrForbidden, Code: "route_not_in_access_table",
				Message: fmt.Sprintf("nobody may call %s %s: the route has no entry in the access table (web/roles.go accessTable); add one", method, path)}
		}
		if a.public {
			return next(c)
		}
		if path == "/metrics" || strings.HasPrefix(path, "/api/") {
			return s.authorizeBearer(c, a, next)
		}
		return s.authorizeSession(c, a, next)
	}
}

// authorizeSession lets a signed-in person on when the role allows; a
// signed-out browser goes to the sign-in page.
func (s *Server) authorizeSession(c echo.Context, a access, next echo.HandlerFunc) error {
	w, ok, err := s.signedIn(c)
	if err != nil {
		return err
	}
	if !ok {
		to := "/signin?next=" + url.QueryEscape(request.ReturnPath(c))
		if request.IsHTMX(c) {
			c.Response().Header().Set("HX-Redirect", to)
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, to)
	}
	return s.admit(c, a, w, next)
}

// admit records the caller and lets the request on when its role holds
// the right the route needs; otherwise the refusal names the role and
// what it may not do.
func (s *Server) admit(c echo.Context, a access, w request.Who, next echo.HandlerFunc) error {
	right := a.right
	if r, ok := a.ops[c.Param("op")]; ok {
		right = r
	}
	request.SetWho(c, w)
	request.ActAs(c, w.Name)
	if !w.Role.May(right) {
		return w.Role.Refusal(right)
	}
	return next(c)
}

// errNoCredentials is the API's 401.
var errNoCredentials = &fault.Error{Kind: fault.ErrUnauthorized, Code: "unauthorized", Message: "missing or wrong credentials: send 'Authorization: Bearer <token>' with a user's API token (an admin creates one with POST /api/v1/users/{name}/tokens) or the admin token (printed when the server first started, or EVENTLOOM_ADMIN_TOKEN)"}

// authorizeBearer identifies an API caller by its bearer token: a user
// token (the user's role), an app key (only where the entry allows app
// keys, and only for its own :app), the metrics token (only where
// allowed) or the admin token. Wrong tokens count toward the client's
// throttle; a throttled client is refused before any check is made.
func (s *Server) authorizeBearer(c echo.Context, a access, next echo.HandlerFunc) error {
	noCredentials := errNoCredentials
	if a.metricsToken {
		noCredentials = errNoMetricsCredentials
	}
	tok := bearer(c)
	if tok == "" {
		return noCredentials
	}
	if err := s.refuseIfThrottled(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if a.metricsToken && s.metricsToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.metricsToken)) == 1 {
		request.SetWho(c, request.Who{Name: "metrics token"})
		return next(c)
	}
	var w request.Who
	switch {
	case strings.HasPrefix(tok, "elu_"):
		u, err := s.eng.TokenUser(ctx, tok)
		if err != nil {
			return s.wrongToken(c, err)
		}
		w = request.Who{Name: u.Name, User: u.Name, Role: engine.Role(u.Role)}
	case strings.HasPrefix(tok, "elk_"):
		app, err := s.eng.KeyApp(ctx, tok)
		if err != nil {
			return s.wrongToken(c, err)
		}
		if a.appKey == keyNone { // a valid key where keys may not go counts as no guess
			return noCredentials
		}
		if want := c.Param("app"); a.appKey == keyOfApp && app != want {
			return &fault.Error{Kind: fault.ErrForbidden, Code: "not_owner",
				Message: fmt.Sprintf("this API key belongs to app %s; it may act only for %s, and this route is for app %s; use a key of %s", app, app, want, want)}
		}
		c.SetRequest(c.Request().WithContext(request.WithCaller(ctx, app)))
		request.SetWho(c, request.Who{Name: request.KeyActor(tok)})
		request.ActAs(c, request.KeyActor(tok))
		return next(c)
	default:
		ok, err := s.eng.CheckAdminToken(ctx, tok)
		if err != nil {
			return err
		}
		if !ok {
			s.throttle.failed(request.ClientOf(c.Request()))
			return noCredentials
		}
		w = request.Who{Name: request.ActorAdminToken, Role: engine.RoleAdmin}
	}
	return s.admit(c, a, w, next)
}

// wrongToken counts a refused token toward the throttle and passes the
// refusal on.
func (s *Server) wrongToken(c echo.Context, err error) error {
	if errors.Is(err, fault.ErrUnauthorized) {
		s.throttle.failed(request.ClientOf(c.Request()))
	}
	return err
}

// signedIn is who a request's console session signed in as, with the
// user's current role (a role change applies at the next request).
func (s *Server) signedIn(c echo.Context) (request.Who, bool, error) {
	user, ok, err := s.sessions.valid(c.Request())
	if err != nil || !ok {
		return request.Who{}, false, err
	}
	if user == "" {
		return request.Who{Name: request.ActorAdminToken, Role: engine.RoleAdmin}, true, nil
	}
	u, err := s.eng.User(c.Request().Context(), user)
	if errors.Is(err, fault.ErrNotFound) { // deleted since: its sessions went with it
		return request.Who{}, false, nil
	}
	if err != nil {
		return request.Who{}, false, err
	}
	return request.Who{Name: u.Name, User: u.Name, Role: engine.Role(u.Role)}, true, nil
}

// sessionWho is who a request's session signed in as, for pages outside
// authorize's sign-in check (the sign-in page, error pages); zero when
// none or when it cannot be told.
func (s *Server) sessionWho(c echo.Context) request.Who {
	w, _, _ := s.signedIn(c)
	return w
}
