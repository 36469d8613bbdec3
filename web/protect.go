package web

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// signInBodyBytes bounds the body of the sign-in and sign-out forms: a
// token, a return path and a CSRF-free form need far less than this, and
// anyone may send them, so nothing larger is read.
const signInBodyBytes = 16 << 10

// contentSecurityPolicy is every page's CSP: scripts, styles, fonts and
// connections (the live websocket included) only from this server; inline
// style attributes allowed (templates colour app dots and bars with them);
// images may be data: or blob: URLs (the designer's PNG/SVG export); no
// page may be framed, no form may post elsewhere.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders marks every response: no MIME sniffing, no framing (the
// console must not be clickjacked), the CSP above, and no referrer sent
// to other origins.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

// guardBody reads at most what a route needs before anything parses it.
// No route takes multipart bodies, so they are refused unread (a parser
// would otherwise spool their parts to memory and disk); every body is
// capped (the sign-in's at signInBodyBytes, the rest at the server's
// MaxBodyBytes); a console form is parsed here, so an oversized one is a
// clear 413 instead of fields that silently read as empty.
func (s *Server) guardBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			return next(c)
		}
		ctype, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if strings.HasPrefix(ctype, "multipart/") {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "multipart bodies are not accepted; send application/x-www-form-urlencoded (the console's forms) or JSON (the API)")
		}
		limit := s.maxBody
		if r.URL.Path == "/signin" || r.URL.Path == "/signout" {
			limit = signInBodyBytes
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		if ctype == "application/x-www-form-urlencoded" && !strings.HasPrefix(r.URL.Path, "/api/") {
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the form is over the limit of "+request.Itoa(limit)+" bytes; send less")
				}
				return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read: "+err.Error())
			}
		}
		return next(c)
	}
}
