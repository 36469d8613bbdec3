package console

import (
	"net/http"

	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// verdictsPage shows the verdicts of one occurrence; an htmx request (the
// trace's "Why (not) delivered?") gets the table alone.
func (s *Console) verdictsPage(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	o, err := s.eng.Occurrence(ctx, id)
	if err != nil {
		return err
	}
	vs, err := s.eng.Verdicts(ctx, id)
	if err != nil {
		return err
	}
	rows := make([]templates.VerdictRow, len(vs))
	for i, v := range vs {
		rows[i] = templates.VerdictRow{App: v.App, Verdict: string(v.Verdict), Reason: v.Reason, DeliveryID: v.DeliveryID}
	}
	return s.render(c, http.StatusOK, templates.VerdictsPage(s.page(c, "Why (not) delivered", ""), o, rows), templates.Verdicts(rows))
}
