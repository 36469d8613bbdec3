package console

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/request"
)

// alertsPage lists the alerts newest first, paged like the API.
func (s *Console) alertsPage(c echo.Context) error {
	q, err := request.ReadListQuery(c)
	if err != nil {
		return err
	}
	p := templates.AlertsProps{Alerts: s.eng.Alerts(q.Cursor, q.Limit)}
	if p.Webhook, err = s.eng.AlertWebhookURL(c.Request().Context()); err != nil {
		return err
	}
	if n := len(p.Alerts); n > 0 && n == q.Limit {
		p.Older = url.Values{"cursor": {request.Itoa(p.Alerts[n-1].ID)}}.Encode()
	}
	return s.render(c, http.StatusOK, templates.AlertsPage(s.page(c, "Alerts", "alerts"), p), nil)
}
