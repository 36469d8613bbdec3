package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/notify"
)

type point struct{ X, Y float64 }

// held says the left button is down during a move, as a real drag does.
func held(p *input.DispatchMouseEventParams) { p.Buttons = 1 }

func evalPoint(t *testing.T, ctx context.Context, expr string) point {
	t.Helper()
	p, err := chromedp.Run(ctx, chromedp.Evaluate[point](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return p
}

// openDesigner signs in (landing on the designer) and waits for the
// canvas to be drawn.
func openDesigner(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	signIn(t, ctx, base)
	waitJS(t, ctx, "window.__eventloomTest?.designer?.ready")
}

// clickUntil clicks the point pointExpr gives until cond holds, at most
// three times, each at the point as it is then: the view refits when the
// canvas changes size after the first draw, which can move a node between
// reading its point and the click landing.
func clickUntil(t *testing.T, ctx context.Context, what, pointExpr, cond string) {
	t.Helper()
	for range 2 {
		at := evalPoint(t, ctx, pointExpr)
		do(t, ctx, what, chromedp.MouseClickXY(at.X, at.Y))
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(15*time.Second))); err == nil {
			return
		}
	}
	at := evalPoint(t, ctx, pointExpr)
	do(t, ctx, what, chromedp.MouseClickXY(at.X, at.Y))
	waitJS(t, ctx, cond)
}

func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		why, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__eventloomTest?.error || "") + " last gesture: " + (window.__eventloomTest?.designer?.gesture) + " live: " + JSON.stringify(window.__eventloomTest?.live && {stats: __eventloomTest.live.stats, aggregate: __eventloomTest.live.aggregate, prev: __eventloomTest.live.prev})`))
		t.Fatalf("waiting for %s: %v %s", expr, err, why)
	}
}

// drag presses at from, moves in steps to to, and releases: real pointer
// events, as a person's drag.
func drag(from, to point) chromedp.Action[chromedp.Void] {
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, from.X, from.Y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, from.X, from.Y, chromedp.ButtonLeft, chromedp.ClickCount(1), held),
		// Pointer pacing, not a wait for a result: a person's drag starts
		// a moment after the press.
		chromedp.Sleep(80 * time.Millisecond)}
	for i := 1; i <= 12; i++ {
		f := float64(i) / 12
		x, y := from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft, held), chromedp.Sleep(16*time.Millisecond)) // one move a frame
	}
	steps = append(steps, chromedp.Sleep(150*time.Millisecond), // edgehandles' hover delay on the target
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, to.X, to.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	return chromedp.Steps(steps...)
}

const designerDesign = `{
 "apps":[{"name":"Shop","color":"#2563eb"},{"name":"Mail","color":"#16a34a"},{"name":"Ops","color":"#9333ea"}],
 "events":[{"app":"Shop","name":"Placed","public":true,"parameters":[]},{"app":"Shop","name":"Audit","public":false,"parameters":[]}],
 "subscriptions":[]}`

// TestBrowserDesignerDragSubscribes drags an event onto another app with
// real pointer events: the drop saves the side panel's subscription form
// in one request. A public event becomes a subscription on the graph (the
// edge the answer's design change carries) and in the REST API, and the
// panel shows the app; a private one is refused with the reason in the
// panel and no edge left behind.
func TestBrowserDesignerDragSubscribes(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, designerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 403, "/apps/Ops/subscriptions/new")
	openDesigner(t, ctx, s.url)
	do(t, ctx, "connect mode", chromedp.Click(chromedp.CSS(`[data-testid="connect"]`)))
	from := evalPoint(t, ctx, `__eventloomTest.designer.pagePos("event:Shop.Audit")`)
	from.X -= 18 // off the new edge, which may cross Audit's middle
	to := evalPoint(t, ctx, `__eventloomTest.designer.pagePos("app:Ops")`)
	to.X += 22 // off the Placed -> Mail edge, which may cross Ops
	do(t, ctx, "drag private Audit onto Ops", drag(from, to))
	// Refused where the side panel shows its errors: the subscription
	// form, in the panel, with the reason under the event.
	waitJS(t, ctx, `[...document.querySelectorAll('#side-body .field-error')].some((e) => e.textContent.includes("private")) && document.querySelector('[data-testid="designer-message"]').textContent.includes("the side panel says why")`)
	if has, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`__eventloomTest.designer.hasEdge("sub:Ops:Shop.Audit") || __eventloomTest.designer.cy.edges().length !== 0`)); has {
		t.Fatal("a refused subscription left an edge on the canvas")
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Ops/subscriptions/Shop.Audit", adminToken, ""); code != 404 {
		t.Fatal("a private event's subscription was stored")
	}
	screenshot(t, ctx, "designer-refused")
	// A second drag on the same page, with the side panel still open, as
	// a person designing goes on. The panel narrowed the canvas and
	// fitted the design again: clear of the minimap, so both ends of the
	// drag are on the canvas itself (a press on the minimap pans the view).
	waitJS(t, ctx, `!document.getElementById("side").hidden`)
	from = evalPoint(t, ctx, `__eventloomTest.designer.pagePos("event:Shop.Placed")`)
	to = evalPoint(t, ctx, `__eventloomTest.designer.pagePos("app:Mail")`)
	for _, p := range []point{from, to} {
		if under, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.elementFromPoint(%f, %f)?.closest(".minimap, #side") != null`, p.X, p.Y))); under {
			t.Fatalf("with the side panel open, the node at %v is under the minimap or the panel", p)
		}
	}
	do(t, ctx, "drag Placed onto Mail", drag(from, to))
	// The edge shows at once, dotted; the message changes once it is stored.
	waitJS(t, ctx, `__eventloomTest.designer.hasEdge("sub:Mail:Shop.Placed") && document.querySelector('[data-testid="designer-message"]').textContent.includes("now handles")`)
	if saving, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`__eventloomTest.designer.cy.getElementById("sub:Mail:Shop.Placed").hasClass("saving")`)); saving {
		t.Fatal("the stored subscription's edge is still drawn as saving")
	}
	waitJS(t, ctx, `document.querySelector('#side-body h1') && document.querySelector('#side-body h1').textContent.includes("Mail") && document.querySelector('#side-body .field-error') === null`)
	if code, body, _ := s.call("GET", "/api/v1/apps/Mail/subscriptions/Shop.Placed", adminToken, ""); code != 200 {
		t.Fatalf("the dragged subscription is not in the API: %d %v", code, body)
	}
	screenshot(t, ctx, "designer-subscribed")

}

