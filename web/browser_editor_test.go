package web_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/eventloom/eventloom/engine"
)

// stepsIn scopes the step editor's selectors to where it is shown: the
// page itself ("") or the designer's side panel ("#side-body ").
type stepsIn string

func (r stepsIn) card(n int) string {
	return string(r) + `[data-step-list] > [data-step-card]:nth-child(` + strconv.Itoa(n) + `)`
}

// order is the step types of the cards as they stand, e.g. "log,trigger".
func (r stepsIn) order(t *testing.T, ctx context.Context) string {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('`+string(r)+`[data-step-list] > [data-step-card]')].map(c => c.dataset.type).join(",")`))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (r stepsIn) waitOrder(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitJS(t, ctx, `[...document.querySelectorAll('`+string(r)+`[data-step-list] > [data-step-card]')].map(c => c.dataset.type).join(",") === "`+want+`"`)
}

// add picks a step type from the editor's menu.
func (r stepsIn) add(typ string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS(string(r)+`[data-testid="step-menu"] > summary`)),
		chromedp.Click(chromedp.CSS(string(r)+`[data-testid="add-`+typ+`"]`)),
	)
}

// dragCard drags card from by its handle to the top edge of card to, with
// real mouse events (the editor listens to pointer events). With cancel,
// Escape is pressed once the card stands at to, before the release.
func (r stepsIn) dragCard(t *testing.T, ctx context.Context, from, to int, cancel bool) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('`+r.card(to)+`').scrollIntoView({block: "start"}); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	start := evalPoint(t, ctx, `(() => { const b = document.querySelector('`+r.card(from)+` [data-step-handle]').getBoundingClientRect(); return {x: b.left + b.width / 2, y: b.top + b.height / 2}; })()`)
	end := evalPoint(t, ctx, `(() => { const b = document.querySelector('`+r.card(to)+`').getBoundingClientRect(); return {x: b.left + 20, y: b.top + 4}; })()`)
	if hit, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.elementFromPoint(`+jsonNum(int64(start.X))+`, `+jsonNum(int64(start.Y))+`)?.closest("[data-step-handle]") === document.querySelector('`+r.card(from)+` [data-step-handle]')`)); !hit {
		t.Fatalf("the handle of step %d is not under the pointer at %v; the window is too small for this drag", from, start)
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, start.X, start.Y),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, start.X, start.Y, chromedp.ButtonLeft, chromedp.ClickCount(1), held),
	}
	for i := 1; i <= 10; i++ {
		f := float64(i) / 10
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, start.X+(end.X-start.X)*f, start.Y+(end.Y-start.Y)*f, chromedp.ButtonLeft, held))
	}
	if cancel {
		do(t, ctx, "drag step "+strconv.Itoa(from)+" to "+strconv.Itoa(to), steps...)
		waitJS(t, ctx, `!!document.querySelector('`+r.card(to)+`.dragging')`)
		steps = []chromedp.Action[chromedp.Void]{chromedp.KeyEvent(kb.Escape)}
	}
	steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, end.X, end.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	do(t, ctx, "drop step "+strconv.Itoa(from)+" at "+strconv.Itoa(to), steps...)
}

// storedSteps reads a subscription's flow back from the REST API.
func storedSteps(t *testing.T, s *apiServer, app, ref string) []map[string]any {
	t.Helper()
	code, body, _ := s.call("GET", "/api/v1/apps/"+app+"/subscriptions/"+ref, adminToken, "")
	if code != 200 {
		t.Fatalf("GET subscription %s of %s = %d %v", ref, app, code, body)
	}
	h, _ := body["handler"].(map[string]any)
	raw, _ := json.Marshal(h["steps"])
	var steps []map[string]any
	if err := json.Unmarshal(raw, &steps); err != nil {
		t.Fatal(err)
	}
	return steps
}

func stepTypesOf(steps []map[string]any) string {
	out := ""
	for i, st := range steps {
		if i > 0 {
			out += ","
		}
		out += st["type"].(string)
	}
	return out
}

