package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// designerMark is what the canvas had done before a create: redraws,
// and position saves begun (counted when asked for, not when answered).
type designerMark struct{ Refreshes, Saving int }

func designerCounts(t *testing.T, ctx context.Context) designerMark {
	t.Helper()
	m, err := chromedp.Run(ctx, chromedp.Evaluate[designerMark](`({Refreshes: __eventloomTest.designer.refreshes, Saving: __eventloomTest.designer.saving})`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// assertCreatedInOnePost checks a create saved in the designer's side
// panel (after recordFetches, with before taken first): once the canvas
// has redrawn from the answer, it began no save of positions, the page
// sent exactly one request, the POST to path answered 200 (the panel's
// app page loads its own charts, GET /stats/series, which are not the
// save's), and the saved layout holds node where the canvas draws it.
func assertCreatedInOnePost(t *testing.T, ctx context.Context, s *apiServer, before designerMark, path, node string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`__eventloomTest.designer.refreshes > %d && window.sent.some((s) => s.startsWith("POST %s "))`, before.Refreshes, path))
	if after := designerCounts(t, ctx); after.Saving != before.Saving {
		t.Fatalf("creating %s began %d more save(s) of positions, want none: the create carries the position", node, after.Saving-before.Saving)
	}
	sent, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.sent.filter((s) => !s.startsWith("GET /stats/series "))`))
	if err != nil || len(sent) != 1 || sent[0] != "POST "+path+" 200" {
		t.Fatalf("creating %s sent %v (%v), want the one POST %s answered 200 and nothing else", node, sent, err, path)
	}
	_, body, _ := s.call("GET", "/api/v1/layout", adminToken, "")
	saved, _ := body["positions"].(map[string]any)
	p, _ := saved[node].(map[string]any)
	x, xok := p["x"].(float64)
	y, yok := p["y"].(float64)
	if !xok || !yok {
		t.Fatalf("the saved layout has no position for %s: %v", node, saved)
	}
	at := evalPoint(t, ctx, `__eventloomTest.designer.position("`+node+`")`)
	if at.X != x || at.Y != y {
		t.Fatalf("%s is drawn at %+v, saved at (%v, %v)", node, at, x, y)
	}
}
