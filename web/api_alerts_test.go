package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/eventloom/eventloom/engine"
)

// failingDesign is Shop's OrderPlaced handled by Stock with a flow that
// always fails, so with no retries its delivery dies at once.
const failingDesign = `{
 "apps":[{"name":"Shop"},{"name":"Stock"}],
 "events":[{"app":"Shop","name":"OrderPlaced","public":true,"parameters":[{"name":"Sku","type":"Text","mandatory":true}]}],
 "subscriptions":[{"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"flow","steps":[{"type":"fail","message":"out of stock"}]}}]}`

// waitAlert waits on the engine's signal until it keeps an alert.
func waitAlert(t *testing.T, eng *engine.Engine) engine.Alert {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		changed := eng.AlertsChanged()
		if got := eng.Alerts(0, 1); len(got) == 1 {
			return got[0]
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatal("no alert within 30s")
		}
	}
}

// TestAPIAlerts: a dead delivery's alert is listed by GET /api/v1/alerts
// and on the console's alerts page, counted by the nav's badge; the
// alert webhook is set with its secret shown once, read back without it,
// refused with a clear error for a bad URL, and removed.
func TestAPIAlerts(t *testing.T) {
	s, c := pagesServer(t, engine.Config{MaxRetries: -1}, failingDesign)
	if code, body, _ := s.call("GET", "/api/v1/alerts", adminToken, ""); code != 200 || mustJSONString(body["items"]) != `[]` {
		t.Fatalf("alerts before any = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A"}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	a := waitAlert(t, s.eng)
	code, body, _ := s.call("GET", "/api/v1/alerts?limit=1", adminToken, "")
	items, _ := body["items"].([]any)
	if code != 200 || len(items) != 1 || body["nextCursor"] != "1" {
		t.Fatalf("alerts = %d %v", code, body)
	}
	got := items[0].(map[string]any)
	if got["kind"] != "delivery_dead" || got["app"] != "Stock" || got["event"] != "Shop.OrderPlaced" || got["deliveryId"] != float64(a.DeliveryID) ||
		!strings.Contains(got["message"].(string), "out of stock") {
		t.Fatalf("alert = %v", got)
	}
	if code, body, _ := s.call("GET", "/api/v1/alerts?cursor=1", adminToken, ""); code != 200 || mustJSONString(body["items"]) != `[]` {
		t.Fatalf("the page after the only alert = %d %v", code, body)
	}

	resp, doc := c.send("GET", "/alerts", nil, nil)
	row := doc.Find(`[data-testid="alert-1"][data-kind="delivery_dead"]`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(row.Find(`[data-testid="alert-message"]`).Text(), "out of stock") ||
		strings.TrimSpace(doc.Find(`[data-testid="alerts-badge"]`).Text()) != "1" {
		t.Fatalf("alerts page = %d: row %q, badge %q", resp.StatusCode, row.Text(), doc.Find(`[data-testid="alerts-badge"]`).Text())
	}

	code, body, _ = s.call("PUT", "/api/v1/alerts/webhook", adminToken, `{"url":"not a url"}`)
	if e, _ := body["error"].(map[string]any); code != 422 || e["field"] != "url" || !strings.Contains(e["message"].(string), "https://") {
		t.Fatalf("a bad alert webhook = %d %v", code, body)
	}
	code, body, _ = s.call("PUT", "/api/v1/alerts/webhook", adminToken, `{"url":"https://ops.example.com/alerts"}`)
	if secret, _ := body["secret"].(string); code != 200 || !strings.HasPrefix(secret, "whsec_") || body["url"] != "https://ops.example.com/alerts" {
		t.Fatalf("set alert webhook = %d %v", code, body)
	}
	if code, body, _ := s.call("GET", "/api/v1/alerts/webhook", adminToken, ""); code != 200 || body["url"] != "https://ops.example.com/alerts" || body["secret"] != nil {
		t.Fatalf("read alert webhook = %d %v (the secret is shown once)", code, body)
	}
	if _, doc := c.send("GET", "/alerts", nil, nil); doc.Find(`[data-testid="alert-webhook"]`).Text() != "https://ops.example.com/alerts" {
		t.Fatal("the alerts page does not say where alerts go")
	}
	if code, _, _ := s.call("DELETE", "/api/v1/alerts/webhook", adminToken, ""); code != 204 {
		t.Fatalf("remove alert webhook = %d", code)
	}
	if _, body, _ := s.call("GET", "/api/v1/alerts/webhook", adminToken, ""); body["url"] != "" {
		t.Fatalf("after removal: %v", body)
	}
}

// TestBrowserAlertsPageListsADeadDelivery: a delivery that dies shows on
// the alerts page, reached from the nav whose badge counts it.
func TestBrowserAlertsPageListsADeadDelivery(t *testing.T) {
	s := newAPIServer(t, engine.Config{MaxRetries: -1})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, failingDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A"}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	waitAlert(t, s.eng)
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "open the alerts from the nav",
		chromedp.Navigate(s.url+"/history"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="alerts-badge"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="alerts"] tr[data-kind="delivery_dead"]`)))
	if got := text(t, ctx, `[data-testid="alerts"] tr[data-kind="delivery_dead"] [data-testid="alert-message"]`); !strings.Contains(got, "Shop.OrderPlaced to Stock is dead") || !strings.Contains(got, "out of stock") {
		t.Fatalf("the alert reads %q", got)
	}
	screenshot(t, ctx, "alerts")
}
