package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// paidDesign is Shop's public Paid event, handled by Shop itself and by
// Ledger (a flow that only logs).
const paidDesign = `{
 "apps":[{"name":"Shop"},{"name":"Ledger"}],
 "events":[{"app":"Shop","name":"Paid","public":true,"parameters":[
   {"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Decimal","mandatory":true},
   {"name":"At","type":"DateTime"}]}],
 "subscriptions":[
  {"app":"Ledger","event":"Shop.Paid","enabled":true,"handler":{"kind":"flow","steps":[{"type":"log","message":"paid {{ OrderId }}"}]}},
  {"app":"Shop","event":"Shop.Paid","enabled":true,"handler":{"kind":"flow","steps":[{"type":"log","message":"own {{ OrderId }}"}]}}]}`

// paidWithout is paidDesign as an import document with Shop.Paid's
// parameters replaced.
func paidWithout(params string) string {
	return `{"apps":[{"name":"Shop"},{"name":"Ledger"}],
 "events":[{"app":"Shop","name":"Paid","public":true,"parameters":` + params + `}],
 "subscriptions":[{"app":"Ledger","event":"Shop.Paid","enabled":true,"handler":{"kind":"flow","steps":[{"type":"log","message":"paid"}]}}]}`
}

// TestAPIBreakingChangeNeedsConfirmation: each kind of change that breaks
// a subscriber (a parameter removed, retyped or made mandatory; the event
// made private, deleted, or deleted with its producer; an import doing
// any of it) answers 409 breaking_change listing the subscription and
// why, with a message saying how to confirm, and changes nothing (no new
// version); the same request with ?confirm=breaking makes it. Each case
// starts from a fresh server.
func TestAPIBreakingChangeNeedsConfirmation(t *testing.T) {
	cases := []struct {
		name, method, path, body, reason string
	}{
		{"parameter removed", "PATCH", "/api/v1/apps/Shop/events/Paid",
			`{"parameters":[{"name":"OrderId","type":"Identifier","mandatory":true},{"name":"At","type":"DateTime"}]}`, "parameter Amount removed"},
		{"parameter retyped", "PATCH", "/api/v1/apps/Shop/events/Paid",
			`{"parameters":[{"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Text","mandatory":true},{"name":"At","type":"DateTime"}]}`, "parameter Amount retyped Decimal → Text"},
		{"parameter made mandatory", "PATCH", "/api/v1/apps/Shop/events/Paid",
			`{"parameters":[{"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Decimal","mandatory":true},{"name":"At","type":"DateTime","mandatory":true}]}`, "parameter At made mandatory"},
		{"event made private", "PATCH", "/api/v1/apps/Shop/events/Paid", `{"public":false}`, "event Shop.Paid made private"},
		{"event deleted", "DELETE", "/api/v1/apps/Shop/events/Paid", "", "event Shop.Paid deleted"},
		{"producer deleted", "DELETE", "/api/v1/apps/Shop", "", "event Shop.Paid deleted"},
		{"import removes a parameter", "PUT", "/api/v1/design",
			paidWithout(`[{"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Decimal","mandatory":true}]`), "parameter At removed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t, engine.Config{})
			if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, paidDesign); code != 200 {
				t.Fatalf("import = %d %v", code, body)
			}
			_, before, _ := s.call("GET", "/api/v1/design/versions", adminToken, "")
			code, body, _ := s.call(tc.method, tc.path, adminToken, tc.body)
			e, _ := body["error"].(map[string]any)
			if code != 409 || errCode(body) != "breaking_change" {
				t.Fatalf("%s %s = %d %v, want 409 breaking_change", tc.method, tc.path, code, body)
			}
			if got := mustJSONString(e["breaks"]); got != `[{"reason":"`+tc.reason+`","subscription":"Ledger:Shop.Paid"}]` {
				t.Fatalf("breaks = %s, want Ledger's subscription broken by %q", got, tc.reason)
			}
			if msg, _ := e["message"].(string); !strings.Contains(msg, "?confirm=breaking") || !strings.Contains(msg, "Ledger:Shop.Paid") {
				t.Fatalf("message %q does not name the subscription and how to confirm", msg)
			}
			_, after, _ := s.call("GET", "/api/v1/design/versions", adminToken, "")
			if mustJSONString(after) != mustJSONString(before) {
				t.Fatalf("a refused change made a version: %v", after)
			}
			_, d, _ := s.call("GET", "/api/v1/design", adminToken, "")
			if got := len(d["subscriptions"].([]any)); got != 2 || !strings.Contains(mustJSONString(d), `"name":"Amount","type":"Decimal"`) {
				t.Fatalf("a refused change changed the design: %v", d)
			}
			sep := "?"
			if strings.Contains(tc.path, "?") {
				sep = "&"
			}
			if code, body, _ := s.call(tc.method, tc.path+sep+"confirm=breaking", adminToken, tc.body); code >= 300 {
				t.Fatalf("confirmed %s %s = %d %v", tc.method, tc.path, code, body)
			}
			_, after, _ = s.call("GET", "/api/v1/design/versions", adminToken, "")
			if len(after["items"].([]any)) != len(before["items"].([]any))+1 {
				t.Fatalf("the confirmed change made no version: %v", after)
			}
		})
	}
}

