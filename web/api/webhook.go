package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// rotateSecret creates or rotates an app's webhook signing secret and
// answers it, the only time it is ever shown; no-store keeps it out of
// caches between here and the caller.
func (s *API) rotateSecret(c echo.Context) error {
	sec, err := s.eng.RotateSecret(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, sec)
}
