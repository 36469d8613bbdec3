package console

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/templates"
)

// webhookProps reads what the app page shows about app's webhooks.
func (s *Console) webhookProps(c echo.Context, app string) (templates.AppWebhook, error) {
	sec, err := s.eng.Secret(c.Request().Context(), app)
	if err != nil {
		return templates.AppWebhook{}, err
	}
	return templates.AppWebhook{
		Failures: s.eng.EndpointFailures(app), PauseAfter: s.eng.Config().EndpointPauseAfter,
		SecretAt: sec.RotatedAt, PreviousValidUntil: sec.PreviousValidUntil,
	}, nil
}

// secretRotate is the app page's signing secret button: it creates or
// rotates the secret and renders the page with it shown this once (never
// redirected, so the secret never travels in a URL).
func (s *Console) secretRotate(c echo.Context) error {
	app := c.Param("app")
	sec, err := s.eng.RotateSecret(c.Request().Context(), app)
	if err != nil {
		return err
	}
	a, err := s.eng.App(app)
	if err != nil {
		return err
	}
	p, err := s.appProps(c, a)
	if err != nil {
		return err
	}
	p.Webhook.NewSecret = sec.Secret
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, templates.AppPage(s.page(c, a.Name, "apps"), p), nil)
}