// TestBrowserDesignerPositionsPersist moves a node, reloads and finds it
// where it was; auto-arrange saves every position.
func TestBrowserDesignerPositionsPersist(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, designerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	do(t, ctx, "auto-arrange", chromedp.Click(chromedp.CSS(`[data-testid="arrange"]`)))
	waitJS(t, ctx, `document.querySelector('[data-testid="designer-message"]').textContent.includes("Arranged")`)
	_, body, _ := s.call("GET", "/api/v1/layout", adminToken, "")
	if pos := body["positions"].(map[string]any); len(pos) < 3 {
		t.Fatalf("auto-arrange saved %d positions: %v", len(pos), pos)
	}
	before := evalPoint(t, ctx, `__eventloomTest.designer.position("app:Mail")`)
	saves, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.saves`))
	from := evalPoint(t, ctx, `__eventloomTest.designer.pagePos("app:Mail")`)
	do(t, ctx, "move Mail", drag(from, point{from.X + 120, from.Y + 60}))
	waitJS(t, ctx, fmt.Sprintf(`__eventloomTest.designer.position("app:Mail").x > %f && __eventloomTest.designer.saves > %d`, before.X+50, saves))
	moved := evalPoint(t, ctx, `__eventloomTest.designer.position("app:Mail")`)
	_, body, _ = s.call("GET", "/api/v1/layout", adminToken, "")
	if p, _ := body["positions"].(map[string]any)["app:Mail"].(map[string]any); p == nil || math.Abs(p["x"].(float64)-moved.X) > 1 {
		t.Fatalf("the moved position %v was not saved: %v", moved, body)
	}
	do(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "window.__eventloomTest?.designer?.ready")
	after := evalPoint(t, ctx, `__eventloomTest.designer.position("app:Mail")`)
	if math.Abs(after.X-moved.X) > 1 || math.Abs(after.Y-moved.Y) > 1 {
		t.Fatalf("after reload Mail is at %v, want %v", after, moved)
	}
}

// TestBrowserDesignerDemo opens the demo design as a graph (a screenshot
// for review) and reports the frames per second while panning it.
func TestBrowserDesignerDemo(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	d, err := demo.Design()
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(d)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, string(doc)); code != 200 {
		t.Fatalf("import demo = %d %v", code, body)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	screenshot(t, ctx, "designer-demo")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.cy.edges().length`)); n != len(d.Subscriptions) {
		t.Fatalf("the demo graph has %d edges, want %d", n, len(d.Subscriptions))
	}
	t.Logf("demo design: %.1f frames/s while panning, %.1f while dragging the canvas (software rendering, no GPU)", panFPS(t, ctx), dragFPS(t, ctx))
}

