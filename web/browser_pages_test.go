package web_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/notify"
)

// waitNoteOf waits for a note of kind about delivery id.
func waitNoteOf(t *testing.T, s *apiServer, kind notify.Kind, id int64) notify.Note {
	t.Helper()
	for {
		if n := waitNote(t, s, kind); n.DeliveryID == id {
			return n
		}
	}
}

// waitClockTimer waits until the engine has a timer at exactly at, so
// moving the fake clock there fires it (moving it earlier would race with
// the engine computing the timer's delay from the time it read).
func waitClockTimer(t *testing.T, clk *clock.Fake, at time.Time) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		changed := clk.Changed()
		for _, x := range clk.Scheduled() {
			if x.Equal(at) {
				return
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no engine timer at %s within 30s (now %s)", at, clk.Now())
		}
	}
}

// TestBrowserPagesReplayShowsFreshScheduleLive replays a dead letter from
// the dead-letters page: the page shows the delivery waiting on a fresh
// retry schedule (its next attempt 2 minutes after the replayed run, not
// dead at once), then its success, live, without a reload. The engine runs
// on a fake clock, so the wait lasts exactly as long as the test says.
func TestBrowserPagesReplayShowsFreshScheduleLive(t *testing.T) {
	var calls atomic.Int32
	// Attempts 1 and 2 fail (dead after the one retry), the replayed
	// attempt 3 fails too, attempt 4 succeeds.
	ledger := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		if calls.Add(1) <= 3 {
			return nil, errors.New("the ledger was offline")
		}
		return nil, nil
	}
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	s := newAPIServer(t, engine.Config{Clock: clk, MaxRetries: 1, HandlerTimeout: 24 * time.Hour, SweepInterval: 24 * time.Hour,
		Handlers: map[string]engine.Handler{"ledger": ledger}})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, ledgerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", adminToken, `{"OrderId":"ord-9","Amount":40}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	failed := waitNote(t, s, notify.DeliveryFailed)
	waitClockTimer(t, clk, failed.NextAttemptAt)
	clk.Set(failed.NextAttemptAt)
	dead := waitNoteOf(t, s, notify.DeliveryDead, failed.DeliveryID)
	id := jsonNum(dead.DeliveryID)

	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "the trace of the dead delivery",
		chromedp.Navigate(s.url+"/traces/"+jsonNum(dead.TraceID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="timeline-row-`+id+`"][data-status="dead"] .tl-bar.s-dead`)),
	)
	if n := countJS(t, ctx, `[data-testid="timeline-row-`+id+`"] .tl-bar.s-failed`); n != 1 {
		t.Fatalf("the dead delivery's row shows %d failed attempts before the dead one, want 1", n)
	}
	if n := countJS(t, ctx, `[data-testid="attempt-outcome"].s-dead`); n != 1 {
		t.Fatalf("%d attempts labelled dead in the tree, want the last one", n)
	}
	screenshot(t, ctx, "pages-trace-dead")
	occ := jsonNum(dead.OccurrenceID)
	do(t, ctx, "why not delivered, in place",
		chromedp.Click(chromedp.CSS(`#occ-`+occ+` [data-testid="why"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#verdicts-`+occ+` [data-testid="verdict-Ledger"][data-verdict="dead"]`)),
	)
	if got := text(t, ctx, `#verdicts-`+occ+` [data-testid="verdict-Ledger"]`); !strings.Contains(got, "dead after 2 attempts; the last failed with: the ledger was offline") {
		t.Fatalf("Ledger's verdict = %q", got)
	}
	if got := text(t, ctx, `#verdicts-`+occ+` [data-testid="verdict-Shop"]`); !strings.Contains(got, "Shop has no subscription to Shop.Paid") {
		t.Fatalf("Shop's verdict = %q", got)
	}
	do(t, ctx, "dead letters page",
		chromedp.Navigate(s.url+"/dead"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dead-`+id+`"] [data-testid="dead-payload"]`)),
	)
	if got := text(t, ctx, `[data-testid="dead-`+id+`"] [data-testid="dead-event"]`); got != "Shop.Paid" {
		t.Fatalf("dead letter event = %q", got)
	}
	screenshot(t, ctx, "pages-dead-letters")

	do(t, ctx, "replay, then see it wait on a fresh schedule",
		chromedp.Click(chromedp.CSS(`[data-testid="replay-`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="replayed"]`)),
	)
	// The replayed run (attempt 3) fails; a fresh schedule retries it
	// after 2 minutes instead of declaring it dead again.
	again := waitNoteOf(t, s, notify.DeliveryFailed, dead.DeliveryID)
	if again.Attempt != 3 || !again.NextAttemptAt.Equal(clk.Now().Add(2*time.Minute)) {
		t.Fatalf("after the replay: attempt %d failed, next at %s; want attempt 3, next at %s", again.Attempt, again.NextAttemptAt, clk.Now().Add(2*time.Minute))
	}
	do(t, ctx, "mark the page, to prove no reload follows",
		chromedp.Evaluate[chromedp.Void](`window.noReload = true`),
	)
	do(t, ctx, "waiting, with its next attempt time",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="replayed-`+id+`"][data-status="retrying"] [data-testid="replayed-next"]`)),
	)
	// The row may be swapped by a live refresh between two reads, so the
	// text is waited for in one condition rather than read after.
	want := again.NextAttemptAt.UTC().Format("2006-01-02 15:04:05")
	waitJS(t, ctx, `(document.querySelector('[data-testid="replayed-`+id+`"] [data-testid="replayed-next"]')?.textContent || "").includes("next attempt at `+want+` UTC")`)
	screenshot(t, ctx, "pages-replay-waiting")

	waitClockTimer(t, clk, again.NextAttemptAt)
	clk.Set(again.NextAttemptAt)
	do(t, ctx, "its outcome, live",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="replayed-`+id+`"][data-status="succeeded"] [data-testid="replayed-outcome"]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="replayed"][data-running="false"]`)),
	)
	// Pushed by the live stream (a refresh asked for by a note of the
	// trace), not found by the slow 15 s poll.
	waitJS(t, ctx, `window.noReload === true && window.__eventloomTest.trace.notes >= 1 && window.__eventloomTest.trace.refreshes >= 2`)
	if got := text(t, ctx, `[data-testid="replayed-`+id+`"] [data-testid="replayed-outcome"]`); !strings.Contains(got, "succeeded at attempt 4") {
		t.Fatalf("outcome = %q", got)
	}
	screenshot(t, ctx, "pages-replay-succeeded")
}

// countJS counts the elements matching sel.
func countJS(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// TestBrowserPagesTraceShowsLogOutput triggers the shop chain and sees, on
// the trace page, what each flow's log step wrote under its attempt, and
// the timeline's time axis with a row per delivery.
func TestBrowserPagesTraceShowsLogOutput(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"B-7","Qty":3}`)
	if code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "trace with the log lines",
		chromedp.Navigate(s.url+"/traces/"+jsonNum(int64(body["traceId"].(float64)))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trace-delivery-Mail"][data-status="succeeded"] [data-testid="attempt-log"]`)),
	)
	if got := text(t, ctx, `[data-testid="trace-delivery-Stock"] [data-testid="attempt-log"]`); !strings.Contains(got, "reserving 3 of B-7") {
		t.Fatalf("Stock's attempt log = %q", got)
	}
	if got := text(t, ctx, `[data-testid="trace-delivery-Mail"] [data-testid="attempt-log"]`); !strings.Contains(got, "mail about B-7") {
		t.Fatalf("Mail's attempt log = %q", got)
	}
	if n := countJS(t, ctx, `[data-testid="timeline"] .tl-row[data-status]`); n != 2 {
		t.Fatalf("the timeline has %d delivery rows, want 2", n)
	}
	if n := countJS(t, ctx, `[data-testid="timeline-tick"]`); n < 2 {
		t.Fatalf("the time axis has %d ticks, want at least 2", n)
	}
	screenshot(t, ctx, "pages-trace-log")
}

