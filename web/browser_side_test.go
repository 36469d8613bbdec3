package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
)

// clickNode clicks a node of the canvas with a real pointer event.
func clickNode(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	p := evalPoint(t, ctx, `__eventloomTest.designer.pagePos("`+id+`")`)
	do(t, ctx, "click "+id, chromedp.MouseClickXY(p.X, p.Y))
}

// acceptDialogs answers every confirm() of the page with OK.
func acceptDialogs(ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// TestBrowserDesignerSidePanel opens the console's editors beside the
// graph with htmx: a refused form shows its errors in the panel with the
// typed values kept; a saved one redraws the graph without reloading the
// page; a refused deletion says why in the panel.
func TestBrowserDesignerSidePanel(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Shop/events/new")
	expectRefusal(ctx, 409, "/apps/Shop/delete")
	acceptDialogs(ctx)
	openDesigner(t, ctx, s.url)
	// Survives only while the page is not reloaded.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}

	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("side")).display !== "none"`)); shown {
		t.Fatal("the side panel shows before anything was clicked")
	}
	shop := evalPoint(t, ctx, `__eventloomTest.designer.padPos("app:Shop")`)
	do(t, ctx, "open Shop", chromedp.MouseClickXY(shop.X, shop.Y),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="edit-app"]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#side iframe, #side-body header, #side-body #console-errors").length`)); n != 0 {
		t.Fatal("the panel holds a frame or a whole page, not the editor")
	}

	do(t, ctx, "new event in Shop", chromedp.Click(chromedp.CSS(`[data-testid="new-event"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="event-editor"]`)),
		chromedp.SendKeys(chromedp.CSS(`#side-body input[name="name"]`), "9Shipped"),
		chromedp.SendKeys(chromedp.CSS(`#side-body textarea[name="description"]`), "Parcel left the warehouse"),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="event-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="error-name"]`)))
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#side-body textarea[name="description"]').value`)); got != "Parcel left the warehouse" {
		t.Fatalf("the refused form lost the description: %q", got)
	}
	before := designerCounts(t, ctx)
	do(t, ctx, "fix the name and save",
		chromedp.SetValue(chromedp.CSS(`#side-body input[name="name"]`), "Shipped"),
		chromedp.Click(chromedp.CSS(`#side-body input[name="public"]`)),
		chromedp.Evaluate[chromedp.Void](recordFetches),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="event-save"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("event:Shop.Shipped").length === 1`)
	assertCreatedInOnePost(t, ctx, s, before, "/apps/Shop/events/new", "event:Shop.Shipped")
	if code, _, _ := s.call("GET", "/api/v1/apps/Shop/events/Shipped", adminToken, ""); code != 200 {
		t.Fatal("the event saved in the panel is not in the API")
	}
	if same, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage === true && __eventloomTest.designer.cy.getElementById("event:Shop.Shipped").parent().id() === "app:Shop"`)); !same {
		t.Fatal("the page reloaded, or the new event is not inside its app")
	}
	screenshot(t, ctx, "designer-side-saved")

	before = designerCounts(t, ctx)
	do(t, ctx, "new app", chromedp.Click(chromedp.CSS(`[data-testid="new-app"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="create-app"]`)),
		chromedp.SendKeys(chromedp.CSS(`#side-body [data-testid="create-app"] input[name="name"]`), "Billing"),
		chromedp.Evaluate[chromedp.Void](recordFetches),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="create-app"] button[type="submit"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("app:Billing").length === 1 && window.samePage === true && !__eventloomTest.designer.cy.animated()`)
	assertCreatedInOnePost(t, ctx, s, before, "/apps", "app:Billing")

	// An edge opens its subscription; pausing it there redraws the edge.
	mid := evalPoint(t, ctx, `(() => { const e = __eventloomTest.designer.cy.getElementById("sub:Stock:Shop.OrderPlaced"), b = __eventloomTest.designer.cy.container().getBoundingClientRect(), p = e.renderedMidpoint(); return {x: b.left + p.x, y: b.top + p.y}; })()`)
	do(t, ctx, "click the edge", chromedp.MouseClickXY(mid.X, mid.Y))
	do(t, ctx, "open the subscription",
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="subscription-editor"]`)),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="pause"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("sub:Stock:Shop.OrderPlaced").hasClass("paused")`)
	do(t, ctx, "resume it", chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="resume"]`)),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="resume"]`)))
	waitJS(t, ctx, `!__eventloomTest.designer.cy.getElementById("sub:Stock:Shop.OrderPlaced").hasClass("paused")`)

	// Deleting Shop, which others handle, is refused in the panel.
	shop = evalPoint(t, ctx, `__eventloomTest.designer.padPos("app:Shop")`) // it grew
	do(t, ctx, "open Shop again", chromedp.MouseClickXY(shop.X, shop.Y),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="edit-app"]`)),
		chromedp.Click(chromedp.CSS(`#side-body form[action$="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="flash"]`)))
	if msg := text(t, ctx, `#side-body [data-testid="flash"]`); !strings.Contains(msg, "Stock") {
		t.Fatalf("the refusal does not say who depends on Shop: %q", msg)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.cy.getElementById("app:Shop").length`)); n != 1 {
		t.Fatal("a refused deletion removed the app from the canvas")
	}
}

// TestBrowserLiveTriggerFromThePanel fires the trigger-test form in the
// designer's side panel and watches the chain unfold in the panel's trace
// and on the graph, without reloading.
func TestBrowserLiveTriggerFromThePanel(t *testing.T) {
	_, ctx := openLiveDesigner(t, shopDesign)
	clickNode(t, ctx, "event:Shop.OrderPlaced")
	do(t, ctx, "fill the trigger form",
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="trigger-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`#side-body [data-testid="param-Sku"]`), "A-7"),
		chromedp.SendKeys(chromedp.CSS(`#side-body [data-testid="param-Qty"]`), "2"),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="trace-delivery-Mail"][data-status="succeeded"]`)))
	for _, id := range []string{"sub:Stock:Shop.OrderPlaced", "sub:Mail:Stock.Reserved"} {
		waitJS(t, ctx, `(__eventloomTest.live.animated["`+id+`"] || 0) >= 1 && __eventloomTest.live.trail.includes("succeeded `+id+`")`)
	}
	screenshot(t, ctx, "live-panel-trigger")
}

// recordFetches makes the page note every request its scripts (htmx
// included) send from now on, as "METHOD /path status" in window.sent.
const recordFetches = `(() => {
	window.sent = [];
	if (window.realFetch) return true;
	const real = window.realFetch = window.fetch;
	window.fetch = (input, init) => {
		const req = new Request(input, init);
		return real(input, init).then((r) => {
			window.sent.push(req.method + " " + new URL(req.url).pathname + " " + r.status + (r.redirected ? " redirected" : ""));
			return r;
		});
	};
	return true;
})()`

// TestBrowserDesignerSidePanelSavesInOneRequest saves a subscription in
// the side panel: a refused save shows the filter's error in the panel and
// draws nothing; the fixed save costs one POST, answered 200 with the
// app's page, and the new edge appears from the answer's design-changed
// event: no page load, no redirect, no refetch of the design.
func TestBrowserDesignerSidePanelSavesInOneRequest(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Mail/subscriptions/new")
	openDesigner(t, ctx, s.url)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	mail := evalPoint(t, ctx, `__eventloomTest.designer.padPos("app:Mail")`)
	do(t, ctx, "open Mail's new subscription", chromedp.MouseClickXY(mail.X, mail.Y),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="edit-app"]`)),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="new-subscription"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="subscription-editor"]`)),
		chromedp.SetValue(chromedp.CSS(`#side-body select[name="event"]`), "Shop.OrderPlaced"),
		chromedp.SetValue(chromedp.CSS(`#side-body select[name="kind"]`), "pull"),
		chromedp.SendKeys(chromedp.CSS(`#side-body [data-testid="subscription-filter"]`), "Qty >"),
		chromedp.Evaluate[chromedp.Void](recordFetches),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="error-filter"]`)))
	refreshes, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.refreshes`))
	if drawn, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`__eventloomTest.designer.hasEdge("sub:Mail:Shop.OrderPlaced")`)); drawn {
		t.Fatal("a refused save drew its edge")
	}

	do(t, ctx, "clear the filter and save",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#side-body [data-testid="subscription-filter"]').value = ""`),
		chromedp.Evaluate[chromedp.Void](recordFetches),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="subscription-save"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.hasEdge("sub:Mail:Shop.OrderPlaced") && window.sent.length >= 1`)
	// The app page shown in the panel loads its charts (GET /stats/series):
	// those are the page's own, not the save's.
	sent, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.sent.filter((s) => !s.startsWith("GET /stats/series "))`))
	if err != nil || len(sent) != 1 || sent[0] != "POST /apps/Mail/subscriptions/new 200" {
		t.Fatalf("the save sent %v (%v), want one POST answered 200 and nothing else", sent, err)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage === true && __eventloomTest.designer.refreshes === `+strconv.Itoa(refreshes)+` + 1
		&& !performance.getEntriesByType("resource").some((e) => ["/designer/data", "/"].includes(new URL(e.name).pathname))
		&& __eventloomTest.designer.cy.getElementById("sub:Mail:Shop.OrderPlaced").source().id() === "event:Shop.OrderPlaced"
		&& __eventloomTest.designer.cy.getElementById("sub:Mail:Shop.OrderPlaced").target().id() === "app:Mail"`)); !ok {
		t.Fatal("the page reloaded, the design was fetched again, or the edge is drawn between the wrong nodes")
	}
	waitJS(t, ctx, `document.querySelector('#side-body [data-testid="flash"]') !== null`)
	if msg := text(t, ctx, `#side-body [data-testid="flash"]`); msg != "Saved: Mail handles Shop.OrderPlaced." {
		t.Fatalf("the panel says %q", msg)
	}
	if href := attr(t, ctx, `#side-page`, "href"); !strings.HasSuffix(href, "/apps/Mail") {
		t.Fatalf("the panel's page link is %q, want Mail's page", href)
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Mail/subscriptions/Shop.OrderPlaced", adminToken, ""); code != 200 {
		t.Fatal("the subscription saved in the panel is not in the API")
	}
}
