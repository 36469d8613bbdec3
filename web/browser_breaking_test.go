package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/eventloom/eventloom/engine"
)

// TestBrowserEditorShowsBreaksAndNeedsSaveAnyway: removing a parameter
// Ledger receives, in the event editor, saves nothing: the editor comes
// back listing Ledger's subscription and why, with a "Save anyway"
// button; Enter's default button (Save event) still refuses; only Save
// anyway stores the change.
func TestBrowserEditorShowsBreaksAndNeedsSaveAnyway(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, paidDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 409, "/apps/Shop/events/Paid/edit")
	signIn(t, ctx, s.url)
	amount := func() bool {
		_, ev, _ := s.call("GET", "/api/v1/apps/Shop/events/Paid", adminToken, "")
		return strings.Contains(mustJSONString(ev["parameters"]), `"name":"Amount"`)
	}
	do(t, ctx, "remove Amount and save",
		chromedp.Navigate(s.url+"/apps/Shop/events/Paid/edit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="event-editor"]`)),
		chromedp.Click(chromedp.CSS(`input[name="premove1"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="event-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="breaks"]`)))
	if got := text(t, ctx, `[data-testid="break-Ledger:Shop.Paid"]`); !strings.Contains(got, "Ledger:Shop.Paid") || !strings.Contains(got, "parameter Amount removed") {
		t.Fatalf("the break listed = %q", got)
	}
	if !amount() {
		t.Fatal("the refused change was saved")
	}
	screenshot(t, ctx, "editor-breaks")
	// The form came back without Amount: saving it plainly again is
	// refused again.
	dropNotice := func() {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector('[data-testid="breaks"]').remove(), true)`)); err != nil {
			t.Fatal(err)
		}
	}
	dropNotice()
	do(t, ctx, "save again without confirming (Enter in a field)",
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="breaks"]`)))
	dropNotice()
	do(t, ctx, "and with the Save event button",
		chromedp.Click(chromedp.CSS(`[data-testid="event-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="breaks"]`)))
	if !amount() {
		t.Fatal("saving without the confirmation stored the change")
	}
	do(t, ctx, "save anyway",
		chromedp.Click(chromedp.CSS(`[data-testid="save-anyway"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if amount() {
		t.Fatal("Save anyway did not store the change")
	}
}
