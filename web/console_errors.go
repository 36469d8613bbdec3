package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
)

// errorsRegion is the layout's region where an htmx request's failure is
// shown. htmx 4 swaps 4xx and 5xx answers like any other, so without a
// retarget a whole error page would land inside the form or the trace
// being refreshed.
const errorsRegion = "#console-errors"

// sideErrorsRegion is the designer's side panel's own errors region: a
// request made from the panel (its htmx target is the panel's body) shows
// its failure there, next to the form that failed.
const sideErrorsRegion = "#side-errors"

// errorsRegionOf is where an htmx request's failure goes.
func errorsRegionOf(c echo.Context) string {
	if strings.HasSuffix(c.Request().Header.Get("HX-Target"), "#side-body") {
		return sideErrorsRegion
	}
	return errorsRegion
}

// consoleFailure is what the console tells a person about a failed request:
// the status, a title, and either a refusal's own message or, for an error
// nobody can act on, only a request id.
type consoleFailure struct {
	status         int
	title, message string
	requestID      string
}

// failure classifies err; the one place a console error becomes words. An
// unknown error is logged with its request id and never shown.
func (s *Server) failure(c echo.Context, err error) consoleFailure {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Code == http.StatusNotFound {
			return consoleFailure{status: http.StatusNotFound, title: "Not found", message: "There is no page at " + c.Request().URL.Path + "."}
		}
		msg, _ := he.Message.(string)
		if msg == "" {
			msg = http.StatusText(he.Code)
		}
		return consoleFailure{status: he.Code, title: "Error", message: msg}
	}
	var br *badRequest
	if errors.As(err, &br) {
		return consoleFailure{status: http.StatusBadRequest, title: "Bad request", message: br.message}
	}
	if all := fault.All(err); len(all) > 0 {
		f := consoleFailure{status: statusOf(all[0].Kind), title: "Error", message: all[0].Message}
		if f.status == http.StatusNotFound {
			f.title = "Not found"
		}
		return f
	}
	id := c.Response().Header().Get(echo.HeaderXRequestID)
	s.log.Error("request failed", "request_id", id, "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	return consoleFailure{status: http.StatusInternalServerError, title: "Something went wrong", requestID: id}
}

// writeErrorPage answers a console request that failed: JSON for the
// page's own scripts, a notice in the layout's errors region for htmx,
// and otherwise a full page (404, the refusal's message, or a request id).
func (s *Server) writeErrorPage(c echo.Context, err error) error {
	if wantsJSON(c) {
		return s.writeError(c, err)
	}
	f := s.failure(c, err)
	if isHTMX(c) {
		h := c.Response().Header()
		h.Set("HX-Retarget", errorsRegionOf(c))
		h.Set("HX-Reswap", "innerHTML")
		// The request may select part of a page (the side panel does):
		// the notice is what to take from this answer.
		h.Set("HX-Reselect", `[data-testid="error-notice"]`)
		notice := templates.ErrorNotice(f.message, f.requestID)
		return s.render(c, f.status, notice, notice)
	}
	p := s.page(c, f.title, "")
	if f.requestID != "" {
		return s.render(c, f.status, templates.ServerError(p, f.requestID), nil)
	}
	return s.render(c, f.status, templates.ErrorPage(p, f.title, f.message), nil)
}

// isHTMX reports whether htmx sent the request (it wants a fragment).
func isHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true"
}

// wantsJSON reports whether a console request comes from the page's own
// script (fetch with Accept: application/json) rather than navigation.
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}
