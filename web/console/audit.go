package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/templates"
)

// auditPage is the console's view of the audit log, 50 entries a page.
func (s *Console) auditPage(c echo.Context) error {
	q := c.QueryParams()
	f := templates.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Since: q.Get("since"), Until: q.Get("until"), Zone: q.Get(templates.ZoneField)}
	a := templates.AuditProps{Filter: f, Errors: templates.FieldErrors{}}
	since, until := timeWindow(f.Zone, f.Since, f.Until, a.Errors)
	cursor, _ := strconv.ParseInt(q.Get("cursor"), 10, 64)
	const pageSize = 50
	status := http.StatusOK
	if len(a.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		var err error
		a.Entries, err = s.eng.Audit(c.Request().Context(), engine.AuditFilter{Actor: f.Actor, Action: f.Action, Target: f.Target, Since: since, Until: until, BeforeID: cursor, Limit: pageSize})
		if err != nil {
			return err
		}
		if len(a.Entries) == pageSize {
			a.Older = olderQuery(q, a.Entries[len(a.Entries)-1].ID)
		}
	}
	return s.render(c, status, templates.Audit(s.page(c, "Audit log", "audit"), a), nil)
}
