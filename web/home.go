package web

import (
	"html"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// homePage is what the printed URL shows until the console lands: where
// the API is and how to call it.
const homePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eventloom</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1f2937}code,pre{background:#f3f4f6;border-radius:4px;padding:.1rem .3rem}pre{padding:.8rem;overflow:auto}</style>
</head><body>
<h1>Eventloom is running</h1>
<p>The REST API is under <code>/api/v1</code>. Every call takes the admin token printed when the server first started:</p>
<pre>export EVENTLOOM_ADMIN_TOKEN=ela_...
curl -H "Authorization: Bearer $EVENTLOOM_ADMIN_TOKEN" http://HOST/api/v1/apps
curl -X POST -H "Authorization: Bearer $EVENTLOOM_ADMIN_TOKEN" \
  -d '{"ProductId":"P-1","Quantity":2,"CustomerEmail":"ann@example.com","Amount":99.5}' \
  http://HOST/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger</pre>
<p>The README lists every route. The browser console arrives with the next release.</p>
</body></html>`

func (s *Server) home(c echo.Context) error {
	return c.HTML(http.StatusOK, strings.ReplaceAll(homePage, "HOST", html.EscapeString(c.Request().Host)))
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
