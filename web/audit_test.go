package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// auditItems reads one page of GET /api/v1/audit with the query q.
func auditItems(t *testing.T, s *apiServer, q string) ([]map[string]any, string) {
	t.Helper()
	code, body, _ := s.call("GET", "/api/v1/audit?"+q, adminToken, "")
	if code != 200 {
		t.Fatalf("GET /api/v1/audit?%s = %d %v", q, code, body)
	}
	raw, _ := body["items"].([]any)
	var out []map[string]any
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	next, _ := body["nextCursor"].(string)
	return out, next
}

// TestAuditRecordsWhoDidWhat makes design changes, key changes and
// delivery operations over the API and reads them back from the audit
// log: newest first, each with its actor, action, target, time, client
// address and a summary, filterable and paged.
func TestAuditRecordsWhoDidWhat(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	steps := []struct{ method, path, body string }{
		{"PUT", "/api/v1/design", shopDesign},
		{"POST", "/api/v1/apps", `{"name":"Billing"}`},
		{"POST", "/api/v1/apps/Billing/keys", ""},
		{"POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/pause", ""},
		{"POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", `{"Sku":"A","Qty":2}`},
	}
	for _, st := range steps {
		if code, body, _ := s.call(st.method, st.path, adminToken, st.body); code >= 300 {
			t.Fatalf("%s %s = %d %v", st.method, st.path, code, body)
		}
	}
	code, body, _ := s.call("GET", "/api/v1/deliveries?app=Stock", adminToken, "")
	items, _ := body["items"].([]any)
	if code != 200 || len(items) != 1 {
		t.Fatalf("Stock's deliveries = %d %v; want the one paused delivery", code, body)
	}
	id := itoaF(items[0].(map[string]any)["id"])
	for _, op := range []string{"discard", "replay"} {
		if code, body, _ := s.call("POST", "/api/v1/deliveries/"+id+"/"+op, adminToken, ""); code != 200 {
			t.Fatalf("%s delivery %s = %d %v", op, id, code, body)
		}
	}

	// A refused change changes nothing, so it records nothing.
	if code, body, _ := s.call("POST", "/api/v1/apps", adminToken, `{"name":"Billing"}`); code != 409 {
		t.Fatalf("creating Billing twice = %d %v; want 409", code, body)
	}

	got, _ := auditItems(t, s, "")
	want := []struct{ action, target string }{
		{"delivery.replay", "delivery " + id},
		{"delivery.discard", "delivery " + id},
		{"subscription.pause", "Stock:Shop.OrderPlaced"},
		{"key.create", "Billing"},
		{"app.create", "Billing"},
		{"design.import", "design"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit = %v; want %d entries (a trigger and a refusal are no change)", got, len(want))
	}
	for i, w := range want {
		e := got[i]
		if e["action"] != w.action || e["target"] != w.target || e["actor"] != "admin token" || e["from"] != "127.0.0.1" || e["at"] == "" || e["detail"] == nil {
			t.Errorf("entry %d = %v; want %s of %s by the admin token from 127.0.0.1", i, e, w.action, w.target)
		}
	}
	if d, _ := got[5]["detail"].(map[string]any); d["count"] != float64(8) {
		t.Errorf("the import's detail = %v; want its count of 8 changes (3 apps, 3 events, 2 subscriptions)", got[5]["detail"])
	}
	if d, _ := got[0]["detail"].(map[string]any); d["status"] != "pending" {
		t.Errorf("the replay's detail = %v; want the delivery's new status pending", got[0]["detail"])
	}

	if only, _ := auditItems(t, s, "action=app.create"); len(only) != 1 || only[0]["target"] != "Billing" {
		t.Errorf("action=app.create = %v; want the one app creation", only)
	}
	if only, _ := auditItems(t, s, "target="+url.QueryEscape("delivery "+id)); len(only) != 2 {
		t.Errorf("target=delivery %s = %v; want its discard and replay", id, only)
	}
	if none, _ := auditItems(t, s, "actor=nobody"); len(none) != 0 {
		t.Errorf("actor=nobody = %v; want none", none)
	}
	if none, _ := auditItems(t, s, "since=2100-01-01T00:00:00Z"); len(none) != 0 {
		t.Errorf("since the future = %v; want none", none)
	}
	first, next := auditItems(t, s, "limit=4")
	if len(first) != 4 || next == "" {
		t.Fatalf("page one = %d entries, cursor %q; want 4 and a cursor", len(first), next)
	}
	rest, next := auditItems(t, s, "limit=4&cursor="+next)
	if len(rest) != 2 || next != "" || rest[0]["action"] != "app.create" {
		t.Fatalf("page two = %v, cursor %q; want the 2 oldest and no cursor", rest, next)
	}

	for _, c := range []struct{ q, field string }{{"since=yesterday", "since"}, {"cursor=-1", "cursor"}, {"limit=0", "limit"}} {
		code, body, _ := s.call("GET", "/api/v1/audit?"+c.q, adminToken, "")
		if code != 400 || errCode(body) != "bad_query" {
			t.Errorf("GET /api/v1/audit?%s = %d %v; want 400 bad_query naming %s", c.q, code, body, c.field)
		}
	}
	if code, _, _ := s.call("GET", "/api/v1/audit", "", ""); code != 401 {
		t.Errorf("the audit log without credentials = %d; want 401", code)
	}
	// The log cannot be edited over the API: no verb but GET exists.
	for _, m := range []string{"DELETE", "PUT", "PATCH", "POST"} {
		if code, _, _ := s.call(m, "/api/v1/audit", adminToken, ""); code < 400 {
			t.Errorf("%s /api/v1/audit = %d; want a refusal", m, code)
		}
	}
	if after, _ := auditItems(t, s, ""); len(after) != len(want) {
		t.Errorf("after the refused edits the log has %d entries; want %d", len(after), len(want))
	}
}

// itoaF formats a JSON number (a float64) as a whole number.
func itoaF(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// TestConsoleAuditPage: a change made in the console appears on the audit
// page (linked from the nav) with who made it; the filters narrow it and a
// malformed time is named beside its field.
func TestConsoleAuditPage(t *testing.T) {
	_, c := pagesServer(t, engine.Config{}, shopDesign)
	if resp, _ := c.send("POST", "/apps", url.Values{"name": {"Billing"}, "concurrency": {"10"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create app in the console = %d", resp.StatusCode)
	}
	resp, doc := c.send("GET", "/audit", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /audit = %d", resp.StatusCode)
	}
	if doc.Find(`nav a[href="/audit"]`).Length() != 1 {
		t.Error("the nav does not link the audit page")
	}
	rows := doc.Find(`[data-testid="audit-entry"]`)
	if rows.Length() != 2 {
		t.Fatalf("the audit page lists %d entries; want the import and the app creation", rows.Length())
	}
	first := rows.First()
	if a, tg, who := first.Find(`[data-testid="audit-action"]`).Text(), first.Find(`[data-testid="audit-target"]`).Text(), first.Find(`[data-testid="audit-actor"]`).Text(); a != "app.create" || tg != "Billing" || who != "admin token" {
		t.Fatalf("newest entry = %s %s by %s; want app.create Billing by admin token", a, tg, who)
	}
	_, doc = c.send("GET", "/audit?action=design.import", nil, nil)
	if n := doc.Find(`[data-testid="audit-entry"]`).Length(); n != 1 {
		t.Errorf("filtered by action, the page lists %d entries; want 1", n)
	}
	_, doc = c.send("GET", "/audit?actor=nobody", nil, nil)
	if doc.Find(`[data-testid="audit-empty"]`).Length() != 1 {
		t.Error("a filter matching nothing does not say so")
	}
	resp, doc = c.send("GET", "/audit?since=soon", nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find(`[data-testid="audit-filter"]`).Text(), "use a date and time") {
		t.Errorf("a malformed since = %d; want 422 with the field's error", resp.StatusCode)
	}
}
