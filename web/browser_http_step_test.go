package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
)

// TestBrowserStepEditorHTTPStep adds an http step from the editor's menu,
// fills its method, URL, headers and body, saves, and finds the step
// stored with every field.
func TestBrowserStepEditorHTTPStep(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	var r stepsIn
	do(t, ctx, "a new subscription with an http step",
		chromedp.EmulateViewport(1400, 900),
		chromedp.Navigate(s.url+"/apps/Mail/subscriptions/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-steps].js`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="subscription-editor"] select[name="event"]`), "Shop.OrderPlaced"),
		chromedp.SendKeys(chromedp.CSS(r.card(1)+` input[name$=".message"]`), "calling stock for {{ Sku }}"),
		r.add("http"),
		chromedp.WaitVisible(chromedp.CSS(r.card(2)+` [data-testid="http-url"]`)))
	r.waitOrder(t, ctx, "log,http")
	if got := attr(t, ctx, r.card(2)+` [data-testid="http-method"] option:checked`, "value"); got != "POST" {
		t.Fatalf("a new http step's method is %q; want the default POST", got)
	}
	do(t, ctx, "fill the http step",
		chromedp.SetValue(chromedp.CSS(r.card(2)+` [data-testid="http-method"]`), "PATCH"),
		chromedp.SendKeys(chromedp.CSS(r.card(2)+` [data-testid="http-url"]`), "https://stock.example.com/sku/{{ Sku }}"),
		chromedp.SendKeys(chromedp.CSS(r.card(2)+` [data-testid="http-headers"]`), "X-Source: eventloom\nX-Qty: {{ Qty }}"),
		chromedp.SendKeys(chromedp.CSS(r.card(2)+` [data-testid="http-body"]`), `{"qty": {{ Qty }}}`))
	screenshot(t, ctx, "step-editor-http")
	do(t, ctx, "save", chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	steps := storedSteps(t, s, "Mail", "Shop.OrderPlaced")
	if stepTypesOf(steps) != "log,http" {
		t.Fatalf("stored steps = %v", steps)
	}
	h, _ := steps[1]["headers"].(map[string]any)
	if steps[1]["method"] != "PATCH" || steps[1]["url"] != "https://stock.example.com/sku/{{ Sku }}" || steps[1]["body"] != `{"qty": {{ Qty }}}` ||
		len(h) != 2 || h["X-Source"] != "eventloom" || h["X-Qty"] != "{{ Qty }}" {
		t.Fatalf("stored http step = %v", steps[1])
	}
}
