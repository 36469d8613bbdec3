package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
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

// consoleTitle is the heading of an error page of status.
func consoleTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusBadRequest:
		return "Bad request"
	case http.StatusInternalServerError:
		return "Something went wrong"
	}
	return "Error"
}

// WriteErrorPage answers a console request that failed: JSON for the
// page's own scripts, a notice in the layout's errors region for htmx,
// and otherwise a full page (404, the refusal's message, or a request id).
func (s *Console) WriteErrorPage(c echo.Context, err error) error {
	if wantsJSON(c) {
		return s.writeError(c, err)
	}
	f := httperr.Resolve(c, s.log, "request failed", err)
	if request.IsHTMX(c) {
		h := c.Response().Header()
		h.Set("HX-Retarget", errorsRegionOf(c))
		h.Set("HX-Reswap", "innerHTML")
		// The request may select part of a page (the side panel does):
		// the notice is what to take from this answer.
		h.Set("HX-Reselect", `[data-testid="error-notice"]`)
		notice := templates.ErrorNotice(f.Message, f.RequestID)
		return s.render(c, f.Status, notice, notice)
	}
	title := consoleTitle(f.Status)
	p := s.page(c, title, "")
	if f.Internal {
		return s.render(c, f.Status, templates.ServerError(p, f.RequestID), nil)
	}
	return s.render(c, f.Status, templates.ErrorPage(p, title, f.Message), nil)
}

// wantsJSON reports whether a console request comes from the page's own
// script (fetch with Accept: application/json) rather than navigation.
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// writeError answers err as JSON, for the page's own scripts, with the
// status httperr gives it; an error that is not a refusal is logged with
// a request id and answered with a generic 500 naming only the id.
func (s *Console) writeError(c echo.Context, err error) error {
	return httperr.WriteJSON(c, s.log, err)
}
