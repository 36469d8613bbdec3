package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// lint answers the design's findings: unhandled events, idle apps,
// loops, broken flows.
func (s *Server) lint(c echo.Context) error {
	fs := s.eng.Lint()
	return c.JSON(http.StatusOK, map[string]any{"items": nonNil(fs)})
}

func (s *Server) getLayout(c echo.Context) error {
	l, err := s.loadLayout(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"positions": l})
}

// putLayout merges the positions sent ({"positions":{"app:Shop":{"x":1,
// "y":2}}}) into the saved ones; ?replace=true replaces them all.
func (s *Server) putLayout(c echo.Context) error {
	var body struct {
		Positions canvasLayout `json:"positions"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	l, err := s.saveLayout(c.Request().Context(), body.Positions, c.QueryParam("replace") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"positions": l})
}
