package web_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestBrowserEveryPageAtTwoSizes opens every console page of the demo
// design, with a finished chain and a dead letter in it, at 1400x900 and
// at 800 px wide, and saves each as an artifact to look at (the page's
// errors fail the test as everywhere). At 800 px no page but the
// designer's canvas may scroll sideways.
func TestBrowserEveryPageAtTwoSizes(t *testing.T) {
	s := newAPIServer(t, engine.Config{MaxRetries: -1, Rand: func() float64 { return 0.5 }})
	d, err := demo.Design()
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(d)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, string(doc)); code != 200 {
		t.Fatalf("import demo = %d %v", code, body)
	}
	// Over 5,000: FraudDetection fails, and with no retries it is dead.
	code, body, _ := s.call("POST", "/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger", adminToken,
		`{"ProductId":"P-9","Quantity":1,"CustomerEmail":"ann@example.com","Amount":7500}`)
	if code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	trace := strconv.FormatInt(int64(body["traceId"].(float64)), 10)
	occ := strconv.FormatInt(int64(body["occurrenceId"].(float64)), 10)
	waitNote(t, s, notify.DeliveryDead)

	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	pages := []struct{ name, path, ready string }{
		{"designer", "/", `[data-testid="canvas"]`},
		{"overview", "/overview", `[data-testid="count-apps"]`},
		{"apps", "/apps", `[data-testid="create-app"]`},
		{"app", "/apps/Storefront", `[data-testid="app-events"]`},
		{"event", "/apps/Storefront/events/OnPurchaseStarted", `[data-testid="trigger-form"]`},
		{"event-editor", "/apps/Storefront/events/OnPurchaseStarted/edit", `[data-testid="event-editor"]`},
		{"subscription-editor", "/apps/Inventory/subscriptions/Storefront.OnPurchaseStarted/edit", `[data-testid="subscription-editor"]`},
		{"history", "/history", `[data-testid="history-filter"]`},
		{"occurrence", "/occurrences/" + occ, `[data-testid="trace-tree"]`},
		{"trace", "/traces/" + trace, `[data-testid="trace-tree"]`},
		{"dead-letters", "/dead", `h1`},
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"1400", 1400, 900}, {"800", 800, 900}} {
		do(t, ctx, "window "+size.name, chromedp.EmulateViewport(size.w, size.h))
		for _, pg := range pages {
			do(t, ctx, pg.name+" at "+size.name, chromedp.Navigate(s.url+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
			if pg.name == "designer" {
				waitJS(t, ctx, "window.__eventloomTest?.designer?.ready")
			} else if size.w == 800 {
				over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if over > 0 {
					t.Errorf("%s scrolls sideways by %d px in an 800 px window", pg.path, over)
				}
			}
			screenshot(t, ctx, "page-"+pg.name+"-"+size.name)
		}
	}
}
