package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/web/request"
)

// auditEntry is one entry on the wire.
type auditEntry = storage.AuditEntry

// listAudit answers GET /api/v1/audit: entries newest first, filtered by
// actor, action, target and time, paged by cursor.
func (s *API) listAudit(c echo.Context) error {
	q, err := request.ReadListQuery(c)
	if err != nil {
		return err
	}
	items, err := s.eng.Audit(c.Request().Context(), engine.AuditFilter{
		Actor: c.QueryParam("actor"), Action: c.QueryParam("action"), Target: c.QueryParam("target"),
		Since: q.Since, Until: q.Until, BeforeID: q.Cursor, Limit: q.Limit,
	})
	if err != nil {
		return err
	}
	p := page[auditEntry]{Items: request.NonNil(items)}
	if len(items) == q.Limit {
		p.NextCursor = request.Itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, p)
}
