package web_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/static"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium with every launch flag this
// machine needs in one place. Without Chromium the test fails in CI
// (CI is set) and is skipped only on a developer's machine.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Chromium at %s: CI must install it (.ci/run does)", chromiumPath)
		}
		t.Skipf("no Chromium at %s; install the chromium package to run browser tests", chromiumPath)
	}
	if missing := static.Missing(); len(missing) > 0 {
		t.Fatalf("the console's front-end bundle is missing from this build (%s), so no browser test can pass: run the tests with make test, which builds it (or %s)", strings.Join(missing, ", "), static.BuildCommand)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	errs := &pageErrors{}
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(errs.listen))
	// A bound on a stuck test, not a timing assertion: generous, so a busy
	// machine slows a test down without failing it (8 minutes were once
	// not enough for the 100-event design at a load of 45 on two cores).
	ctx, cancelTimeout := context.WithTimeout(ctx, 20*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// Registered after the cancels, so it runs before them: the page's
	// errors are read while the tab is still attached.
	t.Cleanup(func() {
		for _, e := range errs.unexpected() {
			t.Errorf("the page logged an error: %s", e)
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return context.WithValue(ctx, pageErrorsKey{}, errs)
}

// pageErrors collects what the page reports as an error: uncaught
// exceptions, console.error calls and error entries of the browser log
// (a failed request among them). Every browser test fails on any it did
// not declare with expectPageError.
type pageErrors struct {
	mu       sync.Mutex
	seen     []string
	expected []*regexp.Regexp
}

type pageErrorsKey struct{}

// listen runs in the tab's message loop: it only records.
func (p *pageErrors) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range e.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
	case *cdplog.EventEntryAdded:
		if e.Entry.Level != cdplog.EntryLevelError {
			return
		}
		msg = "log (" + string(e.Entry.Source) + "): " + e.Entry.Text + " " + e.Entry.URL
	default:
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, msg)
	p.mu.Unlock()
}

func (p *pageErrors) unexpected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
next:
	for _, m := range p.seen {
		for _, re := range p.expected {
			if re.MatchString(m) {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// expectRefusal declares a refusal the test provokes: the browser logs
// every 4xx answer as a failed resource, even when the page shows it as
// an inline error as intended.
func expectRefusal(ctx context.Context, status int, path string) {
	expectPageError(ctx, `status of `+strconv.Itoa(status)+` .*`+regexp.QuoteMeta(path)+`$`)
}

// expectPageError declares an error the test provokes on purpose (a
// refused request the page shows to the user, say), matched by pattern.
func expectPageError(ctx context.Context, pattern string) {
	p := ctx.Value(pageErrorsKey{}).(*pageErrors)
	p.mu.Lock()
	p.expected = append(p.expected, regexp.MustCompile(pattern))
	p.mu.Unlock()
}

// screenshot saves the page as an artifact for review (never committed).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := artifactsDir(t)
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 makes a PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// artifactsDir is where screenshots go: $ARTIFACTS_DIR, or artifacts/ at
// the repository root (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, a := range steps {
		steps[i] = fresh(a)
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// fresh runs a step again when the page's document was replaced between
// the step's query and its use of the node it found (Chrome then answers
// "Could not find node with given id", or "No node with given id found"
// when the page swapped the node out). This happens after a navigation
// when Chrome reports the new document late, more often on a busy
// machine; the node-based steps (click, keys, values) fail on it before
// they act, so running the step again, with a fresh query, is safe.
func fresh[T any](a chromedp.Action[T]) chromedp.Action[T] {
	return func(ctx context.Context, tg *chromedp.Target) (T, error) {
		for tries := 1; ; tries++ {
			v, err := a(ctx, tg)
			if err == nil || tries == 5 || !strings.Contains(err.Error(), "node with given id") {
				return v, err
			}
		}
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, fresh(chromedp.Text(chromedp.CSS(sel))))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func signIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, "sign in",
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), adminToken),
		chromedp.Click(chromedp.CSS(`[data-testid="signin-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="canvas"]`)),
	)
}

func TestBrowserConsoleSignedOutGoesToSignIn(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	ctx := newBrowser(t)
	expectRefusal(ctx, 401, "/signin")
	do(t, ctx, "open apps signed out",
		chromedp.Navigate(s.url+"/apps"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signin-form"]`)),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/signin?next=%2Fapps") {
		t.Fatalf("signed-out browser at %q (%v), want the sign-in page", loc, err)
	}
	screenshot(t, ctx, "signin")
	do(t, ctx, "wrong token",
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), "not-it"),
		chromedp.Click(chromedp.CSS(`[data-testid="signin-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signin-error"]`)),
	)
	signIn(t, ctx, s.url)
	do(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signin-form"]`)),
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signin-form"]`)),
	)
}

