package web_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// openLiveDesigner imports a design, opens the designer signed in and
// waits for its live stream to connect.
func openLiveDesigner(t *testing.T, doc string) (*apiServer, context.Context) {
	t.Helper()
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, doc); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	waitJS(t, ctx, `document.getElementById("live-status").dataset.state === "connected"`)
	return s, ctx
}

// TestBrowserLiveFollowsAChain opens the designer, triggers an event over
// the API and checks the page received the occurrence and every delivery
// of its chain in causal order (the live log) and drew their states on
// the graph (the edges' classes).
func TestBrowserLiveFollowsAChain(t *testing.T) {
	s, ctx := openLiveDesigner(t, shopDesign)
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
	// Each delivery sent a token along its edge, and the edge showed it
	// running, then succeeded; the occurrences pulsed their events.
	trail, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`__eventloomTest.live.trail`))
	if err != nil {
		t.Fatal(err)
	}
	pos := func(s string) int { return slices.Index(trail, s) }
	for _, id := range []string{"sub:Stock:Shop.OrderPlaced", "sub:Mail:Stock.Reserved"} {
		if r, ok := pos("running "+id), pos("succeeded "+id); r < 0 || ok < r {
			t.Fatalf("%s: running at %d, succeeded at %d in %q", id, r, ok, trail)
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.live.animated["`+id+`"] || 0`)); n != 1 {
			t.Fatalf("%s carried %d tokens, want 1", id, n)
		}
	}
	if p1, p2 := pos("pulse event:Shop.OrderPlaced"), pos("pulse event:Stock.Reserved"); p1 < 0 || p2 < p1 || pos("running sub:Mail:Stock.Reserved") < p2 {
		t.Fatalf("the events did not pulse in causal order: %q", trail)
	}
	screenshot(t, ctx, "live")

	// The log's filters hide what does not match, and show it again.
	do(t, ctx, "filter by state", chromedp.SetValue(chromedp.CSS(`[data-testid="live-state"]`), "succeeded"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="live-state"]').dispatchEvent(new Event("change"))`))
	shown := func() []string {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#live-log li:not([hidden])")].map(li => li.dataset.state + " " + li.dataset.app)`))
		return got
	}
	if got := shown(); strings.Join(got, ", ") != "succeeded Mail, succeeded Stock" {
		t.Fatalf("filtered by succeeded, the log shows %q", got)
	}
	do(t, ctx, "filter by app", chromedp.SetValue(chromedp.CSS(`[data-testid="live-state"]`), ""),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="live-state"]').dispatchEvent(new Event("change"))`),
		chromedp.SetValue(chromedp.CSS(`[data-testid="live-app"]`), "Mail"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="live-app"]').dispatchEvent(new Event("change"))`))
	for _, l := range shown() {
		if !strings.HasSuffix(l, " Mail") && !strings.HasPrefix(l, "logged") {
			t.Fatalf("filtered by Mail, the log shows %q", shown())
		}
	}

	// Frozen, the graph stops while the log and the counts go on.
	do(t, ctx, "freeze", chromedp.Click(chromedp.CSS(`#live-freeze`)))
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#live-log li").length`))
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-2","Qty":1}`); code != 202 {
		t.Fatal("trigger failed")
	}
	waitJS(t, ctx, `document.querySelectorAll("#live-log li").length >= `+strconv.Itoa(before+6))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.live.animated["sub:Stock:Shop.OrderPlaced"]`)); n != 1 {
		t.Fatalf("a frozen graph animated: %d tokens", n)
	}
	do(t, ctx, "unfreeze", chromedp.Click(chromedp.CSS(`#live-freeze`)))

	// Past the threshold, single animations give way to rates and heat.
	// The threshold is lowered to 5 events a second, so a busy machine
	// that triggers slowly still crosses it. Rates need a reading before
	// the burst to compare with.
	waitJS(t, ctx, `window.__eventloomTest?.live && __eventloomTest.live.stats >= 1`)
	do(t, ctx, "lower the threshold", chromedp.Evaluate[chromedp.Void](`__eventloomTest.live.aggregateAbove = 5`))
	// The load goes on until the graph shows it: a rate is drawn only
	// while a reading finds new triggers, so a burst that a loaded
	// machine delivers between two readings would leave nothing to see.
	stop, loaded := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				loaded <- nil
				return
			default:
			}
			// A full queue (handlers behind a fast producer) is load too.
			if _, err := s.eng.Trigger(context.Background(), engine.TriggerRequest{Event: design.EventRef{App: "Shop", Event: "OrderPlaced"}, Values: map[string]any{"Sku": "B", "Qty": 1}}); err != nil && !errors.Is(err, fault.ErrQueueFull) {
				loaded <- err
				return
			}
		}
	}()
	// Numbers, not only colour: the event's rate, on the graph.
	waitJS(t, ctx, `document.getElementById("cy").dataset.mode === "aggregate" && __eventloomTest.designer.cy.nodes(".hot").length > 0 && /\d+(\.\d)?\/s/.test(__eventloomTest.designer.cy.getElementById("event:Shop.OrderPlaced").data("label"))`)
	close(stop)
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "live-aggregate")
}