// TestBrowserDesignerDeletesFromTheCanvas selects an arrow, deletes it
// after confirming, and sees an app that others depend on refused with
// the reason.
func TestBrowserDesignerDeletesFromTheCanvas(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 409, "/apps/Shop/delete")
	// The side panel still shows Shop's page after its deletion: its
	// sparklines' next poll of the app's series is refused.
	expectRefusal(ctx, 404, "/stats/series?app=Shop&window=1h")
	acceptDialogs(ctx)
	openDesigner(t, ctx, s.url)
	mid := evalPoint(t, ctx, `(() => { const e = __eventloomTest.designer.cy.getElementById("sub:Mail:Stock.Reserved"), b = __eventloomTest.designer.cy.container().getBoundingClientRect(), p = e.renderedMidpoint(); return {x: b.left + p.x, y: b.top + p.y}; })()`)
	do(t, ctx, "select the arrow", chromedp.MouseClickXY(mid.X, mid.Y))
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("sub:Mail:Stock.Reserved").selected()`)
	do(t, ctx, "delete it", chromedp.Click(chromedp.CSS(`[data-testid="delete"]`)))
	waitJS(t, ctx, `!__eventloomTest.designer.hasEdge("sub:Mail:Stock.Reserved")`)
	if code, _, _ := s.call("GET", "/api/v1/apps/Mail/subscriptions/Stock.Reserved", adminToken, ""); code != 404 {
		t.Fatal("the deleted subscription is still in the API")
	}
	// The canvas redraws after the deletion; a click aimed before the
	// redraw can land beside Shop, so aim again until Shop is selected.
	for i := 0; ; i++ {
		shop := evalPoint(t, ctx, `__eventloomTest.designer.padPos("app:Shop")`)
		do(t, ctx, "select Shop", chromedp.MouseClickXY(shop.X, shop.Y))
		if sel, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`__eventloomTest.designer.cy.getElementById("app:Shop").selected()`)); sel {
			break
		}
		if i == 9 {
			t.Fatal("ten clicks on Shop's padding did not select it")
		}
	}
	do(t, ctx, "try to delete Shop", chromedp.Click(chromedp.CSS(`[data-testid="delete"]`)))
	waitJS(t, ctx, `document.querySelector('[data-testid="designer-message"]').textContent.includes("Stock")`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.cy.getElementById("app:Shop").length`)); n != 1 {
		t.Fatal("a refused deletion removed the app from the canvas")
	}
	screenshot(t, ctx, "designer-delete-refused")
}

// importDemo loads the demo design (six apps, FraudDetection handling its
// own OnManualReviewRequested) into s.
func importDemo(t *testing.T, s *apiServer) {
	t.Helper()
	d, err := demo.Design()
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(d)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, string(doc)); code != 200 {
		t.Fatalf("import demo = %d %v", code, body)
	}
}

