package request

import (
	"context"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
)

// Who is the caller a request was authorised as.
type Who struct {
	// Name is how the audit log names the caller.
	Name string
	// User is the signed-in user's name; "" for the admin token and for
	// machines.
	User string
	// Role is the person's role; "" for an app key or the metrics token.
	Role engine.Role
}

// whoKey is the echo context key of the request's Who.
const whoKey = "eventloom.who"

// SetWho records the caller the roles check let through, for the
// handlers that show or act on who is calling.
func SetWho(c echo.Context, w Who) { c.Set(whoKey, w) }

// WhoOf returns the request's caller (zero on a public route).
func WhoOf(c echo.Context) Who {
	w, _ := c.Get(whoKey).(Who)
	return w
}

// ActorAdminToken is how the audit log names the admin token's bearer
// (over the API, or signed in to the console with it).
const ActorAdminToken = "admin token"

// ActAs makes the rest of the request act as name, from the client's
// address, so the engine's audit entries say who did it.
func ActAs(c echo.Context, name string) {
	r := c.Request()
	c.SetRequest(r.WithContext(engine.WithActor(r.Context(), engine.Actor{Name: name, From: ClientOf(r)})))
}

// KeyActor names an app key's bearer by the key's public prefix, never
// the key.
func KeyActor(key string) string {
	const shown = len("elk_") + 6
	if len(key) > shown {
		key = key[:shown]
	}
	return "key " + key
}

// ClientOf is the address a request came from, without its port.
func ClientOf(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// callerKey is the context key of the app a request's API key belongs to.
type callerKey struct{}

// WithCaller is ctx carrying app as the request's caller: the app whose
// API key authorised it, which the engine checks owns what it triggers.
func WithCaller(ctx context.Context, app string) context.Context {
	return context.WithValue(ctx, callerKey{}, app)
}

// Caller is the app whose API key authorised the request; "" for a
// person or the admin token.
func Caller(ctx context.Context) string {
	app, _ := ctx.Value(callerKey{}).(string)
	return app
}
