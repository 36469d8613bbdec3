package web_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// ttHook records, in page JS, every state class a subscription's edge
// takes on (cytoscape's class events, whoever changes them), in the order
// the graph showed them.
const ttHook = `window.ttChanges = [];
__eventloomTest.designer.cy.on("class", "edge.sub", (e) => {
  const c = ["running", "succeeded", "failed", "retrying", "dead"].find((k) => e.target.hasClass(k));
  if (c) ttChanges.push(c + " " + e.target.id());
}); true`

func evalStrings(t *testing.T, ctx context.Context, expr string) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// setSelect picks a value in a select and tells the page, as a person's
// pick would.
func setSelect(t *testing.T, ctx context.Context, testid, value string) {
	t.Helper()
	sel := `[data-testid="` + testid + `"]`
	do(t, ctx, "pick "+value+" in "+testid, chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+sel+`').dispatchEvent(new Event("change"))`))
}

// TestBrowserTimeTravelReplaysAChain records a chain (Shop.OrderPlaced ->
// Stock, whose flow triggers Stock.Reserved -> Mail), turns time travel on
// and plays the last five minutes: the edges take their states in causal
// order and the counters show what happened; scrubbing back shows the
// graph before it. While travelling, a new chain leaves the graph alone
// (the log goes on); a bad window is refused with a message; leaving
// brings the live view back, which then draws the next chain.
func TestBrowserTimeTravelReplaysAChain(t *testing.T) {
	s, ctx := openLiveDesigner(t, shopDesign)
	trigger := func() {
		t.Helper()
		if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":1}`); code != 202 {
			t.Fatalf("trigger = %d %v", code, body)
		}
	}
	mailDone := func(n int) string {
		return `document.querySelectorAll('#live-log li[data-kind="delivery.succeeded"][data-app="Mail"]').length === ` + strconv.Itoa(n)
	}
	trigger()
	waitJS(t, ctx, mailDone(1))

	do(t, ctx, "turn time travel on", chromedp.Click(chromedp.CSS(`[data-testid="time-travel"]`)))
	waitJS(t, ctx, `__eventloomTest.travel.loads === 1 && document.querySelector('[data-testid="tt-status"]').dataset.count === "6"`)
	if hidden := evalString(t, ctx, `String(document.querySelector('[data-testid="tt-bar"]').hidden)`); hidden != "false" {
		t.Fatal("the time-travel bar did not open")
	}
	// The scrubber starts just before the chain: nothing has run yet.
	waitJS(t, ctx, `__eventloomTest.designer.cy.edges(".sub.running, .sub.succeeded").length === 0 && __eventloomTest.designer.cy.getElementById("app:Mail").data("stat") === ""`)
	do(t, ctx, "record the edges' changes", chromedp.Evaluate[chromedp.Void](ttHook))
	setSelect(t, ctx, "tt-speed", "4")
	do(t, ctx, "play", chromedp.Click(chromedp.CSS(`[data-testid="tt-play"]`)))
	waitJS(t, ctx, `ttChanges.includes("succeeded sub:Mail:Stock.Reserved")`)
	changes := evalStrings(t, ctx, `ttChanges`)
	order := []string{"running sub:Stock:Shop.OrderPlaced", "succeeded sub:Stock:Shop.OrderPlaced", "running sub:Mail:Stock.Reserved", "succeeded sub:Mail:Stock.Reserved"}
	for i, c := range order {
		at := slices.Index(changes, c)
		if at < 0 || (i > 0 && at < slices.Index(changes, order[i-1])) {
			t.Fatalf("the edges' states came as %q; want %q in that order", changes, order)
		}
	}
	// The counters show the chain as it was.
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("app:Mail").data("stat") === "1 ok" && __eventloomTest.designer.cy.getElementById("event:Shop.OrderPlaced").data("stat") === "1 fired"`)
	screenshot(t, ctx, "time-travel")

	// Back to the window's start: the graph is as it was before the chain.
	do(t, ctx, "pause", chromedp.Evaluate[chromedp.Void](`__eventloomTest.travel.playing && document.querySelector('[data-testid="tt-play"]').click()`))
	do(t, ctx, "scrub to the start", chromedp.SetValue(chromedp.CSS(`[data-testid="tt-scrub"]`), "0"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="tt-scrub"]').dispatchEvent(new Event("input"))`))
	waitJS(t, ctx, `__eventloomTest.travel.t === __eventloomTest.travel.since && __eventloomTest.designer.cy.edges(".sub.running, .sub.succeeded").length === 0 && __eventloomTest.designer.cy.getElementById("app:Mail").data("stat") === ""`)

	// A chain now is logged but not drawn: the graph shows the past.
	seen := len(evalStrings(t, ctx, `ttChanges`))
	trigger()
	waitJS(t, ctx, mailDone(2))
	if now := evalStrings(t, ctx, `ttChanges`); len(now) != seen {
		t.Fatalf("a live chain changed the graph during time travel: %q", now[seen:])
	}

	// A window the page can tell is wrong, and one the server refuses.
	setSelect(t, ctx, "tt-window", "custom")
	// Chrome's date-time inputs take a value from script, not keys.
	window := func(since, until string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="tt-since"]').value = "` + since + `";
			document.querySelector('[data-testid="tt-until"]').value = "` + until + `"`)
	}
	do(t, ctx, "an end before the start", window("2026-11-26T10:00:00", "2026-11-26T09:00:00"), chromedp.Click(chromedp.CSS(`[data-testid="tt-load"]`)))
	waitJS(t, ctx, `document.querySelector('[data-testid="tt-status"]').dataset.state === "error" && document.querySelector('[data-testid="tt-status"]').textContent.includes("after its start")`)
	expectPageError(ctx, `status of 422 .*/designer/timeline\?`)
	do(t, ctx, "two days", window("2026-11-24T09:00:00", "2026-11-26T09:00:00"), chromedp.Click(chromedp.CSS(`[data-testid="tt-load"]`)))
	waitJS(t, ctx, `document.querySelector('[data-testid="tt-status"]').textContent.includes("at most 24h0m0s")`)

	// Leaving brings the live view back: the next chain is drawn.
	do(t, ctx, "leave time travel", chromedp.Click(chromedp.CSS(`[data-testid="tt-leave"]`)))
	waitJS(t, ctx, `__eventloomTest.travel.left === 1 && __eventloomTest.designer.cy.container().dataset.travel === "off" && document.querySelector('[data-testid="tt-bar"]').hidden && !__eventloomTest.live.travel`)
	seen = len(evalStrings(t, ctx, `ttChanges`))
	trigger()
	waitJS(t, ctx, mailDone(3))
	waitJS(t, ctx, `ttChanges.slice(`+strconv.Itoa(seen)+`).includes("running sub:Mail:Stock.Reserved")`)
}
