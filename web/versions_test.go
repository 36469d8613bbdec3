package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/eventloom/eventloom/engine"
)

// TestAPIDesignVersions: each design change is a version (who, when,
// what); a version reads back with its design; the diff between two
// names each change and marks the breaking ones; bad numbers are 400.
func TestAPIDesignVersions(t *testing.T) {
	s, c := pagesServer(t, engine.Config{Handlers: map[string]engine.Handler{"ledger": nil}}, ledgerDesign)
	_, body, _ := s.call("GET", "/api/v1/design/versions", adminToken, "")
	items, _ := body["items"].([]any)
	if len(items) != 1 || !strings.HasPrefix(items[0].(map[string]any)["summary"].(string), "4 changes: create app Shop") {
		t.Fatalf("versions after the import = %v", body)
	}
	first := jsonNum(int64(items[0].(map[string]any)["version"].(float64)))
	patch := `{"parameters":[{"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Text","mandatory":true}]}`
	if code, body, _ := s.call("PATCH", "/api/v1/apps/Shop/events/Paid?confirm=breaking", adminToken, patch); code != 200 {
		t.Fatalf("retype Amount = %d %v", code, body)
	}
	_, body, _ = s.call("GET", "/api/v1/design/versions?limit=1", adminToken, "")
	newest := body["items"].([]any)[0].(map[string]any)
	if newest["actor"] != "admin token" || newest["summary"] != "update event Shop.Paid" || body["nextCursor"] == nil {
		t.Fatalf("newest version = %v", body)
	}
	code, body, _ := s.call("GET", "/api/v1/design/versions/"+first, adminToken, "")
	if d, _ := body["design"].(map[string]any); code != 200 || len(d["events"].([]any)) != 1 {
		t.Fatalf("version %s = %d %v", first, code, body)
	}
	_, body, _ = s.call("GET", "/api/v1/design/diff?from="+first, adminToken, "")
	changes, _ := body["changes"].([]any)
	if len(changes) != 1 {
		t.Fatalf("diff = %v", body)
	}
	ch := changes[0].(map[string]any)
	if ch["name"] != "Shop.Paid" || ch["breaking"] != true || mustJSONString(ch["breaks"]) != `["Ledger:Shop.Paid"]` ||
		!strings.Contains(mustJSONString(ch["details"]), "parameter Amount retyped Decimal → Text") || !strings.Contains(mustJSONString(ch["details"]), "parameter At removed") {
		t.Fatalf("the event's change = %v", ch)
	}
	for _, q := range []string{"", "?from=0", "?from=x", "?from=1&to=-2"} {
		if code, body, _ := s.call("GET", "/api/v1/design/diff"+q, adminToken, ""); code != 400 {
			t.Errorf("diff%s = %d %v, want 400", q, code, body)
		}
	}
	if code, _, _ := s.call("GET", "/api/v1/design/versions/999", adminToken, ""); code != 404 {
		t.Errorf("version 999 = %d, want 404", code)
	}

	resp, doc := c.send("GET", "/design/versions", nil, nil)
	if resp.StatusCode != http.StatusOK || doc.Find(`[data-testid^="version-"]`).Length() != 2 {
		t.Fatalf("versions page = %d with %d rows", resp.StatusCode, doc.Find(`[data-testid^="version-"]`).Length())
	}
}

func mustJSONString(v any) string { return string(mustJSON(v)) }

// TestBrowserDesignVersionDiff: from the versions page, the latest change
// opens as a diff that marks the breaking change and the subscriber it
// breaks.
func TestBrowserDesignVersionDiff(t *testing.T) {
	s := newAPIServer(t, engine.Config{Handlers: map[string]engine.Handler{"ledger": nil}})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, ledgerDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, body, _ := s.call("PATCH", "/api/v1/apps/Shop/events/Paid?confirm=breaking", adminToken, `{"parameters":[{"name":"OrderId","type":"Identifier","mandatory":true}]}`); code != 200 {
		t.Fatalf("drop Paid's Amount and At = %d %v", code, body)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, s.url)
	do(t, ctx, "open the versions and the latest diff",
		chromedp.Navigate(s.url+"/design/versions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="versions"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="versions"] tbody tr:first-child [data-testid="diff-previous"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="diff-event-Shop.Paid"][data-breaking="true"]`)),
	)
	if got := text(t, ctx, `[data-testid="diff-event-Shop.Paid"]`); !strings.Contains(got, "parameter Amount removed") || !strings.Contains(got, "Ledger:Shop.Paid") {
		t.Fatalf("the diff says %q", got)
	}
	screenshot(t, ctx, "versions-diff")
}
