package web_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web/apidoc"
)

// TestBrowserReferenceShowsTheOpenAPIDescription opens the API reference
// from the nav: every operation of the OpenAPI document is there, grouped
// by tag, with its parameters, answers and a curl line against this
// server; the link to the document itself opens it.
func TestBrowserReferenceShowsTheOpenAPIDescription(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "open the reference from the nav",
		chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/reference"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reference-op"]`)),
	)
	screenshot(t, ctx, "reference")
	want := len(apidoc.Operations())
	waitJS(t, ctx, `document.querySelectorAll('[data-testid="reference-op"]').length === `+strconv.Itoa(want))
	var tags []string // every group, in the document's order
	for _, g := range apidoc.Tags() {
		tags = append(tags, g.Name)
	}
	waitJS(t, ctx, `[...document.querySelectorAll('[data-testid="reference-group"]')].map(g => g.dataset.tag).join() === "`+strings.Join(tags, ",")+`"`)
	waitJS(t, ctx, `document.querySelector('nav[aria-label="Main"] a[href="/reference"]').getAttribute('aria-current') === 'page'`)

	trigger := `[data-op="POST /api/v1/apps/{app}/events/{event}/trigger"]`
	curl := text(t, ctx, trigger+` [data-testid="reference-curl"]`)
	if !strings.Contains(curl, "-X POST") || !strings.Contains(curl, "Bearer $APP_KEY") || !strings.Contains(curl, s.url+"/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger") {
		t.Fatalf("trigger's curl line = %q", curl)
	}
	waitJS(t, ctx, `[...document.querySelectorAll('`+trigger+` [data-testid="reference-answer"]')].map(a => a.dataset.status).join() === "202,200,400,401,403,404,413,422,429,500,503"`)
	waitJS(t, ctx, `[...document.querySelectorAll('`+trigger+` [data-testid="reference-param"] code')].map(c => c.textContent).join() === "app,event,dryRun"`)

	href := attr(t, ctx, `[data-testid="reference-openapi"]`, "href")
	do(t, ctx, "open the OpenAPI document", chromedp.Navigate(s.url+href))
	waitJS(t, ctx, `document.body && document.body.innerText.includes('"openapi": "3.1.0"')`)
}
