package web

import (
	"net/http"

	"github.com/eventloom/eventloom/templates"
	"github.com/labstack/echo/v4"
)

// getVerdicts answers GET /api/v1/occurrences/{id}/verdicts: for every
// app that might have handled the occurrence, what became of it and why.
func (s *Server) getVerdicts(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	vs, err := s.eng.Verdicts(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"occurrenceId": id, "verdicts": nonNil(vs)})
}

// verdictsPage shows the verdicts of one occurrence; an htmx request (the
// trace's "Why (not) delivered?") gets the table alone.
func (s *Server) verdictsPage(c echo.Context) error {
	id, err := pathID(c)
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
