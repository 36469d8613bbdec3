package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
)

// TestBrowserBulkReplayShowsProgress counts one subscription's dead
// deliveries on the Bulk actions page, replays them, and watches the
// progress bar advance batch by batch (the engine's fake clock releases
// each) to done; an empty filter is refused on the page first.
func TestBrowserBulkReplayShowsProgress(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	s := replayServer(t, engine.Config{Clock: clk, BulkBatchSize: 2, BulkPause: time.Second,
		HandlerTimeout: 24 * time.Hour, SweepInterval: 24 * time.Hour}, 5)
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	expectRefusal(ctx, 422, "/bulk")
	do(t, ctx, "an empty filter is refused",
		chromedp.Navigate(s.url+"/bulk"),
		chromedp.Click(chromedp.CSS(`[data-testid="bulk-count"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bulk-error"]`)),
	)
	if got := text(t, ctx, `[data-testid="bulk-error"]`); !strings.Contains(got, "needs a filter") {
		t.Fatalf("empty filter error = %q", got)
	}
	do(t, ctx, "count Mail's dead deliveries",
		chromedp.SetValue(chromedp.CSS(`[data-testid="bulk-subscription"]`), "Mail:Shop.Orders"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="bulk-status"]`), "dead"),
		chromedp.Click(chromedp.CSS(`[data-testid="bulk-count"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bulk-matched"][data-matched="5"]`)),
	)
	screenshot(t, ctx, "bulk-count")
	do(t, ctx, "replay them: the first batch",
		chromedp.Click(chromedp.CSS(`[data-testid="bulk-replay"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="bulk-job"] [data-testid="bulk-progress"]`)),
	)
	waitClockTimer(t, clk, clk.Now().Add(time.Second))
	waitJS(t, ctx, `document.querySelector('[data-testid="bulk-progress"]').value === 2 && document.querySelector('[data-testid="bulk-job"]').dataset.state === "running" && !!document.querySelector('[data-testid="bulk-cancel"]')`)
	screenshot(t, ctx, "bulk-progress")
	clk.Advance(time.Second)
	waitClockTimer(t, clk, clk.Now().Add(time.Second))
	waitJS(t, ctx, `document.querySelector('[data-testid="bulk-progress"]').value === 4`)
	clk.Advance(time.Second)
	waitJS(t, ctx, `document.querySelector('[data-testid="bulk-job"]').dataset.state === "done" && document.querySelector('[data-testid="bulk-progress"]').value === 5`)
	if got := text(t, ctx, `[data-testid="bulk-counts"]`); !strings.Contains(got, "5 done, 0 skipped") {
		t.Fatalf("final counts = %q", got)
	}
	if n := countJS(t, ctx, `[data-testid="bulk-cancel"]`); n != 0 {
		t.Fatalf("a finished action still offers Cancel")
	}
	screenshot(t, ctx, "bulk-done")
}