// TestAPIBreakingChangeEdges: a dry-run import lists the breaks without
// refusing or changing anything; a change that breaks nobody needs no
// confirmation (an optional parameter added, an event only its producer
// handles deleted); a confirm value other than breaking is a 400 saying
// which one it takes.
func TestAPIBreakingChangeEdges(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, paidDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	doc := paidWithout(`[{"name":"OrderId","type":"Text","mandatory":true}]`)
	code, body, _ := s.call("PUT", "/api/v1/design?dryRun=true", adminToken, doc)
	want := `[{"reason":"parameter OrderId retyped Identifier → Text","subscription":"Ledger:Shop.Paid"},` +
		`{"reason":"parameter Amount removed","subscription":"Ledger:Shop.Paid"},{"reason":"parameter At removed","subscription":"Ledger:Shop.Paid"}]`
	if code != 200 || body["dryRun"] != true || mustJSONString(body["breaks"]) != want {
		t.Fatalf("dry-run import = %d %v; want the three breaks", code, body)
	}
	if code, body, _ := s.call("PUT", "/api/v1/design?dryRun=true", adminToken, paidDesign); code != 200 || mustJSONString(body["breaks"]) != `[]` {
		t.Fatalf("a dry run that breaks nothing = %d %v, want breaks []", code, body)
	}
	add := `{"parameters":[{"name":"OrderId","type":"Identifier","mandatory":true},{"name":"Amount","type":"Decimal","mandatory":true},{"name":"At","type":"DateTime"},{"name":"Note","type":"Text"}]}`
	if code, body, _ := s.call("PATCH", "/api/v1/apps/Shop/events/Paid", adminToken, add); code != 200 {
		t.Fatalf("an optional parameter added = %d %v, want 200 without confirmation", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events", adminToken, `{"name":"Refunded","parameters":[]}`); code != 201 {
		t.Fatalf("create Refunded = %d %v", code, body)
	}
	if code, body, _ := s.call("DELETE", "/api/v1/apps/Shop/events/Refunded", adminToken, ""); code != 204 {
		t.Fatalf("delete an event nobody else handles = %d %v, want 204", code, body)
	}
	code, body, _ = s.call("DELETE", "/api/v1/apps/Shop/events/Paid?confirm=yes", adminToken, "")
	e, _ := body["error"].(map[string]any)
	if msg, _ := e["message"].(string); code != 400 || e["field"] != "confirm" || !strings.Contains(msg, "breaking") {
		t.Fatalf("confirm=yes = %d %v, want 400 naming confirm=breaking", code, body)
	}
}

// TestConsoleBreakingNeedsConfirmation: the console's event editor
// answers a breaking save with 409 and the editor listing the break and
// a Save anyway button; the delete form is refused the same way until it
// sends confirm=breaking.
func TestConsoleBreakingNeedsConfirmation(t *testing.T) {
	s, c := pagesServer(t, engine.Config{}, paidDesign)
	form := url.Values{"name": {"Paid"}, "public": {"true"}, "pname": {"OrderId"}, "ptype": {"Identifier"}, "pmandatory0": {"true"}, "pos": {"1"}}
	resp, doc := c.send("POST", "/apps/Shop/events/Paid/edit", form, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(doc.Find(`[data-testid="break-Ledger:Shop.Paid"]`).Text(), "parameter Amount removed") ||
		doc.Find(`[data-testid="save-anyway"][name="confirm"][value="breaking"]`).Length() != 1 {
		t.Fatalf("breaking save = %d, breaks %q", resp.StatusCode, doc.Find(`[data-testid="breaks"]`).Text())
	}
	if resp, _ := c.send("POST", "/apps/Shop/events/Paid/delete", url.Values{}, nil); resp.StatusCode != http.StatusConflict {
		t.Fatalf("delete without confirmation = %d, want 409", resp.StatusCode)
	}
	if _, ev, _ := s.call("GET", "/api/v1/apps/Shop/events/Paid", adminToken, ""); len(ev["parameters"].([]any)) != 3 {
		t.Fatalf("a refused form changed the event: %v", ev)
	}
	form.Set("confirm", "breaking")
	if resp, _ := c.send("POST", "/apps/Shop/events/Paid/edit", form, nil); resp.StatusCode >= 400 {
		t.Fatalf("Save anyway = %d", resp.StatusCode)
	}
	if _, ev, _ := s.call("GET", "/api/v1/apps/Shop/events/Paid", adminToken, ""); len(ev["parameters"].([]any)) != 1 {
		t.Fatalf("Save anyway did not store the change: %v", ev)
	}
	if resp, _ := c.send("POST", "/apps/Shop/events/Paid/delete", url.Values{"confirm": {"breaking"}}, nil); resp.StatusCode >= 400 {
		t.Fatalf("confirmed delete = %d", resp.StatusCode)
	}
}
