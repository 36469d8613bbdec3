package web

import (
	"net/http"
	"strconv"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/labstack/echo/v4"
)

// listDesignVersions answers GET /api/v1/design/versions, newest first,
// paged by cursor (the last version of the page before).
func (s *Server) listDesignVersions(c echo.Context) error {
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	vs, err := s.eng.DesignVersions(c.Request().Context(), q.cursor, q.limit)
	if err != nil {
		return err
	}
	body := map[string]any{"items": nonNil(vs)}
	if len(vs) == q.limit {
		body["nextCursor"] = itoa(vs[len(vs)-1].Version)
	}
	return c.JSON(http.StatusOK, body)
}

// getDesignVersion answers GET /api/v1/design/versions/{n}: who, when,
// what, and the design document as it was.
func (s *Server) getDesignVersion(c echo.Context) error {
	n, err := versionParam(c.Param("n"), "n")
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
func (s *Server) designDiff(c echo.Context) error {
	from, to, err := diffRange(c)
	if err != nil {
		return err
	}
	d, err := s.eng.DesignDiff(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"from": from, "to": to, "changes": nonNil(d)})
}

func diffRange(c echo.Context) (from, to int64, err error) {
	if c.QueryParam("from") == "" {
		return 0, 0, &httperr.BadRequest{Code: "required", Field: "from", Message: "from names the version to compare from, e.g. ?from=3&to=7 (to defaults to the current design)"}
	}
	if from, err = versionParam(c.QueryParam("from"), "from"); err != nil {
		return 0, 0, err
	}
	if v := c.QueryParam("to"); v != "" {
		if to, err = versionParam(v, "to"); err != nil {
			return 0, 0, err
		}
	}
	return from, to, nil
}

func versionParam(v, name string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, &httperr.BadRequest{Code: "bad_query", Field: name, Message: name + " must be a design version number (1 or more); got " + strconv.Quote(v)}
	}
	return n, nil
}

// versionsPage lists the design's versions, 50 a page, each with a link
// to its diff with the one before and a form to compare any two.
func (s *Server) versionsPage(c echo.Context) error {
	cursor, _ := strconv.ParseInt(c.QueryParam("cursor"), 10, 64)
	const pageSize = 50
	vs, err := s.eng.DesignVersions(c.Request().Context(), cursor, pageSize)
	if err != nil {
		return err
	}
	p := templates.VersionsProps{Versions: vs}
	if len(vs) == pageSize {
		p.Older = "?cursor=" + itoa(vs[len(vs)-1].Version)
	}
	return s.render(c, http.StatusOK, templates.Versions(s.page(c, "Design versions", "versions"), p), nil)
}

// diffPage shows what changed between two versions, breaking changes
// first in colour with the subscriptions they break.
func (s *Server) diffPage(c echo.Context) error {
	from, to, err := diffRange(c)
	if err != nil {
		return err
	}
	d, err := s.eng.DesignDiff(c.Request().Context(), from, to)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.Diff(s.page(c, "Design diff", "versions"), templates.DiffProps{From: from, To: to, Changes: diffRows(d)}), nil)
}

func diffRows(d []engine.DiffEntry) []templates.DiffRow {
	out := make([]templates.DiffRow, len(d))
	for i, x := range d {
		out[i] = templates.DiffRow{Action: x.Action, Kind: x.Kind, Name: x.Name, Details: x.Details, Breaking: x.Breaking, Breaks: x.Breaks}
	}
	return out
}
