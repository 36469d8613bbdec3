package api

import (
	"net/http"

	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// alertRoutes serve the alerts and the alert webhook's setting.
func (s *API) alertRoutes(api *echo.Group) {
	api.GET("/alerts", s.listAlerts)
	api.GET("/alerts/webhook", s.getAlertWebhook)
	api.PUT("/alerts/webhook", s.putAlertWebhook)
	api.DELETE("/alerts/webhook", s.deleteAlertWebhook)
}

// listAlerts answers GET /api/v1/alerts: the kept alerts newest first,
// paged by id.
func (s *API) listAlerts(c echo.Context) error {
	q, err := request.ReadListQuery(c)
	if err != nil {
		return err
	}
	items := s.eng.Alerts(q.Cursor, q.Limit)
	body := map[string]any{"items": items}
	if len(items) == q.Limit {
		body["nextCursor"] = request.Itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, body)
}

func (s *API) getAlertWebhook(c echo.Context) error {
	u, err := s.eng.AlertWebhookURL(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"url": u})
}

// putAlertWebhook sets the alert webhook; the answer carries its signing
// secret, the only time it is shown.
func (s *API) putAlertWebhook(c echo.Context) error {
	var b struct {
		URL string `json:"url"`
	}
	if err := request.Decode(c, s.maxBody, &b); err != nil {
		return err
	}
	w, err := s.eng.SetAlertWebhook(c.Request().Context(), b.URL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (s *API) deleteAlertWebhook(c echo.Context) error {
	if err := s.eng.RemoveAlertWebhook(c.Request().Context()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
