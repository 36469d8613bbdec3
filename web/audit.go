package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/templates"
)

// actorAdminToken is how the audit log names the admin token's bearer
// (over the API, or signed in to the console with it).
const actorAdminToken = "admin token"

// actAs makes the rest of the request act as name, from the client's
// address, so the engine's audit entries say who did it.
func actAs(c echo.Context, name string) {
	r := c.Request()
	c.SetRequest(r.WithContext(engine.WithActor(r.Context(), engine.Actor{Name: name, From: clientOf(r)})))
}

// keyActor names an app key's bearer by the key's public prefix, never
// the key.
func keyActor(key string) string {
	const shown = len("elk_") + 6
	if len(key) > shown {
		key = key[:shown]
	}
	return "key " + key
}

// auditEntry is one entry on the wire.
type auditEntry = storage.AuditEntry

// listAudit answers GET /api/v1/audit: entries newest first, filtered by
// actor, action, target and time, paged by cursor.
func (s *Server) listAudit(c echo.Context) error {
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	items, err := s.eng.Audit(c.Request().Context(), engine.AuditFilter{
		Actor: c.QueryParam("actor"), Action: c.QueryParam("action"), Target: c.QueryParam("target"),
		Since: q.since, Until: q.until, BeforeID: q.cursor, Limit: q.limit,
	})
	if err != nil {
		return err
	}
	p := page[auditEntry]{Items: nonNil(items)}
	if len(items) == q.limit {
		p.NextCursor = itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, p)
}

// auditPage is the console's view of the audit log, 50 entries a page.
func (s *Server) auditPage(c echo.Context) error {
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
