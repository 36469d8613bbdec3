package request

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// IsHTMX reports whether htmx sent the request (it wants a fragment, and
// a redirect must be told to it by the HX-Redirect header).
func IsHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true"
}

// ReturnPath is where sign-in leads back to: the page the person was on.
// A GET is that page; an htmx request or a form post is not, so the page
// comes from HX-Current-URL or the Referer when they are this server's.
func ReturnPath(c echo.Context) string {
	r := c.Request()
	if r.Method == http.MethodGet && !IsHTMX(c) {
		return r.URL.RequestURI()
	}
	for _, h := range []string{"HX-Current-URL", "Referer"} {
		if u, err := url.Parse(r.Header.Get(h)); err == nil && u.Host == r.Host && u.Path != "" {
			return u.RequestURI()
		}
	}
	return "/"
}