// TestBrowserDesignerHighlightAndSelfSubscription clicks an event: what
// it feeds stays lit, the rest fades, and the clicked event and its app
// stay fully opaque. An app's subscription to its own event leaves that
// event's side and ends on the app's border level with it.
func TestBrowserDesignerHighlightAndSelfSubscription(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	importDemo(t, s)
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)

	self := `__eventloomTest.designer.cy.getElementById("sub:FraudDetection:FraudDetection.OnManualReviewRequested")`
	type selfGeo struct {
		Source, Target, App string
		SX, SY, MX, MY      float64
		EX1, EX2, EY1, EY2  float64
		Crossed             []string
		Overlaps            int
	}
	geo, err := chromedp.Run(ctx, chromedp.Evaluate[selfGeo](`(() => { const e = `+self+`, s = e.sourceEndpoint(), m = e.midpoint(),
		b = e.source().boundingBox({includeLabels: false}), app = e.source().parent();
		const inside = (p, k) => { const x = k.boundingBox({includeLabels: false}); return p.x >= x.x1 && p.x <= x.x2 && p.y >= x.y1 && p.y <= x.y2; };
		const kids = app.children(), boxes = kids.map((k) => k.boundingBox({includeLabels: false}));
		let overlaps = 0;
		boxes.forEach((a, i) => boxes.forEach((c, j) => { if (i < j && a.x1 < c.x2 && c.x1 < a.x2 && a.y1 < c.y2 && c.y1 < a.y2) overlaps++; }));
		return {Source: e.source().id(), Target: e.target().id(), App: e.data("app"), SX: s.x, SY: s.y, MX: m.x, MY: m.y,
			EX1: b.x1, EX2: b.x2, EY1: b.y1, EY2: b.y2, Overlaps: overlaps,
			Crossed: kids.filter((k) => !k.same(e.source()) && inside(m, k)).map((k) => k.id())}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if geo.Source != "event:FraudDetection.OnManualReviewRequested" || geo.App != "FraudDetection" {
		t.Fatalf("the self-subscription runs from %s for app %s", geo.Source, geo.App)
	}
	if geo.SX < geo.EX1-3 || geo.SX > geo.EX2+3 || geo.SY < geo.EY1-3 || geo.SY > geo.EY2+3 {
		t.Fatalf("the self-subscription starts at (%.0f,%.0f), outside its event %+v", geo.SX, geo.SY, geo)
	}
	if len(geo.Crossed) > 0 {
		t.Fatalf("the self-subscription's loop runs through %v", geo.Crossed)
	}
	if geo.Overlaps > 0 {
		t.Fatalf("%d pairs of FraudDetection's events overlap", geo.Overlaps)
	}
	screenshot(t, ctx, "designer-self-subscription")

	at := evalPoint(t, ctx, `__eventloomTest.designer.pagePos("event:Inventory.OnStockReserved")`)
	do(t, ctx, "click OnStockReserved", chromedp.MouseClickXY(at.X, at.Y))
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("event:Inventory.OnStockReserved").hasClass("focus")`)
	op, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Event, App, Handler, Faded float64 }](`(() => { const cy = __eventloomTest.designer.cy; return {
		Event: cy.getElementById("event:Inventory.OnStockReserved").effectiveOpacity(),
		App: cy.getElementById("app:Inventory").effectiveOpacity(),
		Handler: cy.getElementById("app:Shipping").effectiveOpacity(),
		Faded: Math.min(...cy.nodes().map((n) => n.effectiveOpacity())) }; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if op.Event != 1 || op.App != 1 || op.Handler != 1 {
		t.Fatalf("after the click the event is at opacity %.2f, its app %.2f, a handling app %.2f; want all 1", op.Event, op.App, op.Handler)
	}
	if op.Faded >= 1 {
		t.Fatal("nothing faded: the highlight marks nothing apart")
	}
	screenshot(t, ctx, "designer-highlight")
}

// dragThrough presses at from, moves over via and on to to, and releases
// at once: a quick drag passing over another app, with no pause on the
// target.
func dragThrough(from, via, to point) chromedp.Action[chromedp.Void] {
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, from.X, from.Y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, from.X, from.Y, chromedp.ButtonLeft, chromedp.ClickCount(1), held),
		chromedp.Sleep(80 * time.Millisecond)} // pointer pacing: a drag starts a moment after the press
	for _, leg := range [][2]point{{from, via}, {via, to}} {
		for i := 1; i <= 8; i++ {
			f := float64(i) / 8
			x, y := leg[0].X+(leg[1].X-leg[0].X)*f, leg[0].Y+(leg[1].Y-leg[0].Y)*f
			steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft, held), chromedp.Sleep(16*time.Millisecond)) // one move a frame
		}
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, to.X, to.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	return chromedp.Steps(steps...)
}

// TestBrowserDesignerConnectPassesOverASubscriber drags an event across an
// app that already handles it (which used to throw "Can not create second
// element with ID") and drops it on another without pausing: no page
// error, and the drop subscribes.
func TestBrowserDesignerConnectPassesOverASubscriber(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, designerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Mail/subscriptions", adminToken, `{"event":"Shop.Placed","handler":{"kind":"flow","steps":[{"type":"log","message":"x"}]}}`); code != 201 {
		t.Fatalf("subscribe Mail = %d %v", code, body)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	do(t, ctx, "connect mode", chromedp.Click(chromedp.CSS(`[data-testid="connect"]`)))
	from := evalPoint(t, ctx, `__eventloomTest.designer.pagePos("event:Shop.Placed")`)
	via := evalPoint(t, ctx, `__eventloomTest.designer.padPos("app:Mail")`)
	to := evalPoint(t, ctx, `__eventloomTest.designer.padPos("app:Ops")`)
	do(t, ctx, "drag Placed over Mail onto Ops", dragThrough(from, via, to))
	waitJS(t, ctx, `__eventloomTest.designer.hasEdge("sub:Ops:Shop.Placed") && document.querySelector('[data-testid="designer-message"]').textContent.includes("now handles")`)
	if code, body, _ := s.call("GET", "/api/v1/apps/Ops/subscriptions/Shop.Placed", adminToken, ""); code != 200 {
		t.Fatalf("the dropped subscription is not in the API: %d %v", code, body)
	}
	// Out of connect mode, an event dropped onto its sibling moves clear.
	do(t, ctx, "leave connect mode", chromedp.Click(chromedp.CSS(`[data-testid="connect"]`)))
	saves, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.saves`))
	from = evalPoint(t, ctx, `__eventloomTest.designer.pagePos("event:Shop.Audit")`)
	to = evalPoint(t, ctx, `__eventloomTest.designer.pagePos("event:Shop.Placed")`)
	do(t, ctx, "drop Audit onto Placed", drag(from, to))
	waitJS(t, ctx, fmt.Sprintf(`__eventloomTest.designer.saves > %d`, saves))
	if clash, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const a = __eventloomTest.designer.cy.getElementById("event:Shop.Audit").boundingBox({includeLabels: false}), b = __eventloomTest.designer.cy.getElementById("event:Shop.Placed").boundingBox({includeLabels: false});
		return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2; })()`)); clash {
		t.Fatal("an event dropped onto its sibling overlaps it")
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.cy.edges().length`)); n != 2 {
		t.Fatalf("the canvas has %d arrows after the drop, want 2 (Mail's and Ops')", n)
	}
	screenshot(t, ctx, "designer-connect-through")
}

