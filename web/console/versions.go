package console

import (
	"net/http"
	"strconv"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// versionsPage lists the design's versions, 50 a page, each with a link
// to its diff with the one before and a form to compare any two.
func (s *Console) versionsPage(c echo.Context) error {
	cursor, _ := strconv.ParseInt(c.QueryParam("cursor"), 10, 64)
	const pageSize = 50
	vs, err := s.eng.DesignVersions(c.Request().Context(), cursor, pageSize)
	if err != nil {
		return err
	}
	p := templates.VersionsProps{Versions: vs}
	if len(vs) == pageSize {
		p.Older = "?cursor=" + request.Itoa(vs[len(vs)-1].Version)
	}
	return s.render(c, http.StatusOK, templates.Versions(s.page(c, "Design versions", "versions"), p), nil)
}

// diffPage shows what changed between two versions, breaking changes
// first in colour with the subscriptions they break.
func (s *Console) diffPage(c echo.Context) error {
	from, to, d, err := request.VersionDiff(c, s.eng.DesignDiff)
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