// TestBrowserPagesEventRecentAndRememberedPayloads triggers from the event
// page's form: the recent occurrences list the new one without a reload,
// and only the accepted payload is remembered (a refused one is not).
func TestBrowserPagesEventRecentAndRememberedPayloads(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Shop/events/OrderPlaced/trigger")
	signIn(t, ctx, s.url)
	do(t, ctx, "trigger from the form",
		chromedp.Navigate(s.url+"/apps/Shop/events/OrderPlaced"),
		chromedp.Evaluate[chromedp.Void](`localStorage.clear(); window.noReload = true`),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Sku"]`), "A-1"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Qty"]`), "2"),
		chromedp.Click(chromedp.CSS(`[data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="triggered"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="recent"] tbody tr`)),
	)
	waitJS(t, ctx, `window.noReload === true`)
	if got := text(t, ctx, `[data-testid="triggered"]`); !strings.Contains(got, "with 1 delivery.") {
		t.Fatalf("triggered = %q", got)
	}
	waitJS(t, ctx, `JSON.parse(localStorage.getItem("eventloom:payloads:Shop.OrderPlaced") || "[]").length === 1`)
	do(t, ctx, "a refused payload",
		chromedp.SetValue(chromedp.CSS(`[data-testid="param-Qty"]`), "1.5"),
		chromedp.Click(chromedp.CSS(`[data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-Qty"]`)),
	)
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem("eventloom:payloads:Shop.OrderPlaced")`))
	if err != nil || strings.Contains(stored, "1.5") || !strings.Contains(stored, `"Qty":"2"`) {
		t.Fatalf("remembered payloads = %s (%v); want only the accepted one", stored, err)
	}
	if n := countJS(t, ctx, `[data-recent-for] button`); n != 1 {
		t.Fatalf("%d remembered payloads offered, want 1", n)
	}
	screenshot(t, ctx, "pages-event-recent")
}

// TestBrowserPagesDateTimeInTheBrowsersZone runs the browser in Paris: the
// DateTime input and the history filters name that zone, and 10:00 typed
// into the trigger form is stored as 08:00 UTC (summer time).
func TestBrowserPagesDateTimeInTheBrowsersZone(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s := newAPIServer(t, engine.Config{Handlers: map[string]engine.Handler{"ledger": ok}})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, ledgerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Paris"}); err != nil {
		t.Fatalf("set the browser's zone: %v", err)
	}
	signIn(t, ctx, s.url)
	do(t, ctx, "event page in Paris",
		chromedp.Navigate(s.url+"/apps/Shop/events/Paid"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="zone-At"]`)),
	)
	waitJS(t, ctx, `document.querySelector('[data-testid="zone-At"]').textContent === "Europe/Paris"`)
	do(t, ctx, "trigger at 10:00 Paris time",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-OrderId"]`), "o-1"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Amount"]`), "5"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="param-At"]`), "2026-07-01T10:00"),
		chromedp.Click(chromedp.CSS(`[data-testid="trigger-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="triggered"]`)),
	)
	screenshot(t, ctx, "pages-event-zone")
	_, body, _ := s.call("GET", "/api/v1/occurrences?event=Shop.Paid", adminToken, "")
	items := body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d occurrences, want 1", len(items))
	}
	if at := items[0].(map[string]any)["parameters"].(map[string]any)["At"]; at != "2026-07-01T08:00:00Z" {
		t.Fatalf("10:00 in Paris stored as %v, want 2026-07-01T08:00:00Z", at)
	}
	do(t, ctx, "history in Paris",
		chromedp.Navigate(s.url+"/history"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="zone-since"]`)),
	)
	waitJS(t, ctx, `document.querySelector('[data-testid="zone-since"]').textContent === "Europe/Paris" && document.querySelector('[data-testid="history-filter"] input[name="_tz"]').value === "Europe/Paris"`)
}

// TestBrowserPagesControlsLookUsable: a disabled button looks disabled
// (the designer's Delete before anything is selected), and the app colour
// picker is a real colour input wide enough to click, its hex shown beside
// it and kept current.
func TestBrowserPagesControlsLookUsable(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	waitJS(t, ctx, `(() => { const b = document.querySelector('[data-testid="delete"]'); const st = getComputedStyle(b);
		return b.disabled && Number(st.opacity) <= 0.6 && st.cursor === "not-allowed"; })()`)
	do(t, ctx, "apps page", chromedp.Navigate(s.url+"/apps"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="app-color"]`)))
	waitJS(t, ctx, `document.querySelector('[data-testid="app-color"]').getBoundingClientRect().width >= 40 &&
		document.querySelector('[data-testid="app-color-hex"]').textContent === document.querySelector('[data-testid="app-color"]').value`)
	do(t, ctx, "pick a colour",
		chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector('[data-testid="app-color"]'); c.value = "#ff8800"; c.dispatchEvent(new Event("input", {bubbles: true})); })()`),
	)
	waitJS(t, ctx, `document.querySelector('[data-testid="app-color-hex"]').textContent === "#ff8800"`)
	screenshot(t, ctx, "pages-apps-colour")
}

// TestBrowserPagesDryRunBesideTheTriggerForm: the Dry run button beside
// the trigger form shows what each subscriber would do, stores nothing,
// and a refused value is shown next to its field as for a trigger.
func TestBrowserPagesDryRunBesideTheTriggerForm(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	expectRefusal(ctx, 422, "/apps/Shop/events/OrderPlaced/trigger")
	signIn(t, ctx, s.url)
	do(t, ctx, "dry run from the form",
		chromedp.Navigate(s.url+"/apps/Shop/events/OrderPlaced"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Sku"]`), "A-1"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="param-Qty"]`), "2"),
		chromedp.Click(chromedp.CSS(`[data-testid="dry-run-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dry-run"] [data-testid="dry-run-Stock"]`)),
	)
	if got := text(t, ctx, `[data-testid="dry-run-Stock"]`); !strings.Contains(got, "reserving 2 of A-1") || !strings.Contains(got, "triggers Reserved with Sku=A-1") {
		t.Fatalf("Stock's dry run = %q", got)
	}
	screenshot(t, ctx, "pages-dry-run")
	if _, body, _ := s.call("GET", "/api/v1/occurrences", adminToken, ""); len(body["items"].([]any)) != 0 {
		t.Fatalf("a dry run from the console stored %v", body["items"])
	}
	do(t, ctx, "a refused dry run",
		chromedp.SetValue(chromedp.CSS(`[data-testid="param-Qty"]`), "1.5"),
		chromedp.Click(chromedp.CSS(`[data-testid="dry-run-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-Qty"]`)),
	)
}