// gatedChain is shopDesign with Stock's handler a Go function that holds
// its delivery until the test opens the gate: the chain waits for the
// test, never for a clock, so a busy machine cannot run it ahead.
const gatedChain = `{
 "apps":[{"name":"Shop"},{"name":"Stock"},{"name":"Mail"}],
 "events":[
  {"app":"Shop","name":"OrderPlaced","public":true,"parameters":[{"name":"Sku","type":"Text","mandatory":true}]},
  {"app":"Stock","name":"Reserved","public":true,"parameters":[{"name":"Sku","type":"Text","mandatory":true}]}
 ],
 "subscriptions":[
  {"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"go","name":"gate"}},
  {"app":"Mail","event":"Stock.Reserved","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"log","message":"mail about {{ Sku }}"}]}}
 ]}`

// TestBrowserLiveTracePage opens the trace of a chain that is still
// running and sees it grow to its end without reloading, pushed by the
// live stream rather than polled.
func TestBrowserLiveTracePage(t *testing.T) {
	gate := make(chan struct{})
	hold := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return []engine.Trigger{{Event: "Reserved", Values: map[string]any{"Sku": "A-1"}}}, nil
	}
	s := newAPIServer(t, engine.Config{Handlers: map[string]engine.Handler{"gate": hold}})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, gatedChain); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1"}`)
	if code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	trace := strconv.FormatInt(int64(body["traceId"].(float64)), 10)
	do(t, ctx, "open the trace while Stock holds its delivery", chromedp.Navigate(s.url+"/traces/"+trace),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-tree"][data-running="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-delivery-Stock"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	// The stream does not replay the past: the gate opens once the page
	// listens, so what follows reaches it as notes.
	waitJS(t, ctx, `__eventloomTest.trace.connected >= 1`)
	if has, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="trace-delivery-Mail"]')`)); has {
		t.Fatal("Mail's delivery is on the page while Stock still holds the chain")
	}
	close(gate)
	do(t, ctx, "watch it end", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-delivery-Mail"][data-status="succeeded"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-tree"][data-running="false"]`)))
	// Each note refreshes the tree, and the socket closes on the refresh
	// that shows the chain finished: a fast chain ends after its first
	// note's refresh, so at least one note, not every one, is heard.
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage === true && __eventloomTest.trace.notes >= 1`)); !ok {
		n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.trace.notes`))
		t.Fatalf("the page reloaded, or heard %d notes of the chain (want at least the first, which refreshed the tree)", n)
	}
	screenshot(t, ctx, "trace-live")
}

// TestBrowserLiveReconnectsAfterARestart restarts the web server under an
// open designer: sign-ins are stored, so the view reconnects by itself
// and the next chain is seen. A sign-in revoked meanwhile (signed out in
// another tab) makes the view say so after the next restart; signing in
// again in the other tab brings the stream back by itself.
func TestBrowserLiveReconnectsAfterARestart(t *testing.T) {
	s, ctx := openLiveDesigner(t, shopDesign)
	expectPageError(ctx, `WebSocket connection to '.*/live' failed`)
	expectPageError(ctx, `net::ERR_CONNECTION_REFUSED`) // the server is down for a moment
	s.restartWeb()
	waitJS(t, ctx, `document.getElementById("live-status").dataset.state === "connected"`)
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":1}`); code != 202 {
		t.Fatal("trigger failed")
	}
	waitJS(t, ctx, `!!document.querySelector('#live-log li[data-kind="delivery.succeeded"][data-app="Mail"]')`)

	other, cancel := chromedp.NewContext(ctx) // a second tab of the same browser
	defer cancel()
	do(t, other, "sign out in another tab",
		chromedp.Navigate(s.url+"/overview"),
		chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signin-form"]`)),
	)
	s.restartWeb()
	waitJS(t, ctx, `document.getElementById("live-status").dataset.state === "signed-out" && !document.getElementById("live-signin").hidden`)
	screenshot(t, ctx, "live-signed-out")
	signIn(t, other, s.url)
	waitJS(t, ctx, `document.getElementById("live-status").dataset.state === "connected"`)
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-2","Qty":1}`); code != 202 {
		t.Fatal("trigger failed")
	}
	waitJS(t, ctx, `document.querySelectorAll('#live-log li[data-kind="delivery.succeeded"][data-app="Mail"]').length >= 2`)
}
