package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/templates"
)

// alertsPage lists the alerts newest first, paged like the API.
func (s *Server) alertsPage(c echo.Context) error {
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	p := templates.AlertsProps{Alerts: s.eng.Alerts(q.cursor, q.limit)}
	if p.Webhook, err = s.eng.AlertWebhookURL(c.Request().Context()); err != nil {
		return err
	}
	if n := len(p.Alerts); n > 0 && n == q.limit {
		p.Older = url.Values{"cursor": {itoa(p.Alerts[n-1].ID)}}.Encode()
	}
	return s.render(c, http.StatusOK, templates.AlertsPage(s.page(c, "Alerts", "alerts"), p), nil)
}