// TestBrowserStepEditorCards edits a flow on the editor's own page: each
// card shows only its type's fields; steps of two kinds are added from the
// menu, reordered with the buttons (by mouse and keyboard) and by dragging,
// one is removed and restored with Undo, and the saved subscription holds
// the steps in the new order.
func TestBrowserStepEditorCards(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "open the editor",
		chromedp.EmulateViewport(1400, 900),
		chromedp.Navigate(s.url+"/apps/Stock/subscriptions/Shop.OrderPlaced/edit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-steps].js [data-step-handle]`)))
	var r stepsIn
	if got := r.order(t, ctx); got != "log,trigger" {
		t.Fatalf("cards = %q, want the stored log,trigger", got)
	}
	// Each card holds its own type's fields only; the trigger card has a
	// mapping row per parameter of the event it triggers.
	fields, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-step-card]')].map(c => [...c.querySelectorAll('input:not([type=hidden]), select')].map(i => i.name.split('.').slice(2).join('.')).join(' ')).join(' | ')`))
	if err != nil {
		t.Fatal(err)
	}
	if fields != "message when | event param.Sku when" {
		t.Fatalf("card fields = %q", fields)
	}
	if got := attr(t, ctx, r.card(2)+` [data-testid="mapping-Sku"] input`, "value"); got != "Sku" {
		t.Fatalf("the Sku mapping shows %q, want the stored Sku", got)
	}

	do(t, ctx, "add a wait and a fail step from the menu",
		r.add("wait"),
		chromedp.WaitVisible(chromedp.CSS(r.card(3)+` input[name$=".duration"]`)),
		chromedp.SendKeys(chromedp.CSS(r.card(3)+` input[name$=".duration"]`), "2s"),
		r.add("fail"),
		chromedp.WaitVisible(chromedp.CSS(r.card(4)+` input[name$=".probability"]`)),
		chromedp.SendKeys(chromedp.CSS(r.card(4)+` input[name$=".probability"]`), "0.25"),
		chromedp.SendKeys(chromedp.CSS(r.card(4)+` input[name$=".message"]`), "rehearsing a retry"))
	r.waitOrder(t, ctx, "log,trigger,wait,fail")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-step-card][data-type="wait"] [name$=".message"], [data-step-card][data-type="wait"] [name$=".event"]').length`)); n != 0 {
		t.Fatal("the wait card shows fields of other step types")
	}

	do(t, ctx, "move the fail step up with its button", chromedp.Click(chromedp.CSS(r.card(4)+` [data-testid="step-up"]`)))
	r.waitOrder(t, ctx, "log,trigger,fail,wait")
	do(t, ctx, "move the log step down from the keyboard",
		chromedp.Focus(chromedp.CSS(r.card(1)+` [data-testid="step-down"]`)),
		chromedp.KeyEvent(kb.Enter))
	r.waitOrder(t, ctx, "trigger,log,fail,wait")
	if focused, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement === document.querySelector('`+r.card(2)+` [data-testid="step-down"]')`)); !focused {
		t.Fatal("the moved card's button lost the focus; a keyboard user would have to find it again")
	}
	r.dragCard(t, ctx, 4, 1, false)
	r.waitOrder(t, ctx, "wait,trigger,log,fail")
	r.dragCard(t, ctx, 4, 2, true) // Escape puts the fail step back
	r.waitOrder(t, ctx, "wait,trigger,log,fail")
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".dragging").length`)); n != 0 {
		t.Fatal("a card still looks dragged after Escape")
	}

	do(t, ctx, "remove the trigger step",
		chromedp.Click(chromedp.CSS(r.card(2)+` [data-testid="step-remove"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-notice"]`)))
	r.waitOrder(t, ctx, "wait,log,fail")
	if msg := strings.Join(strings.Fields(text(t, ctx, `[data-testid="step-notice"]`)), " "); msg != "Removed step 2 (Trigger an event). Undo" {
		t.Fatalf("notice = %q", msg)
	}
	screenshot(t, ctx, "step-editor-removed")
	do(t, ctx, "undo", chromedp.Click(chromedp.CSS(`[data-testid="step-undo"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="step-notice"]`)))
	r.waitOrder(t, ctx, "wait,trigger,log,fail")
	if got := attr(t, ctx, r.card(2)+` [data-testid="mapping-Sku"] input`, "value"); got != "Sku" {
		t.Fatalf("the restored trigger step lost its mapping: %q", got)
	}
	screenshot(t, ctx, "step-editor-1400")
	do(t, ctx, "800 px wide", chromedp.EmulateViewport(800, 900))
	if over, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); over > 0 {
		t.Errorf("the editor scrolls sideways by %d px at 800 px", over)
	}
	screenshot(t, ctx, "step-editor-800")

	do(t, ctx, "save", chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	steps := storedSteps(t, s, "Stock", "Shop.OrderPlaced")
	if got := stepTypesOf(steps); got != "wait,trigger,log,fail" {
		t.Fatalf("stored steps = %q (%v), want wait,trigger,log,fail", got, steps)
	}
	if steps[0]["duration"] != "2s" || steps[1]["event"] != "Reserved" || steps[3]["probability"] != 0.25 || steps[3]["message"] != "rehearsing a retry" {
		t.Fatalf("stored steps lost a field: %v", steps)
	}
	if p, _ := steps[1]["parameters"].(map[string]any); p["Sku"] != "Sku" {
		t.Fatalf("stored trigger mapping = %v", steps[1]["parameters"])
	}
}

