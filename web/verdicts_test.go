package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestVerdictsOverAPIAndConsole: GET /api/v1/occurrences/{id}/verdicts
// and the console page answer for every app; an htmx request gets the
// table alone; an unknown occurrence is 404.
func TestVerdictsOverAPIAndConsole(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s, c := pagesServer(t, engine.Config{Handlers: map[string]engine.Handler{"ledger": ok}}, ledgerDesign)
	_, body, _ := s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", adminToken, `{"OrderId":"ord-1","Amount":3}`)
	occ := jsonNum(int64(body["occurrenceId"].(float64)))
	waitNote(t, s, notify.DeliverySucceeded)

	code, body, _ := s.call("GET", "/api/v1/occurrences/"+occ+"/verdicts", adminToken, "")
	vs, _ := body["verdicts"].([]any)
	if code != 200 || len(vs) != 2 {
		t.Fatalf("verdicts = %d %v", code, body)
	}
	got := map[string]string{}
	for _, v := range vs {
		m := v.(map[string]any)
		got[m["app"].(string)] = m["verdict"].(string) + ": " + m["reason"].(string)
	}
	if !strings.HasPrefix(got["Ledger"], "delivered: delivered at ") || got["Shop"] != "not_subscribed: Shop has no subscription to Shop.Paid" {
		t.Fatalf("verdicts = %v", got)
	}
	if code, body, _ := s.call("GET", "/api/v1/occurrences/999999/verdicts", adminToken, ""); code != 404 || errCode(body) != "not_found" {
		t.Fatalf("unknown occurrence = %d %v", code, body)
	}
	if code, _, _ := s.call("GET", "/api/v1/occurrences/"+occ+"/verdicts", "", ""); code != 401 {
		t.Fatalf("without credentials = %d, want 401", code)
	}

	resp, doc := c.send("GET", "/occurrences/"+occ+"/verdicts", nil, nil)
	if resp.StatusCode != http.StatusOK || doc.Find("h1").Length() != 1 {
		t.Fatalf("verdicts page = %d", resp.StatusCode)
	}
	if v := doc.Find(`[data-testid="verdict-Ledger"]`).AttrOr("data-verdict", ""); v != "delivered" {
		t.Fatalf("Ledger's verdict on the page = %q", v)
	}
	_, frag := c.send("GET", "/occurrences/"+occ+"/verdicts", nil, map[string]string{"HX-Request": "true"})
	if frag.Find("h1").Length() != 0 || frag.Find(`[data-testid="verdicts"]`).Length() != 1 {
		t.Fatal("the htmx answer is not the table alone")
	}
}

// TestAPISubscriptionFilter: a filter is set and changed over the API; one
// that does not type-check is refused with the field named, and an
// occurrence it drops answers "filtered" in its verdicts.
func TestAPISubscriptionFilter(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s, _ := pagesServer(t, engine.Config{Handlers: map[string]engine.Handler{"ledger": ok}}, ledgerDesign)
	code, body, _ := s.call("PATCH", "/api/v1/apps/Ledger/subscriptions/Shop.Paid", adminToken, `{"filter":"Amount > \"lots\""}`)
	if e, _ := body["error"].(map[string]any); code != 422 || e["field"] != "filter" || e["code"] != "expression" {
		t.Fatalf("a mistyped filter = %d %v", code, body)
	}
	if code, body, _ := s.call("PATCH", "/api/v1/apps/Ledger/subscriptions/Shop.Paid", adminToken, `{"filter":"Amount >= 100"}`); code != 200 || body["filter"] != "Amount >= 100" {
		t.Fatalf("set the filter = %d %v", code, body)
	}
	_, body, _ = s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", adminToken, `{"OrderId":"ord-1","Amount":3}`)
	if body["deliveries"] != float64(0) {
		t.Fatalf("a small payment = %v; want no delivery", body)
	}
	_, body, _ = s.call("GET", "/api/v1/occurrences/"+jsonNum(int64(body["occurrenceId"].(float64)))+"/verdicts", adminToken, "")
	if v := body["verdicts"].([]any)[0].(map[string]any); v["app"] != "Ledger" || v["verdict"] != "filtered" {
		t.Fatalf("verdicts = %v", body)
	}
}
