package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
)

// TestBrowserLiveFollowsAChain opens the designer, triggers an event over
// the API and checks the page received the occurrence and every delivery
// of its chain in causal order (the live log) and drew their states on
// the graph (the edges' classes).
func TestBrowserLiveFollowsAChain(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	waitJS(t, ctx, `document.getElementById("live-status").dataset.state === "connected"`)
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":1}`); code != 202 {
		t.Fatal("trigger failed")
	}
	waitJS(t, ctx, `!!document.querySelector('#live-log li[data-kind="delivery.succeeded"][data-app="Mail"]')`)
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#live-log li")].reverse()
		.filter(li => li.dataset.kind !== "flow.logged").map(li => li.dataset.kind + " " + li.dataset.app)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"occurrence.triggered Shop", "delivery.started Stock", "delivery.succeeded Stock", "occurrence.triggered Stock", "delivery.started Mail", "delivery.succeeded Mail"}
	if strings.Join(lines, ", ") != strings.Join(want, ", ") {
		t.Fatalf("live log %q, want %q", lines, want)
	}
	for _, id := range []string{"sub:Stock:Shop.OrderPlaced", "sub:Mail:Stock.Reserved"} {
		waitJS(t, ctx, `designer.cy.getElementById("`+id+`").hasClass("succeeded")`)
	}
	screenshot(t, ctx, "live")

	// Hundreds a second: single animations give way to rates and heat.
	// Rates need a reading before the burst to compare with.
	waitJS(t, ctx, `window.designerLive && designerLive.stats >= 1`)
	for i := 0; i < 400; i++ {
		if _, err := s.eng.Trigger(context.Background(), engine.TriggerRequest{Event: design.EventRef{App: "Shop", Event: "OrderPlaced"}, Values: map[string]any{"Sku": "B", "Qty": 1}}); err != nil {
			t.Fatal(err)
		}
	}
	waitJS(t, ctx, `document.getElementById("cy").dataset.mode === "aggregate" && designer.cy.nodes(".hot").length > 0`)
	screenshot(t, ctx, "live-aggregate")
}
