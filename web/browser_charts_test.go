package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
)

// board is the JS expression of a chart board's data attributes.
const board = `document.querySelector('[data-testid="%s"]').dataset`

// TestBrowserChartsMoveUnderLoad opens the overview, runs a load of
// triggers over the API and waits until the charts' totals move (the
// board's data attributes, set from the data the charts draw); the day
// toggle redraws with the same load in it; the event's and the app's
// sparklines count that event's and that app's share.
func TestBrowserChartsMoveUnderLoad(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "overview", chromedp.Navigate(s.url+"/overview"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="charts"]`)))
	charts := fmt.Sprintf(board, "charts")
	waitJS(t, ctx, charts+`.updates >= 1 && document.querySelectorAll('[data-testid="charts"] .uplot').length === 5`)
	if got := attr(t, ctx, `[data-testid="charts"]`, "data-total-accepted"); got != "0" {
		t.Fatalf("before the load the charts count %s triggers, want 0", got)
	}

	const load = 20
	for i := range load {
		if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A","Qty":1}`); code != 202 {
			t.Fatalf("trigger %d = %d %v", i+1, code, body)
		}
	}
	// Each OrderPlaced is handled by Stock, whose flow triggers a
	// Stock.Reserved that Mail handles: 40 triggers and 40 successes.
	waitJS(t, ctx, charts+`.totalAccepted === "40" && `+charts+`.totalSucceeded === "40" && `+charts+`.totalFailures === "0"`)
	if got := text(t, ctx, `[data-testid="chart-value-deliveries"]`); got != "40 succeeded, 0 failed, 0 dead" {
		t.Fatalf("the attempts chart says %q, want 40 succeeded, 0 failed, 0 dead", got)
	}
	screenshot(t, ctx, "overview-charts")

	do(t, ctx, "day window", chromedp.Click(chromedp.CSS(`[data-testid="chart-window-24h"]`)))
	waitJS(t, ctx, charts+`.window === "24h" && `+charts+`.totalAccepted === "40" && document.querySelectorAll('[data-testid="charts"] .uplot').length === 5`)

	sparks := fmt.Sprintf(board, "sparklines")
	do(t, ctx, "event page", chromedp.Navigate(s.url+"/apps/Shop/events/OrderPlaced"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="sparklines"]`)))
	waitJS(t, ctx, sparks+`.totalAccepted === "20" && `+sparks+`.totalSucceeded === "20" && document.querySelectorAll('[data-testid="sparklines"] .uplot').length === 5`)
	do(t, ctx, "app page", chromedp.Navigate(s.url+"/apps/Mail"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="sparklines"]`)))
	waitJS(t, ctx, sparks+`.totalAccepted === "0" && `+sparks+`.totalSucceeded === "20"`)
	screenshot(t, ctx, "app-sparklines")

	// In a phone-sized window the drawn charts fit: nothing scrolls sideways.
	do(t, ctx, "narrow window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, pg := range []struct{ path, board string }{{"/overview", "charts"}, {"/apps/Shop/events/OrderPlaced", "sparklines"}} {
		do(t, ctx, "narrow "+pg.path, chromedp.Navigate(s.url+pg.path), chromedp.WaitVisible(chromedp.CSS(`[data-testid="`+pg.board+`"]`)))
		waitJS(t, ctx, fmt.Sprintf(board, pg.board)+`.updates >= 1 && document.querySelectorAll('[data-testid="`+pg.board+`"] .uplot').length === 5`)
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			t.Errorf("%s with its charts drawn scrolls sideways by %d px in a 390 px window", pg.path, over)
		}
	}
	screenshot(t, ctx, "narrow-event-sparklines")
}
