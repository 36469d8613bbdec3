package web_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eventloom/eventloom/engine"
)

// seriesRequests counts the requests the page has sent to a chart
// board's data URL (its series query, any window), read from the
// browser's own network record.
func seriesRequests(t *testing.T, ctx context.Context, query string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(
		`performance.getEntriesByType("resource").filter((e) => { const u = new URL(e.name); return u.pathname === "/stats/series" && u.search.startsWith("?" + %q); }).length`, query)))
	if err != nil {
		t.Fatalf("count requests to /stats/series?%s: %v", query, err)
	}
	return n
}

// sideBoard is the JS expression of the side panel's sparklines.
const sideBoard = `document.querySelector('#side-body [data-testid="sparklines"]')`

// waitSideBoardPolls waits until the side panel's board has drawn at
// least n more times than it had when called: two more draws of a board
// started after another stopped mean a whole poll interval passed.
func waitSideBoardPolls(t *testing.T, ctx context.Context, more int) {
	t.Helper()
	now, err := chromedp.Run(ctx, chromedp.Evaluate[string](sideBoard+`.dataset.updates || "0"`))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := strconv.Atoi(now)
	waitJS(t, ctx, fmt.Sprintf(`Number(%s.dataset.updates || 0) >= %d`, sideBoard, base+more))
}

// TestBrowserChartsStopWhenTheirBoardIsGone opens sparklines in the
// designer's side panel and proves a board polls only while it is on the
// page: one swapped out by the panel stops, one whose event is deleted
// says so and stops (one 404, not one per tick), and the board swapped
// in starts its own poll. "No further request" is read from the
// browser's network record after the next board drew twice more, so a
// whole poll interval went by in which the old board would have asked.
func TestBrowserChartsStopWhenTheirBoardIsGone(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	ctx := newBrowser(t)
	const gone = "event=Shop.Audit"
	expectRefusal(ctx, 404, "/stats/series?"+gone+"&window=1h")
	openDesigner(t, ctx, s.url)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`performance.setResourceTimingBufferSize(100000), true`)); err != nil {
		t.Fatal(err)
	}

	// A deleted event: its board says so and stops asking.
	clickNode(t, ctx, "event:Shop.Audit")
	waitJS(t, ctx, sideBoard+` && `+sideBoard+`.dataset.series.endsWith("`+gone+`") && `+sideBoard+`.dataset.updates === "1"`)
	if code, body, _ := s.call("DELETE", "/api/v1/apps/Shop/events/Audit", adminToken, ""); code != 204 {
		t.Fatalf("delete Shop.Audit = %d %v", code, body)
	}
	waitJS(t, ctx, sideBoard+`.dataset.stopped === "gone"`)
	if got := text(t, ctx, `#side-body [data-testid="chart-status"]`); got != "This event no longer exists: its charts stopped." {
		t.Fatalf("the deleted event's board says %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#side-body [data-testid="chart-status"].error').length`)); err != nil || n != 0 {
		t.Fatalf("the deleted event's board shows an error (%d, %v), not that it is gone", n, err)
	}
	asked := seriesRequests(t, ctx, gone)

	// The panel swaps in another page: its board starts its own poll.
	const mail = "app=Mail"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.oldBoard = `+sideBoard+`, true`)); err != nil {
		t.Fatal(err)
	}
	clickNode(t, ctx, "app:Mail")
	waitJS(t, ctx, sideBoard+` && `+sideBoard+`.dataset.series.endsWith("`+mail+`") && Number(`+sideBoard+`.dataset.updates) >= 1 && !window.oldBoard.isConnected`)
	waitSideBoardPolls(t, ctx, 2)
	if now := seriesRequests(t, ctx, gone); now != asked {
		t.Fatalf("the deleted event's board asked %d times after it stopped", now-asked)
	}

	// The panel swaps the app out: its board stops at its next tick.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.oldBoard = `+sideBoard+`, true`)); err != nil {
		t.Fatal(err)
	}
	clickNode(t, ctx, "event:Shop.OrderPlaced")
	waitJS(t, ctx, `window.oldBoard.dataset.stopped === "removed" && `+sideBoard+` && `+sideBoard+`.dataset.series.endsWith("event=Shop.OrderPlaced")`)
	waitSideBoardPolls(t, ctx, 1) // an answer still on its way when the board left has landed
	asked = seriesRequests(t, ctx, mail)
	waitSideBoardPolls(t, ctx, 2)
	if now := seriesRequests(t, ctx, mail); now != asked {
		t.Fatalf("the app's board asked %d more times after the panel swapped it out", now-asked)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-charts]").length`)); err != nil || n != 1 {
		t.Fatalf("the page holds %d chart boards (%v), want the panel's one", n, err)
	}
}
