package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
)

// TestBrowserDesignerScale measures a generated design of 200 apps and
// 1,000 events: load time and frames per second while panning. It is a
// measurement, not a check (nothing it measures is asserted), and takes
// minutes on a busy machine, so it runs only when asked:
//
//	EVENTLOOM_SCALE=1 CI=1 go test -run TestBrowserDesignerScale -v ./web/
func TestBrowserDesignerScale(t *testing.T) {
	if os.Getenv("EVENTLOOM_SCALE") == "" {
		t.Skip("a measurement: set EVENTLOOM_SCALE=1 to run it")
	}
	s := newAPIServer(t, engine.Config{})
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)

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
	waitJS(t, ctx, "window.__eventloomTest?.designer?.ready")
	load := time.Since(start)
	layoutMs, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`__eventloomTest.designer.loadMs`))
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
	t.Logf("200 apps, 1000 events: page load %s, graph built in %.0f ms, %.1f frames/s while panning by script, %.1f while dragging the canvas with the mouse (software rendering, no GPU)",
		load.Round(time.Millisecond), layoutMs, fps, drag)
}

// dragFPS drags the canvas's empty corner with real mouse events, as a
// person pans (cytoscape then draws from a snapshot on large designs), and
// returns the frames the page drew per second meanwhile.
func dragFPS(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	at := evalPoint(t, ctx, `(() => { const b = __eventloomTest.designer.cy.container().getBoundingClientRect(); return {x: b.left + 6, y: b.top + 6}; })()`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.frames_ = 0; window.t0_ = performance.now(); (function tick() { frames_++; if (!window.stop_) requestAnimationFrame(tick); })(); true`)); err != nil {
		t.Fatal(err)
	}
	before := evalPoint(t, ctx, `__eventloomTest.designer.cy.pan()`)
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
	if after := evalPoint(t, ctx, `__eventloomTest.designer.cy.pan()`); after.X-before.X < 200 {
		t.Fatalf("dragging the canvas by 270 px panned it from %v to %v", before, after)
	}
	return fps
}

// panFPS pans the graph a little every frame for two seconds and returns
// the frames drawn per second.
func panFPS(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	fps, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(done => {
		const cy = __eventloomTest.designer.cy; let frames = 0; const t0 = performance.now();
		function tick(now) { frames++; cy.panBy({x: 3, y: 1}); if (now - t0 < 2000) requestAnimationFrame(tick); else done(frames * 1000 / (now - t0)); }
		requestAnimationFrame(tick);
	})`, func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }))
	if err != nil {
		t.Fatal(err)
	}
	return fps
}