// TestBrowserStepEditorErrorsUnderTheirField saves a flow with broken
// expressions: each error shows under the field of the step it concerns,
// in the card of that step, and none at the top of the form.
func TestBrowserStepEditorErrorsUnderTheirField(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Stock/subscriptions/Shop.OrderPlaced/edit")
	signIn(t, ctx, s.url)
	var r stepsIn
	do(t, ctx, "break the trigger's mapping and the log's condition",
		chromedp.Navigate(s.url+"/apps/Stock/subscriptions/Shop.OrderPlaced/edit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-steps].js`)),
		chromedp.SetValue(chromedp.CSS(r.card(2)+` [data-testid="mapping-Sku"] input`), "Sku +"),
		chromedp.SendKeys(chromedp.CSS(r.card(1)+` input[name$=".when"]`), "Qty >"),
		chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-handler.steps[1].parameters.Sku"]`)))
	for _, c := range []struct{ err, field string }{
		{"handler.steps[1].parameters.Sku", r.card(2) + ` [data-testid="mapping-Sku"]`},
		{"handler.steps[0].when", r.card(1) + ` label:has(input[name$=".when"])`},
	} {
		in, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector('[data-testid="error-`+c.err+`"]'), f = document.querySelector('`+c.field+`'); return !!e && !!f && f.contains(e) && f.querySelector('input').getAttribute('aria-invalid') === 'true'; })()`))
		if err != nil || !in {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector('[data-testid="error-`+c.err+`"]'), f = document.querySelector('`+c.field+`'); return JSON.stringify([!!e, !!f, f && f.contains(e), f && f.querySelector('input').outerHTML]); })()`))
			t.Errorf("the error %s is not under its field %s (%v): %s", c.err, c.field, err, html)
		}
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="subscription-editor"] > .field-error, [data-steps] > .field-error').length`)); n != 0 {
		t.Errorf("%d errors at the top of the form; each belongs under its step's field", n)
	}
	if got := attr(t, ctx, r.card(2)+` [data-testid="mapping-Sku"] input`, "value"); got != "Sku +" {
		t.Fatalf("the refused form lost the typed mapping: %q", got)
	}
	screenshot(t, ctx, "step-editor-errors")
	if steps := storedSteps(t, s, "Stock", "Shop.OrderPlaced"); steps[0]["when"] != nil {
		t.Fatalf("a refused flow was stored: %v", steps)
	}
}

