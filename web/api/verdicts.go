package api

import (
	"net/http"

	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// getVerdicts answers GET /api/v1/occurrences/{id}/verdicts: for every
// app that might have handled the occurrence, what became of it and why.
func (s *API) getVerdicts(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	vs, err := s.eng.Verdicts(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"occurrenceId": id, "verdicts": request.NonNil(vs)})
}