// design25 is a generated design of 25 apps with 4 public events each and
// 110 subscriptions.
func design25(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"apps":[`)
	for i := range 25 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":"App%02d"}`, i)
	}
	b.WriteString(`],"events":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"app":"App%02d","name":"Event%d","public":true,"parameters":[]}`, i/4, i%4)
	}
	b.WriteString(`],"subscriptions":[`)
	// Five tiers of five apps: each app of tiers 1 to 4 handles five of
	// the twenty events of the tier before it; ten apps also handle one of
	// their own events.
	n := 0
	sub := func(app, producer, ev int, kind string) {
		if n > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"app":"App%02d","event":"App%02d.Event%d","enabled":true,"handler":%s}`, app, producer, ev, kind)
		n++
	}
	flow, goKind := `{"kind":"flow","steps":[{"type":"log","message":"x"}]}`, `{"kind":"go","name":"audit"}`
	for app := 5; app < 25; app++ {
		tier, j := app/5, app%5
		for k := range 5 {
			e := (j*4 + k*3) % 20 // one of the previous tier's twenty events
			kind := flow
			if k == 4 && j%2 == 0 {
				kind = goKind // an unusual handler for its app
			}
			sub(app, (tier-1)*5+e/4, e%4, kind)
		}
	}
	for app := 0; app < 10; app++ {
		sub(app, app, 3, flow)
	}
	if n != 110 {
		t.Fatalf("generated %d subscriptions, want 110", n)
	}
	b.WriteString(`]}`)
	return b.String()
}

// TestBrowserDesignerLargeDesignTools opens a design of 25 apps and 110
// subscriptions: the toolbar is one row; folding every app leaves one box
// each with arrows re-routed between them, and opening them restores every
// event and arrow; the minimap moves the view where it is clicked or
// dragged; SVG and PNG exports produce pictures of the graph.
func TestBrowserDesignerLargeDesignTools(t *testing.T) {
	audit := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s := newAPIServer(t, engine.Config{Handlers: map[string]engine.Handler{"audit": audit}})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, design25(t)); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	openDesigner(t, ctx, s.url)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`__eventloomTest.designer.cy.edges(".sub").length`)); n != 110 {
		t.Fatalf("the canvas has %d subscriptions, want 110", n)
	}
	if rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`new Set([...document.querySelectorAll('[data-testid="designer-bar"] > *')].map((el) => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))).size`)); rows != 1 {
		t.Fatalf("the toolbar takes %d rows at 1280 px, want 1", rows)
	}
	screenshot(t, ctx, "designer-25-apps")
	// Arrows name their handler kind only where it is not the app's usual.
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const subs = __eventloomTest.designer.cy.edges(".sub"), gos = subs.filter((e) => e.data("kind") === "go");
		return gos.length === 12 && gos.every((e) => e.data("base") === "go") && subs.filter((e) => e.data("kind") === "flow").every((e) => e.data("base") === ""); })()`)); !ok {
		t.Fatal("arrows are labelled with their usual handler kind, or an unusual one is not named")
	}
	// Zoomed out to the whole design, app names are still drawn at a
	// readable size on screen.
	if px, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`__eventloomTest.designer.cy.getElementById("app:App00").pstyle("font-size").pfValue * __eventloomTest.designer.cy.zoom()`)); px < 11 {
		t.Fatalf("at the opening zoom app names are %.1f px on screen", px)
	}

	// Fold every app.
	do(t, ctx, "collapse apps", chromedp.Click(chromedp.CSS(`[data-testid="fold"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.cy.nodes(".app.collapsed").length === 25 && __eventloomTest.designer.cy.nodes(".event").length === 0`)
	var folded struct{ Meta, Carried, Across int }
	folded, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Meta, Carried, Across int }](`(() => {
		const d = JSON.parse(document.getElementById("cy").dataset.design), cy = __eventloomTest.designer.cy;
		const across = d.subscriptions.filter((s) => s.event.split(".")[0] !== s.app).length;
		const meta = cy.edges(".meta");
		const ok = meta.every((e) => e.source().hasClass("app") && e.target().hasClass("app"));
		return {Meta: ok ? meta.length : -1, Carried: meta.reduce((n, e) => n + e.data("count"), 0), Across: across}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if folded.Meta <= 0 || folded.Carried != folded.Across {
		t.Fatalf("folded: %d arrows between apps carrying %d subscriptions, want them to carry all %d between different apps", folded.Meta, folded.Carried, folded.Across)
	}
	screenshot(t, ctx, "designer-25-apps-collapsed")
	// A double tap opens one app alone (emitted: two real clicks are a
	// double tap only within cytoscape's time window, which a loaded
	// machine misses).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`__eventloomTest.designer.cy.getElementById("app:App03").emit("dbltap"); true`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!__eventloomTest.designer.cy.getElementById("app:App03").hasClass("collapsed") && __eventloomTest.designer.cy.nodes(".event").length === 4`)
	do(t, ctx, "expand apps", chromedp.Click(chromedp.CSS(`[data-testid="fold"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.cy.nodes(".collapsed").length === 0 && __eventloomTest.designer.cy.nodes(".event").length === 100 && __eventloomTest.designer.cy.edges(".sub").length === 110 && __eventloomTest.designer.cy.edges(".meta").length === 0`)

	// The minimap: zoom in on one corner, then click where App24 is on it.
	waitJS(t, ctx, `document.querySelector('[data-testid="minimap"]') !== null`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`__eventloomTest.designer.cy.zoom({level: 1.5, position: __eventloomTest.designer.cy.getElementById("event:App00.Event0").position()}); __eventloomTest.designer.cy.center(__eventloomTest.designer.cy.getElementById("app:App00")); true`)); err != nil {
		t.Fatal(err)
	}
	inView := func(id string) string {
		return `(() => { const p = __eventloomTest.designer.cy.getElementById("` + id + `").position(), e = __eventloomTest.designer.cy.extent(); return p.x > e.x1 && p.x < e.x2 && p.y > e.y1 && p.y < e.y2; })()`
	}
	if far, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](inView("event:App24.Event0"))); far {
		t.Fatal("App24 is in view before using the minimap; the test proves nothing")
	}
	target := evalPoint(t, ctx, `(() => { const p = __eventloomTest.designer.cy.getElementById("event:App24.Event0").position(); return __eventloomTest.designer.minimap.toPage(p.x, p.y); })()`)
	do(t, ctx, "click the minimap", chromedp.MouseClickXY(target.X, target.Y))
	waitJS(t, ctx, inView("event:App24.Event0"))
	// Dragging on it carries the view along.
	back := evalPoint(t, ctx, `(() => { const p = __eventloomTest.designer.cy.getElementById("event:App00.Event0").position(); return __eventloomTest.designer.minimap.toPage(p.x, p.y); })()`)
	do(t, ctx, "drag on the minimap", drag(target, back))
	waitJS(t, ctx, inView("event:App00.Event0"))
	screenshot(t, ctx, "designer-25-apps-minimap")

	// Exports.
	do(t, ctx, "fit", chromedp.Click(chromedp.CSS(`#fit`)))
	do(t, ctx, "export SVG", chromedp.Click(chromedp.CSS(`[data-testid="export-svg"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.lastExport && __eventloomTest.designer.lastExport.type === "image/svg+xml"`)
	var svg struct {
		Size, Events, Apps, Edges int
		Valid                     bool
	}
	svg, err = chromedp.Run(ctx, chromedp.Evaluate[struct {
		Size, Events, Apps, Edges int
		Valid                     bool
	}](`(() => { const text = __eventloomTest.designer.toSVG(), doc = new DOMParser().parseFromString(text, "image/svg+xml");
		return {Size: __eventloomTest.designer.lastExport.size, Valid: !doc.querySelector("parsererror") && doc.documentElement.nodeName === "svg",
			Events: doc.querySelectorAll("g.event").length, Apps: doc.querySelectorAll("g.app").length, Edges: doc.querySelectorAll("g.edge").length}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if !svg.Valid || svg.Size < 10000 || svg.Events != 100 || svg.Apps != 25 || svg.Edges != 110 {
		t.Fatalf("SVG export: %+v; want a valid picture of 25 apps, 100 events, 110 arrows", svg)
	}
	do(t, ctx, "export PNG", chromedp.Click(chromedp.CSS(`[data-testid="export-png"]`)))
	waitJS(t, ctx, `__eventloomTest.designer.lastExport && __eventloomTest.designer.lastExport.type === "image/png" && __eventloomTest.designer.lastExport.size > 10000`)
}