// TestBrowserStepEditorInSidePanel opens a subscription by clicking its
// edge on the designer: the step editor loaded into the side panel by
// htmx adds, reorders (button and drag), removes and restores steps, fits
// the panel, shows a refused save's error under its field in an editor
// that still works after the swap, and saves without leaving the page.
func TestBrowserStepEditorInSidePanel(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Stock/subscriptions/Shop.OrderPlaced/edit")
	do(t, ctx, "a wide window", chromedp.EmulateViewport(1400, 900))
	openDesigner(t, ctx, s.url)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage = true`)); err != nil {
		t.Fatal(err)
	}
	mid := evalPoint(t, ctx, `(() => { const e = __eventloomTest.designer.cy.getElementById("sub:Stock:Shop.OrderPlaced"), b = __eventloomTest.designer.cy.container().getBoundingClientRect(), p = e.renderedMidpoint(); return {x: b.left + p.x, y: b.top + p.y}; })()`)
	do(t, ctx, "click the edge", chromedp.MouseClickXY(mid.X, mid.Y),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-steps].js [data-step-handle]`)))
	r := stepsIn("#side-body ")
	r.waitOrder(t, ctx, "log,trigger")
	do(t, ctx, "add a wait step in the panel", r.add("wait"),
		chromedp.WaitVisible(chromedp.CSS(r.card(3)+` input[name$=".duration"]`)),
		chromedp.SendKeys(chromedp.CSS(r.card(3)+` input[name$=".duration"]`), "1s"),
		chromedp.Click(chromedp.CSS(r.card(3)+` [data-testid="step-up"]`)))
	r.waitOrder(t, ctx, "log,wait,trigger")
	r.dragCard(t, ctx, 3, 1, false)
	r.waitOrder(t, ctx, "trigger,log,wait")
	do(t, ctx, "remove and undo",
		chromedp.Click(chromedp.CSS(r.card(2)+` [data-testid="step-remove"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="step-notice"]`)))
	r.waitOrder(t, ctx, "trigger,wait")
	do(t, ctx, "undo", chromedp.Click(chromedp.CSS(`#side-body [data-testid="step-undo"]`)))
	r.waitOrder(t, ctx, "trigger,log,wait")
	if over, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const b = document.getElementById("side-body"); return b.scrollWidth - b.clientWidth; })()`)); over > 0 {
		t.Errorf("the step editor is %d px wider than the side panel", over)
	}
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`Math.round(document.getElementById("side").getBoundingClientRect().width)`)); w < 380 || w > 540 {
		t.Errorf("the side panel is %d px wide; the editor is laid out for about 420-520", w)
	}
	screenshot(t, ctx, "step-editor-side-panel")

	// A refused save swaps the editor in again with htmx: the error is
	// under its field and the new editor's cards work as before.
	do(t, ctx, "save a broken condition in the panel",
		chromedp.SendKeys(chromedp.CSS(r.card(3)+` input[name$=".when"]`), "Qty >"),
		chromedp.Click(chromedp.CSS(`#side-body [data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(r.card(3)+` label:has(input[name$=".when"]) [data-testid="error-handler.steps[2].when"]`)))
	waitJS(t, ctx, `!!document.querySelector('#side-body [data-steps].js')`)
	// The first field in error has the focus and shows in the panel.
	waitJS(t, ctx, `(() => { const a = document.activeElement, p = document.getElementById("side-body").getBoundingClientRect(), b = a.getBoundingClientRect(); return a.matches('`+r.card(3)+` input[name$=".when"]') && b.top >= p.top && b.bottom <= p.bottom; })()`)
	r.waitOrder(t, ctx, "trigger,log,wait")
	screenshot(t, ctx, "step-editor-side-panel-error")
	do(t, ctx, "fix it and move the wait step up in the swapped editor",
		chromedp.SetValue(chromedp.CSS(r.card(3)+` input[name$=".when"]`), "Qty > 1"),
		chromedp.Click(chromedp.CSS(r.card(3)+` [data-testid="step-up"]`)))
	r.waitOrder(t, ctx, "trigger,wait,log")
	do(t, ctx, "save in the panel", chromedp.Click(chromedp.CSS(`#side-body [data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#side-body [data-testid="flash"]`)))
	steps := storedSteps(t, s, "Stock", "Shop.OrderPlaced")
	if got := stepTypesOf(steps); got != "trigger,wait,log" || steps[1]["when"] != "Qty > 1" {
		t.Fatalf("stored steps = %q %v, want trigger,wait,log with the wait's condition", got, steps)
	}
	if same, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.samePage === true`)); !same {
		t.Fatal("saving in the panel reloaded the page")
	}
}

// TestBrowserStepEditorTriggerMappings adds a trigger step to a new
// subscription: picking its event from the keyboard shows a mapping row
// per parameter of that event; picking the go handler hides the steps and
// shows the handler's name; the flow saved holds the mapping.
func TestBrowserStepEditorTriggerMappings(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	var r stepsIn
	do(t, ctx, "a new subscription with a trigger step",
		chromedp.Navigate(s.url+"/apps/Stock/subscriptions/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-steps].js`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="subscription-editor"] select[name="event"]`), "Stock.Reserved"),
		chromedp.SendKeys(chromedp.CSS(r.card(1)+` input[name$=".message"]`), "reserved {{ Sku }}"),
		r.add("trigger"),
		chromedp.WaitVisible(chromedp.CSS(r.card(2)+` select[name$=".event"]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+r.card(2)+` [data-testid^="mapping-"]').length`)); n != 0 {
		t.Fatal("a trigger step with no event picked shows mapping rows")
	}
	do(t, ctx, "pick Reserved from the keyboard",
		chromedp.Focus(chromedp.CSS(r.card(2)+` select[name$=".event"]`)),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.WaitVisible(chromedp.CSS(r.card(2)+` [data-testid="mapping-Sku"] input`)),
		chromedp.SendKeys(chromedp.CSS(r.card(2)+` [data-testid="mapping-Sku"] input`), "Sku"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const k = document.querySelector('[data-handler-kind]'); k.value = "go"; k.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the go handler hides the steps", chromedp.WaitNotVisible(chromedp.CSS(`[data-steps]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="goname"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const k = document.querySelector('[data-handler-kind]'); k.value = "flow"; k.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "back to flow, save", chromedp.WaitVisible(chromedp.CSS(`[data-steps]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`input[name="goname"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	steps := storedSteps(t, s, "Stock", "Stock.Reserved")
	if p, _ := steps[len(steps)-1]["parameters"].(map[string]any); stepTypesOf(steps) != "log,trigger" || steps[1]["event"] != "Reserved" || p["Sku"] != "Sku" {
		t.Fatalf("stored steps = %v", steps)
	}
}

// TestBrowserStepEditorWithoutScript uses the editor with JavaScript
// disabled: the menu (a details element) adds a step, a card's buttons
// move and remove steps through the server, and Save stores the flow.
func TestBrowserStepEditorWithoutScript(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	var r stepsIn
	do(t, ctx, "open the editor without the script",
		chromedp.Navigate(s.url+"/apps/Stock/subscriptions/Shop.OrderPlaced/edit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-list"]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-steps].js").length`)); n != 0 {
		t.Fatal("the step script ran although scripts are disabled")
	}
	do(t, ctx, "add a wait step from the menu",
		r.add("wait"),
		chromedp.WaitVisible(chromedp.CSS(r.card(3)+` input[name$=".duration"]`)),
		chromedp.SendKeys(chromedp.CSS(r.card(3)+` input[name$=".duration"]`), "4s"),
		chromedp.Click(chromedp.CSS(r.card(3)+` [data-testid="step-up"]`)),
		chromedp.WaitVisible(chromedp.CSS(r.card(2)+`[data-type="wait"]`)))
	if got := attr(t, ctx, r.card(2)+` input[name$=".duration"]`, "value"); got != "4s" {
		t.Fatalf("the moved wait step lost its duration: %q", got)
	}
	do(t, ctx, "remove the log step",
		chromedp.Click(chromedp.CSS(r.card(1)+` [data-testid="step-remove"]`)),
		chromedp.WaitVisible(chromedp.CSS(r.card(1)+`[data-type="wait"]`)))
	if got := r.order(t, ctx); got != "wait,trigger" {
		t.Fatalf("cards = %q, want wait,trigger", got)
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced", adminToken, ""); code != 200 || stepTypesOf(storedSteps(t, s, "Stock", "Shop.OrderPlaced")) != "log,trigger" {
		t.Fatal("editing the cards saved the subscription before Save")
	}
	do(t, ctx, "save", chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	steps := storedSteps(t, s, "Stock", "Shop.OrderPlaced")
	if stepTypesOf(steps) != "wait,trigger" || steps[0]["duration"] != "4s" {
		t.Fatalf("stored steps = %v, want wait 4s then the trigger", steps)
	}
}