// TestBrowserDesignerShowsBacklogOnLoad opens the designer after
// deliveries failed: the arrow and its app show the retrying deliveries
// and dead letters at once, before any live message.
func TestBrowserDesignerShowsBacklogOnLoad(t *testing.T) {
	fail := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("the ledger is offline")
	}
	s := newAPIServer(t, engine.Config{MaxRetries: 1, Handlers: map[string]engine.Handler{"ledger": fail}})
	for _, c := range []struct{ path, body string }{
		{"/api/v1/apps", `{"name":"Shop"}`},
		{"/api/v1/apps", `{"name":"Ledger"}`},
		{"/api/v1/apps/Shop/events", `{"name":"Paid","public":true,"parameters":[{"name":"Amount","type":"Decimal"}]}`},
		{"/api/v1/apps/Ledger/subscriptions", `{"event":"Shop.Paid","handler":{"kind":"go","name":"ledger"}}`},
		{"/api/v1/apps", `{"name":"Audit"}`},
		{"/api/v1/apps/Audit/subscriptions", `{"event":"Shop.Paid","filter":"Amount > 100","handler":{"kind":"go","name":"ledger"}}`},
	} {
		if code, body, _ := s.call("POST", c.path, adminToken, c.body); code != 201 {
			t.Fatalf("POST %s = %d %v", c.path, code, body)
		}
	}
	var ids []int64
	for range 3 {
		if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", adminToken, `{}`); code != 202 {
			t.Fatal("trigger failed")
		}
		ids = append(ids, waitNote(t, s, notify.DeliveryFailed).DeliveryID)
	}
	// Two of them retried at once fail for good.
	for _, id := range ids[:2] {
		if code, body, _ := s.call("POST", "/api/v1/deliveries/"+jsonNum(id)+"/retry", adminToken, ""); code != 200 {
			t.Fatalf("retry %d = %d %v", id, code, body)
		}
		waitNote(t, s, notify.DeliveryDead)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	edge := `__eventloomTest.designer.cy.getElementById("sub:Ledger:Shop.Paid")`
	// The filtered subscription (it got none of the small payments) shows
	// its filter on its arrow.
	waitJS(t, ctx, `__eventloomTest.designer.cy.getElementById("sub:Audit:Shop.Paid").data("label").includes("if Amount > 100") && __eventloomTest.designer.cy.getElementById("sub:Audit:Shop.Paid").hasClass("filtered")`)
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](edge+`.data("label")`)); !strings.Contains(got, "1 retrying") || !strings.Contains(got, "2 dead") {
		t.Fatalf("the arrow reads %q, want 1 retrying and 2 dead", got)
	}
	if dead, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](edge+`.hasClass("dead")`)); !dead {
		t.Fatal("an arrow with dead letters is not drawn as dead")
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`__eventloomTest.designer.cy.getElementById("app:Ledger").data("label")`)); !strings.Contains(got, "2 dead letters") {
		t.Fatalf("the app reads %q, want its 2 dead letters", got)
	}
	// The last one dies while the page is open: the numbers follow.
	if code, body, _ := s.call("POST", "/api/v1/deliveries/"+jsonNum(ids[2])+"/retry", adminToken, ""); code != 200 {
		t.Fatalf("retry %d = %d %v", ids[2], code, body)
	}
	waitJS(t, ctx, edge+`.data("label").includes("3 dead") && !`+edge+`.data("label").includes("retrying") && __eventloomTest.designer.cy.getElementById("app:Ledger").data("label").includes("3 dead letters")`)
	screenshot(t, ctx, "designer-backlog")
}

