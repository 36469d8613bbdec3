package web_test

import (
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestAPITriggerDryRun: ?dryRun=true checks the trigger like a real one,
// answers which subscriptions would get a delivery and what each flow
// would log and trigger, and stores and notifies nothing.
func TestAPITriggerDryRun(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger?dryRun=true", adminToken, `{"Sku":"A-1","Qty":2}`)
	if code != 200 || body["event"] != "Shop.OrderPlaced" {
		t.Fatalf("dry run = %d %v", code, body)
	}
	subs := body["subscriptions"].([]any)
	if len(subs) != 1 {
		t.Fatalf("subscriptions = %v, want Stock's", subs)
	}
	stock := subs[0].(map[string]any)
	steps := stock["steps"].([]any)
	if stock["app"] != "Stock" || stock["delivery"] != true || len(steps) != 2 {
		t.Fatalf("Stock's part = %v", stock)
	}
	if l := steps[0].(map[string]any); l["outcome"] != "log" || l["message"] != "reserving 2 of A-1" {
		t.Fatalf("log step = %v", l)
	}
	tr := steps[1].(map[string]any)
	if trig, _ := tr["trigger"].(map[string]any); tr["outcome"] != "trigger" || trig["event"] != "Reserved" {
		t.Fatalf("trigger step = %v", tr)
	}
	if _, b, _ := s.call("GET", "/api/v1/occurrences", adminToken, ""); len(b["items"].([]any)) != 0 {
		t.Fatalf("a dry run stored occurrences: %v", b)
	}
	select {
	case n := <-s.notes.C():
		t.Fatalf("a dry run notified %+v", n)
	default:
	}

	// Refusals are the real trigger's; a paused subscription says it waits.
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger?dryRun=true", adminToken, `{"Sku":"A-1"}`); code != 422 || errCode(body) == "" {
		t.Fatalf("a dry run missing Qty = %d %v, want 422", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger?dryRun=maybe", adminToken, `{}`); code != 400 {
		t.Fatalf("dryRun=maybe = %d %v, want 400", code, body)
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/pause", adminToken, ""); code != 200 && code != 204 {
		t.Fatalf("pause = %d", code)
	}
	_, body, _ = s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger?dryRun=true", adminToken, `{"Sku":"A-1","Qty":2}`)
	if note, _ := body["subscriptions"].([]any)[0].(map[string]any)["note"].(string); note == "" {
		t.Fatalf("a paused subscription's dry run = %v; want a note that it waits", body)
	}
}
