package templates_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/templates"
)

func doc(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var page = templates.Page{Title: "T", SignedIn: true}

func TestOverviewEmptyStateSaysWhatToDo(t *testing.T) {
	d := doc(t, templates.Overview(page, templates.OverviewProps{}))
	if d.Find(`[data-testid="count-apps"]`).Text() != "0" || d.Find(`a[href="/apps"]:contains("Create the first app")`).Length() != 1 {
		t.Fatal("an empty overview does not point to creating an app")
	}
}

func TestAppPageShowsANewKeyOnce(t *testing.T) {
	p := templates.AppProps{App: design.App{Name: "Shop"}, NewKey: "elk_secret", Keys: []templates.KeyRow{{ID: 1, Prefix: "elk_sec", CreatedAt: time.Now()}}}
	d := doc(t, templates.AppPage(page, p))
	if d.Find(`[data-testid="new-key"]`).Text() != "elk_secret" {
		t.Fatal("the new key is not shown")
	}
	p.NewKey = ""
	d = doc(t, templates.AppPage(page, p))
	if d.Find(`[data-testid="new-key"]`).Length() != 0 || d.Find(`[data-testid="keys"] code`).Text() != "elk_sec…" {
		t.Fatal("a key is shown beyond its prefix after creation")
	}
}

func TestTriggerFormInputsFitTypes(t *testing.T) {
	ev := design.Event{App: "Shop", Name: "Placed", Parameters: []design.Parameter{
		{Name: "Qty", Type: design.Integer, Mandatory: true}, {Name: "Paid", Type: design.Boolean},
		{Name: "On", Type: design.Date}, {Name: "At", Type: design.DateTime}, {Name: "Mail", Type: design.Email}, {Name: "Note", Type: design.Text},
	}}
	d := doc(t, templates.TriggerForm(templates.EventProps{Event: ev, MaxTextLength: 2000, MaxPayloadBytes: 10240,
		Errors: templates.FieldErrors{"Qty": "Qty must be a whole number"}, Form: map[string]string{"Qty": "x"}}))
	for sel, typ := range map[string]string{"Qty": "number", "Paid": "checkbox", "On": "date", "At": "datetime-local", "Mail": "email"} {
		if got, _ := d.Find(`[data-testid="param-` + sel + `"]`).Attr("type"); got != typ {
			t.Errorf("%s input type = %q, want %q", sel, got, typ)
		}
	}
	if n, _ := d.Find(`[data-testid="param-Note"]`).Attr("data-maxlength"); n != "2000" {
		t.Error("Text has no character counter to 2000")
	}
	if inv, _ := d.Find(`[data-testid="param-Qty"]`).Attr("aria-invalid"); inv != "true" || d.Find(`[data-testid="error-Qty"]`).Length() != 1 {
		t.Error("the field error is not shown next to its field")
	}
	if d.Find(`label:contains("Qty") .req`).Length() != 1 {
		t.Error("a mandatory parameter is not marked")
	}
}

func TestTraceRefreshesOnlyWhileRunning(t *testing.T) {
	running := doc(t, templates.TraceTree(templates.TraceProps{TraceID: 3, Running: true}))
	if v, _ := running.Find(`#trace-tree`).Attr("hx-trigger"); v == "" {
		t.Fatal("a running trace does not refresh itself")
	}
	done := doc(t, templates.TraceTree(templates.TraceProps{TraceID: 3}))
	if _, ok := done.Find(`#trace-tree`).Attr("hx-trigger"); ok {
		t.Fatal("a finished trace keeps polling")
	}
}

func TestDeadLettersOffersTheRightActions(t *testing.T) {
	props := templates.DeadProps{
		CanOperate: true,
		Deliveries: []templates.DeliveryRow{{Delivery: delivery.Delivery{ID: 7, Status: delivery.Dead, App: "Mail"}}},
		Waiting:    []templates.DeliveryRow{{Delivery: delivery.Delivery{ID: 8, Status: delivery.Retrying, App: "Mail"}}},
	}
	d := doc(t, templates.DeadLetters(page, props))
	if d.Find(`[data-testid="replay-7"]`).Length() != 1 || d.Find(`[data-testid="retry-8"]`).Length() != 1 || d.Find(`[data-testid="replay-8"]`).Length() != 0 {
		t.Fatal("dead letters offer replay to the dead one and retry-now to the waiting one only")
	}
	// A role that may not operate sees the dead letters without buttons.
	props.CanOperate = false
	if d := doc(t, templates.DeadLetters(page, props)); d.Find(`[data-testid="dead-7"]`).Length() != 1 || d.Find("main form").Length() != 0 {
		t.Fatal("dead letters offer replay, retry or discard to a role that may not operate")
	}
	empty := doc(t, templates.DeadLetters(page, templates.DeadProps{}))
	if empty.Find(`[data-testid="dead-empty"]`).Length() != 1 {
		t.Fatal("no empty state")
	}
}

func TestSignedOutLayoutHasNoNav(t *testing.T) {
	d := doc(t, templates.SignIn(templates.Page{Title: "Sign in"}, templates.SignInForm{Next: "/apps"}))
	if d.Find("nav").Length() != 0 || d.Find(`input[name="next"]`).AttrOr("value", "") != "/apps" {
		t.Fatal("sign-in page shows the nav or loses where to return")
	}
}

func TestErrorNoticeShowsARefusalOrOnlyARequestID(t *testing.T) {
	d := doc(t, templates.ErrorNotice("There is no event Shop.Audit.", ""))
	if got := d.Find(`[data-testid="error-notice"]`).Text(); got != "There is no event Shop.Audit." || d.Find(`[data-testid="request-id"]`).Length() != 0 {
		t.Fatalf("refusal notice = %q", got)
	}
	d = doc(t, templates.ErrorNotice("sql: database is closed", "req-42"))
	if d.Find(`[data-testid="request-id"]`).Text() != "req-42" || strings.Contains(d.Text(), "sql") {
		t.Fatalf("unknown-error notice = %q; want the request id and nothing else", d.Text())
	}
	if d.Find("header, nav, title").Length() != 0 {
		t.Fatal("a notice is a fragment, not a page")
	}
}

func TestErrorPageHeadingFitsTheRefusal(t *testing.T) {
	d := doc(t, templates.ErrorPage(page, "Error", "Shop still handles Stock.Reserved."))
	if d.Find("h1").Text() != "Error" || d.Find(`[data-testid="error-message"]`).Text() != "Shop still handles Stock.Reserved." || d.Find(`#console-errors`).Length() != 1 {
		t.Fatal("the error page does not show its heading, its message and the errors region")
	}
}

// TestMissingBundleIsABannerWithTheFix: a build without the front-end
// bundle says so on every page, with the command that fixes it.
func TestMissingBundleIsABannerWithTheFix(t *testing.T) {
	p := page
	p.BundleMissing = []string{"dist/designer.js"}
	d := doc(t, templates.Overview(p, templates.OverviewProps{}))
	b := d.Find(`[data-testid="bundle-missing"]`)
	if b.Length() != 1 || !strings.Contains(b.Text(), "dist/designer.js") || !strings.Contains(b.Text(), "make run") {
		t.Fatalf("banner = %q; want it to name the missing file and make run", b.Text())
	}
	if doc(t, templates.Overview(page, templates.OverviewProps{})).Find(`[data-testid="bundle-missing"]`).Length() != 0 {
		t.Fatal("a complete build shows the missing-bundle banner")
	}
}
