package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/demo"
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
	waitJS(t, ctx, "window.designer && window.designer.ready")
}

func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		why, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.designerError || "") + " last gesture: " + (window.designer && window.designer.gesture) + " live: " + JSON.stringify(window.designerLive && {stats: designerLive.stats, aggregate: designerLive.aggregate, prev: designerLive.prev})`))
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
// real pointer events: a public event becomes a subscription on the graph
// and in the REST API; a private one is refused with the reason shown and
// no edge left behind.
func TestBrowserDesignerDragSubscribes(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, designerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 403, "/designer/subscribe")
	openDesigner(t, ctx, s.url)
	do(t, ctx, "connect mode", chromedp.Click(chromedp.CSS(`[data-testid="connect"]`)))
	from := evalPoint(t, ctx, `designer.pagePos("event:Shop.Audit")`)
	from.X -= 18 // off the new edge, which may cross Audit's middle
	to := evalPoint(t, ctx, `designer.pagePos("app:Ops")`)
	to.X += 22 // off the Placed -> Mail edge, which may cross Ops
	do(t, ctx, "drag private Audit onto Ops", drag(from, to))
	waitJS(t, ctx, `document.querySelector('[data-testid="designer-message"]').textContent.includes("private")`)
	if has, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`designer.hasEdge("sub:Ops:Shop.Audit") || designer.cy.edges().length !== 0`)); has {
		t.Fatal("a refused subscription left an edge on the canvas")
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Ops/subscriptions/Shop.Audit", adminToken, ""); code != 404 {
		t.Fatal("a private event's subscription was stored")
	}
	screenshot(t, ctx, "designer-refused")
	// A second drag on the same page, as a person designing goes on.
	from = evalPoint(t, ctx, `designer.pagePos("event:Shop.Placed")`)
	to = evalPoint(t, ctx, `designer.pagePos("app:Mail")`)
	do(t, ctx, "drag Placed onto Mail", drag(from, to))
	// The edge shows at once, dotted; the message changes once it is stored.
	waitJS(t, ctx, `designer.hasEdge("sub:Mail:Shop.Placed") && document.querySelector('[data-testid="designer-message"]').textContent.includes("now handles")`)
	if saving, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`designer.cy.getElementById("sub:Mail:Shop.Placed").hasClass("saving")`)); saving {
		t.Fatal("the stored subscription's edge is still drawn as saving")
	}
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
	before := evalPoint(t, ctx, `designer.position("app:Mail")`)
	saves, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`designer.saves`))
	from := evalPoint(t, ctx, `designer.pagePos("app:Mail")`)
	do(t, ctx, "move Mail", drag(from, point{from.X + 120, from.Y + 60}))
	waitJS(t, ctx, fmt.Sprintf(`designer.position("app:Mail").x > %f && designer.saves > %d`, before.X+50, saves))
	moved := evalPoint(t, ctx, `designer.position("app:Mail")`)
	_, body, _ = s.call("GET", "/api/v1/layout", adminToken, "")
	if p, _ := body["positions"].(map[string]any)["app:Mail"].(map[string]any); p == nil || math.Abs(p["x"].(float64)-moved.X) > 1 {
		t.Fatalf("the moved position %v was not saved: %v", moved, body)
	}
	do(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "window.designer && window.designer.ready")
	after := evalPoint(t, ctx, `designer.position("app:Mail")`)
	if math.Abs(after.X-moved.X) > 1 || math.Abs(after.Y-moved.Y) > 1 {
		t.Fatalf("after reload Mail is at %v, want %v", after, moved)
	}
}

// TestBrowserDesignerDemoAndScale opens the demo design as a graph (a
// screenshot for review) and measures a generated design of 200 apps and
// 1,000 events: load time and frames per second while panning.
func TestBrowserDesignerDemoAndScale(t *testing.T) {
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
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`designer.cy.edges().length`)); n != len(d.Subscriptions) {
		t.Fatalf("the demo graph has %d edges, want %d", n, len(d.Subscriptions))
	}
	demoFPS := panFPS(t, ctx)
	demoDrag := dragFPS(t, ctx)

	// 200 apps with 5 events each; every app handles the next app's first event.
	var b strings.Builder
	b.WriteString(`{"apps":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":"App%03d"}`, i)
	}
	b.WriteString(`],"events":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"app":"App%03d","name":"Event%d","public":true,"parameters":[]}`, i/5, i%5)
	}
	b.WriteString(`],"subscriptions":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"app":"App%03d","event":"App%03d.Event0","enabled":true,"handler":{"kind":"flow","steps":[{"type":"log","message":"x"}]}}`, i, (i+1)%200)
	}
	b.WriteString(`]}`)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, b.String()); code != 200 {
		t.Fatalf("import large design = %d %v", code, body)
	}
	start := time.Now()
	do(t, ctx, "reload large", chromedp.Reload())
	waitJS(t, ctx, "window.designer && window.designer.ready")
	load := time.Since(start)
	layoutMs, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`designer.loadMs`))
	// The canvas alone: the page below it lists a lint per idle app.
	buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#cy")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactsDir(t), "designer-200-apps.png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	fps := panFPS(t, ctx)
	drag := dragFPS(t, ctx)
	t.Logf("demo design: %.1f frames/s while panning, %.1f while dragging the canvas; 200 apps, 1000 events: page load %s, graph built in %.0f ms, %.1f frames/s while panning by script, %.1f while dragging the canvas with the mouse (software rendering, no GPU)",
		demoFPS, demoDrag, load.Round(time.Millisecond), layoutMs, fps, drag)
}

