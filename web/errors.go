package web

import (
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/web/httperr"
)

// writeError answers err as JSON with the status httperr gives it. An
// error that is not a refusal is logged with a request id and answered
// with a generic 500 that names only the id.
func (s *Server) writeError(c echo.Context, err error) error {
	return httperr.WriteJSON(c, s.log, err)
}