// TestBrowserDesignerSidePanelKeepsSelectionInView clicks the app at the
// canvas's right edge: the side panel opens beside the narrowed canvas,
// which moves so the app stays in view; the subscription editor fits the
// panel without scrolling sideways.
func TestBrowserDesignerSidePanelKeepsSelectionInView(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	importDemo(t, s)
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	inView := `(() => { const b = __eventloomTest.designer.cy.getElementById("app:Notifications").renderedBoundingBox({includeLabels: false}), cy = __eventloomTest.designer.cy;
		return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= cy.width() && b.y2 <= cy.height(); })()`
	clickUntil(t, ctx, "click Notifications", `__eventloomTest.designer.padPos("app:Notifications")`,
		`!document.querySelector('[data-testid="side"]').hidden && document.querySelector('#side-body h1') !== null`)
	waitJS(t, ctx, `__eventloomTest.designer.cy.width() === __eventloomTest.designer.cy.container().clientWidth && `+inView)
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('[data-testid="side"]').getBoundingClientRect().width`)); w < 415 {
		t.Fatalf("the side panel is %.0f px wide, want at least 26rem", w)
	}
	mid := evalPoint(t, ctx, `(() => { const e = __eventloomTest.designer.cy.getElementById("sub:Notifications:Payments.OnPaymentCaptured"), b = __eventloomTest.designer.cy.container().getBoundingClientRect(), p = e.renderedMidpoint(); return {x: b.left + p.x, y: b.top + p.y}; })()`)
	do(t, ctx, "open the subscription editor", chromedp.MouseClickXY(mid.X, mid.Y))
	waitJS(t, ctx, `document.querySelector('#side-body form') !== null && document.querySelector('[data-side-title]').textContent.includes("OnPaymentCaptured")`)
	if over, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const b = document.getElementById("side-body"); return b.scrollWidth - b.clientWidth; })()`)); over > 1 {
		t.Fatalf("the subscription editor is %d px wider than the side panel", over)
	}
	screenshot(t, ctx, "designer-side-editor")
}