// dragFPS drags the canvas's empty corner with real mouse events, as a
// person pans (cytoscape then draws from a snapshot on large designs), and
// returns the frames the page drew per second meanwhile.
func dragFPS(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	at := evalPoint(t, ctx, `(() => { const b = designer.cy.container().getBoundingClientRect(); return {x: b.left + 6, y: b.top + 6}; })()`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.frames_ = 0; window.t0_ = performance.now(); (function tick() { frames_++; if (!window.stop_) requestAnimationFrame(tick); })(); true`)); err != nil {
		t.Fatal(err)
	}
	before := evalPoint(t, ctx, `designer.cy.pan()`)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 90; i++ {
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at.X+float64(i*3), at.Y+float64(i), chromedp.ButtonLeft, held), chromedp.Sleep(16*time.Millisecond))
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, at.X+270, at.Y+90, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	do(t, ctx, "drag the canvas", steps...)
	fps, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.stop_ = true; frames_ * 1000 / (performance.now() - t0_)`))
	if err != nil {
		t.Fatal(err)
	}
	if after := evalPoint(t, ctx, `designer.cy.pan()`); after.X-before.X < 200 {
		t.Fatalf("dragging the canvas by 270 px panned it from %v to %v", before, after)
	}
	return fps
}

// panFPS pans the graph a little every frame for two seconds and returns
// the frames drawn per second.
func panFPS(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	fps, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(done => {
		const cy = designer.cy; let frames = 0; const t0 = performance.now();
		function tick(now) { frames++; cy.panBy({x: 3, y: 1}); if (now - t0 < 2000) requestAnimationFrame(tick); else done(frames * 1000 / (now - t0)); }
		requestAnimationFrame(tick);
	})`, func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }))
	if err != nil {
		t.Fatal(err)
	}
	return fps
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
	acceptDialogs(ctx)
	openDesigner(t, ctx, s.url)
	mid := evalPoint(t, ctx, `(() => { const e = designer.cy.getElementById("sub:Mail:Stock.Reserved"), b = designer.cy.container().getBoundingClientRect(), p = e.renderedMidpoint(); return {x: b.left + p.x, y: b.top + p.y}; })()`)
	do(t, ctx, "select the arrow", chromedp.MouseClickXY(mid.X, mid.Y))
	waitJS(t, ctx, `designer.cy.getElementById("sub:Mail:Stock.Reserved").selected()`)
	do(t, ctx, "delete it", chromedp.Click(chromedp.CSS(`[data-testid="delete"]`)))
	waitJS(t, ctx, `!designer.hasEdge("sub:Mail:Stock.Reserved")`)
	if code, _, _ := s.call("GET", "/api/v1/apps/Mail/subscriptions/Stock.Reserved", adminToken, ""); code != 404 {
		t.Fatal("the deleted subscription is still in the API")
	}
	shop := evalPoint(t, ctx, `designer.padPos("app:Shop")`)
	do(t, ctx, "select Shop", chromedp.MouseClickXY(shop.X, shop.Y))
	waitJS(t, ctx, `designer.cy.getElementById("app:Shop").selected()`)
	do(t, ctx, "try to delete Shop", chromedp.Click(chromedp.CSS(`[data-testid="delete"]`)))
	waitJS(t, ctx, `document.querySelector('[data-testid="designer-message"]').textContent.includes("Stock")`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`designer.cy.getElementById("app:Shop").length`)); n != 1 {
		t.Fatal("a refused deletion removed the app from the canvas")
	}
	screenshot(t, ctx, "designer-delete-refused")
}
