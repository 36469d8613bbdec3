package web_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// designControls are the controls that change the design, operate on
// deliveries or manage users, on every page a viewer can open.
const designControls = `[data-testid="create-app"], [data-testid="new-event"]:not([hidden]), [data-testid="new-subscription"],
	[data-testid="create-key"], [data-testid="revoke-key"], [data-testid="edit-app"], [data-testid="delete-app"], [data-testid="edit-event"],
	[data-testid="trigger-submit"], [data-testid="event-save"], [data-testid="subscription-save"], [data-testid="pause"],
	[data-testid="resume"], [data-testid="delete-subscription"], [data-testid="bulk"], [data-testid^="replay-"], [data-testid^="retry-"],
	main a[href$="/edit"], main form[method="post"]`

// TestBrowserViewerSeesNoDesignControls signs in as a viewer with a name
// and password and walks the designer, the apps, an app, an event, an
// editor and the dead letters: none shows a control the role may not
// use, the header names the viewer, and the users page is refused.
func TestBrowserViewerSeesNoDesignControls(t *testing.T) {
	fail := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("the mail server is down")
	}
	s := newAPIServer(t, engine.Config{MaxRetries: -1, Handlers: map[string]engine.Handler{"fail": fail}})
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/api/v1/design", shopDesign},
		{"POST", "/api/v1/apps/Mail/subscriptions", `{"event":"Shop.OrderPlaced","handler":{"kind":"go","name":"fail"}}`},
		{"POST", "/api/v1/apps/Shop/keys", ""},
		{"POST", "/api/v1/users", `{"name":"vera","role":"viewer","password":"` + rolePassword + `"}`},
		{"POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", `{"Sku":"A","Qty":1}`},
	} {
		if code, body, _ := s.call(c.method, c.path, adminToken, c.body); code >= 300 {
			t.Fatalf("%s %s = %d %v", c.method, c.path, code, body)
		}
	}
	dead := jsonNum(waitNote(t, s, notify.DeliveryDead).DeliveryID)

	ctx := newBrowser(t)
	do(t, ctx, "sign in as the viewer",
		chromedp.Navigate(s.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="signin-name"]`), "vera"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="signin-password"]`), rolePassword),
		chromedp.Click(chromedp.CSS(`[data-testid="signin-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="canvas"]`)),
	)
	if who := text(t, ctx, `[data-testid="signed-in-as"]`); !strings.Contains(who, "vera") || !strings.Contains(who, "viewer") {
		t.Fatalf("header says %q; want vera, viewer", who)
	}
	waitJS(t, ctx, `["connect", "arrange", "new-app", "new-event", "delete"].every((id) => { const b = document.getElementById(id); return b && b.hidden && b.offsetParent === null; })`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('nav a[href="/users"]').length`)); n != 0 {
		t.Fatal("the viewer's nav links to the users page")
	}
	screenshot(t, ctx, "viewer-designer")

	for _, pg := range []struct{ path, ready string }{
		{"/apps", `[data-testid="apps"]`},
		{"/apps/Shop", `[data-testid="app-events"]`},
		{"/apps/Shop/events/OrderPlaced", `[data-testid="signed-in-as"]`},
		{"/apps/Mail/subscriptions/Shop.OrderPlaced/edit", `[data-testid="subscription-editor"]`},
		{"/dead", `[data-testid="dead-` + dead + `"]`},
	} {
		do(t, ctx, "open "+pg.path, chromedp.Navigate(s.url+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		// The subscription editor is a form the viewer may read but not
		// post: only its save button is a control.
		sel := designControls
		if strings.HasSuffix(pg.path, "/edit") {
			sel = strings.ReplaceAll(sel, `, main form[method="post"]`, "")
		}
		found, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(`+"`"+sel+"`"+`)).map((e) => e.outerHTML.slice(0, 120)).join("\n")`))
		if err != nil || found != "" {
			t.Errorf("%s shows the viewer controls it may not use (%v):\n%s", pg.path, err, found)
		}
	}
	screenshot(t, ctx, "viewer-dead-letters")

	expectRefusal(ctx, 403, "/users")
	do(t, ctx, "users page", chromedp.Navigate(s.url+"/users"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-message"]`)))
	if msg := text(t, ctx, `[data-testid="error-message"]`); !strings.Contains(msg, "your role viewer may not manage users") {
		t.Fatalf("users page for a viewer says %q", msg)
	}
}
