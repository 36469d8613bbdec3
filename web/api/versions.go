package api

import (
	"net/http"

	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// listDesignVersions answers GET /api/v1/design/versions, newest first,
// paged by cursor (the last version of the page before).
func (s *API) listDesignVersions(c echo.Context) error {
	q, err := request.ReadListQuery(c)
	if err != nil {
		return err
	}
	vs, err := s.eng.DesignVersions(c.Request().Context(), q.Cursor, q.Limit)
	if err != nil {
		return err
	}
	body := map[string]any{"items": request.NonNil(vs)}
	if len(vs) == q.Limit {
		body["nextCursor"] = request.Itoa(vs[len(vs)-1].Version)
	}
	return c.JSON(http.StatusOK, body)
}

// getDesignVersion answers GET /api/v1/design/versions/{n}: who, when,
// what, and the design document as it was.
func (s *API) getDesignVersion(c echo.Context) error {
	n, err := request.Version(c.Param("n"), "n")
	if err != nil {
		return err
	}
	v, d, err := s.eng.DesignVersion(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"version": v.Version, "at": v.At, "actor": v.Actor, "summary": v.Summary, "design": d})
}

// designDiff answers GET /api/v1/design/diff?from=&to= (to: the current
// design when absent).
func (s *API) designDiff(c echo.Context) error {
	from, to, d, err := request.VersionDiff(c, s.eng.DesignDiff)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"from": from, "to": to, "changes": request.NonNil(d)})
}