// TestBrowserConsoleJourney signs in, creates an app, triggers an event
// from its form and follows the delivery to success on the trace page,
// then submits an invalid value and a 2,001-character text and sees the
// inline errors with nothing stored.
func TestBrowserConsoleJourney(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps")
	expectRefusal(ctx, 422, "/apps/Shop/events/OrderPlaced/trigger")
	expectRefusal(ctx, 422, "/history?trace=abc")
	expectRefusal(ctx, 404, "/apps/Nope")
	signIn(t, ctx, s.url)
	do(t, ctx, "overview", chromedp.Navigate(s.url+"/overview"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="count-apps"]`)))
	screenshot(t, ctx, "overview")

	do(t, ctx, "create an app",
		chromedp.Navigate(s.url+"/apps"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="create-app"] input[name="name"]`), "Billing"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="create-app"] textarea[name="description"]`), "Bills customers."),
		chromedp.Click(chromedp.CSS(`[data-testid="create-app"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	if got := text(t, ctx, `[data-testid="flash"]`); !strings.Contains(got, "Created Billing") {
		t.Fatalf("flash after create = %q", got)
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Billing", adminToken, ""); code != 200 {
		t.Fatal("the app created in the browser is not in the API")
	}
	do(t, ctx, "duplicate app refused inline",
		chromedp.Navigate(s.url+"/apps"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="create-app"] input[name="name"]`), "Billing"),
		chromedp.Click(chromedp.CSS(`[data-testid="create-app"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-name"]`)),
	)
	screenshot(t, ctx, "apps")
	do(t, ctx, "app page", chromedp.Navigate(s.url+"/apps/Shop"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="app-events"]`)))
	screenshot(t, ctx, "app")

	do(t, ctx, "trigger from the form",
		chromedp.Navigate(s.url+"/apps/Shop/events/OrderPlaced"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Sku"]`), "A-1"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Qty"]`), "2"),
		chromedp.Click(chromedp.CSS(`[data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-link"]`)),
		// The start of the trace shows under the form.
		chromedp.WaitVisible(chromedp.CSS(`#trigger [data-testid="trace-tree"] [data-testid="trace-delivery-Stock"]`)),
	)
	screenshot(t, ctx, "event")
	do(t, ctx, "follow the trace",
		chromedp.Click(chromedp.CSS(`[data-testid="trace-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-delivery-Mail"][data-status="succeeded"]`)),
	)
	do(t, ctx, "timeline", chromedp.WaitVisible(chromedp.CSS(`[data-testid="timeline"] .tl-bar`)))
	if st := attr(t, ctx, `[data-testid="trace-delivery-Stock"]`, "data-status"); st != "succeeded" {
		t.Fatalf("Stock's delivery is %s on the trace page", st)
	}
	screenshot(t, ctx, "trace")

	_, body, _ := s.call("GET", "/api/v1/occurrences?event=Shop.OrderPlaced", adminToken, "")
	before := len(body["items"].([]any))
	do(t, ctx, "invalid values",
		chromedp.Navigate(s.url+"/apps/Shop/events/OrderPlaced"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="param-Sku"]`), strings.Repeat("x", 2001)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Qty"]`), "1.5"),
		chromedp.Click(chromedp.CSS(`[data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-Sku"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-Qty"]`)),
	)
	if got := text(t, ctx, `[data-testid="error-Sku"]`); !strings.Contains(got, "2001") || !strings.Contains(got, "2000") {
		t.Fatalf("Sku error = %q, want it to name 2001 and the limit 2000", got)
	}
	screenshot(t, ctx, "event-errors")
	_, body, _ = s.call("GET", "/api/v1/occurrences?event=Shop.OrderPlaced", adminToken, "")
	if after := len(body["items"].([]any)); after != before {
		t.Fatalf("%d occurrences after a refused trigger, want %d", after, before)
	}
	do(t, ctx, "history filtered by event and state",
		chromedp.Navigate(s.url+"/history"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="history-occurrences"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="history-filter"] select[name="event"]`), "Stock.Reserved"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="history-filter"] select[name="status"]`), "completed"),
		chromedp.Click(chromedp.CSS(`[data-testid="history-apply"]`)),
		// The filtered page renders the choice as selected.
		chromedp.WaitReady(chromedp.CSS(`[data-testid="history-filter"] option[value="Stock.Reserved"][selected]`)),
	)
	if got := text(t, ctx, `[data-testid="history-occurrences"] tbody`); !strings.Contains(got, "Stock.Reserved") || strings.Contains(got, "Shop.OrderPlaced") {
		t.Fatalf("filtered history = %q", got)
	}
	screenshot(t, ctx, "history")
	do(t, ctx, "a bad trace id is refused inline",
		chromedp.Navigate(s.url+"/history?trace=abc"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-trace"]`)),
	)
	do(t, ctx, "404 page", chromedp.Navigate(s.url+"/apps/Nope"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-message"]`)))
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	r, err := chromedp.Run(ctx, fresh(chromedp.AttributeValue(chromedp.CSS(sel), name)))
	if err != nil {
		t.Fatalf("%s of %s: %v", name, sel, err)
	}
	return r.Value
}

// TestBrowserConsoleReplayDeadLetter replays a dead delivery from the
// dead-letters page and sees it succeed.
func TestBrowserConsoleReplayDeadLetter(t *testing.T) {
	var calls atomic.Int32
	flaky := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("the ledger was offline")
		}
		return nil, nil
	}
	s := newAPIServer(t, engine.Config{MaxRetries: -1, Handlers: map[string]engine.Handler{"ledger": flaky}})
	for _, c := range []struct{ path, body string }{
		{"/api/v1/apps", `{"name":"Shop"}`},
		{"/api/v1/apps", `{"name":"Ledger"}`},
		{"/api/v1/apps/Shop/events", `{"name":"Paid","public":true,"parameters":[]}`},
		{"/api/v1/apps/Ledger/subscriptions", `{"event":"Shop.Paid","handler":{"kind":"go","name":"ledger"}}`},
	} {
		if code, body, _ := s.call("POST", c.path, adminToken, c.body); code != 201 {
			t.Fatalf("POST %s = %d %v", c.path, code, body)
		}
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", adminToken, `{}`); code != 202 {
		t.Fatal("trigger failed")
	}
	dead := waitNote(t, s, notify.DeliveryDead)
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	id := jsonNum(dead.DeliveryID)
	do(t, ctx, "dead letters page",
		chromedp.Navigate(s.url+"/dead"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dead-`+id+`"]`)),
	)
	screenshot(t, ctx, "dead-letters")
	do(t, ctx, "replay",
		chromedp.Click(chromedp.CSS(`[data-testid="replay-`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	waitNote(t, s, notify.DeliverySucceeded)
	_, body, _ := s.call("GET", "/api/v1/deliveries/"+id, adminToken, "")
	if body["status"] != "succeeded" || body["attempts"].(float64) != 2 {
		t.Fatalf("after replay the delivery is %v", body)
	}
}

func waitNote(t *testing.T, s *apiServer, kind notify.Kind) notify.Note {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case n := <-s.notes.C():
			if n.Kind == kind {
				return n
			}
		case <-deadline:
			t.Fatalf("no %s within 30s", kind)
		}
	}
}

// TestBrowserConsoleDesignsAnEventAndAFlow creates an event with
// parameters and a subscription with a flow in the editors; a broken
// expression is refused inline first.
func TestBrowserConsoleDesignsAnEventAndAFlow(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	for _, body := range []string{`{"name":"Shop"}`, `{"name":"Stock"}`} {
		if code, b, _ := s.call("POST", "/api/v1/apps", adminToken, body); code != 201 {
			t.Fatalf("create app = %d %v", code, b)
		}
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Stock/subscriptions/new")
	signIn(t, ctx, s.url)
	row := func(n int, field string) chromedp.CSS {
		return chromedp.CSS(`[data-testid="param-rows"] tbody tr:nth-child(` + jsonNum(int64(n)) + `) [name="` + field + `"]`)
	}
	do(t, ctx, "create an event with a parameter",
		chromedp.Navigate(s.url+"/apps/Shop"),
		chromedp.Click(chromedp.CSS(`[data-testid="new-event"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="event-editor"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="event-editor"] input[name="name"]`), "OrderPlaced"),
		chromedp.Click(chromedp.CSS(`[data-testid="event-editor"] input[name="public"]`)),
		chromedp.SendKeys(row(1, "pname"), "Sku"),
		chromedp.Click(row(1, "pmandatory0")),
		chromedp.Click(chromedp.CSS(`[data-testid="event-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-form"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="edit-event"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="event-editor"]`)),
		chromedp.SendKeys(row(2, "pname"), "Qty"),
		chromedp.SetValue(row(2, "ptype"), "Integer"),
		chromedp.Click(chromedp.CSS(`[data-testid="event-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="param-Qty"]`)),
	)
	_, body, _ := s.call("GET", "/api/v1/apps/Shop/events/OrderPlaced", adminToken, "")
	params, _ := body["parameters"].([]any)
	if len(params) != 2 || body["public"] != true || params[0].(map[string]any)["mandatory"] != true || params[1].(map[string]any)["type"] != "Integer" {
		t.Fatalf("event designed in the browser = %v", body)
	}
	step := chromedp.CSS(`[data-testid="step-card"]:nth-child(1) input[name$=".message"]`)
	do(t, ctx, "a broken expression is refused inline",
		chromedp.Navigate(s.url+"/apps/Stock"),
		chromedp.Click(chromedp.CSS(`[data-testid="new-subscription"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="subscription-editor"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="subscription-editor"] select[name="event"]`), "Shop.OrderPlaced"),
		chromedp.SendKeys(step, "reserving {{ Qty + }}"),
		chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="step-card"]:nth-child(1) [data-testid="error-handler.steps[0].message"]`)),
	)
	screenshot(t, ctx, "subscription-editor-error")
	if code, _, _ := s.call("GET", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced", adminToken, ""); code != 404 {
		t.Fatal("a refused subscription was stored")
	}
	do(t, ctx, "fix it and save",
		chromedp.SetValue(step, "reserving {{ Qty }} of {{ Sku }}"),
		chromedp.Click(chromedp.CSS(`[data-testid="subscription-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	)
	_, body, _ = s.call("GET", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced", adminToken, "")
	h, _ := body["handler"].(map[string]any)
	steps, _ := h["steps"].([]any)
	if len(steps) != 1 || steps[0].(map[string]any)["message"] != "reserving {{ Qty }} of {{ Sku }}" {
		t.Fatalf("subscription designed in the browser = %v", body)
	}
}

// TestBrowserConsoleFailedHTMXRequestShowsANotice submits the trigger form
// for an event deleted since the page loaded: htmx 4 swaps a 404 answer
// like any other, so the server retargets a notice to the layout's errors
// region and the form stays as it was, never a page inside the page.
func TestBrowserConsoleFailedHTMXRequestShowsANotice(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 404, "/apps/Shop/events/Audit/trigger")
	// The page's sparklines poll the event's series every few seconds:
	// once the event is deleted under the page, a poll may be refused too.
	expectRefusal(ctx, 404, "/stats/series?event=Shop.Audit&window=1h")
	signIn(t, ctx, s.url)
	do(t, ctx, "event page with htmx",
		chromedp.Navigate(s.url+"/apps/Shop/events/Audit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-form"]`)),
	)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!window.htmx`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("htmx did not load (run go generate ./static/...): %v", err)
	}
	if code, body, _ := s.call("DELETE", "/api/v1/apps/Shop/events/Audit", adminToken, ""); code != 204 {
		t.Fatalf("delete event = %d %v", code, body)
	}
	do(t, ctx, "trigger the deleted event",
		chromedp.Click(chromedp.CSS(`[data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#console-errors [data-testid="error-notice"]`)),
	)
	if got := text(t, ctx, `[data-testid="error-notice"]`); !strings.Contains(got, "Audit") {
		t.Fatalf("notice = %q, want it to name the missing event", got)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("header.top").length + document.querySelectorAll("[data-testid=trigger-form]").length`)); n != 2 {
		t.Fatalf("%d headers and trigger forms on the page, want one of each", n)
	}
	screenshot(t, ctx, "htmx-error-notice")
}

// TestBrowserConsoleNarrowWindow opens the main pages in a phone-sized
// window: none may scroll sideways, and each is saved for review.
func TestBrowserConsoleNarrowWindow(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "narrow window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, pg := range []struct{ name, path, ready string }{
		{"overview", "/overview", `[data-testid="count-apps"]`},
		{"apps", "/apps", `[data-testid="create-app"]`},
		{"app", "/apps/Shop", `[data-testid="app-events"]`},
		{"event", "/apps/Shop/events/OrderPlaced", `[data-testid="trigger-form"]`},
		{"history", "/history", `[data-testid="history-filter"]`},
		{"dead-letters", "/dead", `h1`},
	} {
		do(t, ctx, pg.name, chromedp.Navigate(s.url+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			t.Errorf("%s scrolls sideways by %d px in a 390 px window", pg.path, over)
		}
		screenshot(t, ctx, "narrow-"+pg.name)
	}
}
