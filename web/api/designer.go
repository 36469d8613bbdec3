package api

import (
	"net/http"

	"github.com/eventloom/eventloom/web/canvas"
	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// lint answers the design's findings: unhandled events, idle apps,
// loops, broken flows.
func (s *API) lint(c echo.Context) error {
	fs := s.eng.Lint()
	return c.JSON(http.StatusOK, map[string]any{"items": request.NonNil(fs)})
}

func (s *API) getLayout(c echo.Context) error {
	l, err := canvas.Load(c.Request().Context(), s.eng)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"positions": l})
}

// putLayout merges the positions sent ({"positions":{"app:Shop":{"x":1,
// "y":2}}}) into the saved ones; ?replace=true replaces them all.
func (s *API) putLayout(c echo.Context) error {
	var body struct {
		Positions canvas.Layout `json:"positions"`
	}
	if err := request.Decode(c, s.maxBody, &body); err != nil {
		return err
	}
	l, err := canvas.Save(c.Request().Context(), s.eng, body.Positions, c.QueryParam("replace") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"positions": l})
}
