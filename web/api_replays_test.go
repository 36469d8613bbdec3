package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/notify"
)

// replayDesign: every Orders occurrence gets a delivery to Mail and one to
// Stock, each of whose flows fails (dead at once with MaxRetries -1).
const replayDesign = `{
 "apps":[{"name":"Shop"},{"name":"Mail"},{"name":"Stock"}],
 "events":[{"app":"Shop","name":"Orders","public":true,"parameters":[
   {"name":"Note","type":"Text","mandatory":true},{"name":"Amount","type":"Integer"}]}],
 "subscriptions":[
  {"app":"Mail","event":"Shop.Orders","enabled":true,"handler":{"kind":"flow","steps":[{"type":"fail","message":"mail is down"}]}},
  {"app":"Stock","event":"Shop.Orders","enabled":true,"handler":{"kind":"flow","steps":[{"type":"fail","message":"stock is down"}]}}
 ]}`

// replayServer serves replayDesign with n orders (Amount 1..n) whose 2n
// deliveries are dead.
func replayServer(t *testing.T, cfg engine.Config, n int) *apiServer {
	t.Helper()
	cfg.MaxRetries = -1
	s := newAPIServer(t, cfg)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, replayDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	for i := 1; i <= n; i++ {
		if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/Orders/trigger", adminToken, fmt.Sprintf(`{"Note":"o%d","Amount":%d}`, i, i)); code != 202 {
			t.Fatalf("trigger = %d %v", code, body)
		}
	}
	for range 2 * n {
		waitNote(t, s, notify.DeliveryDead)
	}
	return s
}

func num(body map[string]any, key string) int {
	f, _ := body[key].(float64)
	return int(f)
}

// TestAPIReplaysCountThenAct: a dry run counts what a filter selects
// (payload conditions and one subscription included) and changes nothing;
// the action then replays exactly those, skips deliveries its action does
// not apply to, and is audited; empty and malformed filters are refused.
func TestAPIReplaysCountThenAct(t *testing.T) {
	s := replayServer(t, engine.Config{}, 4)
	counts := []struct {
		name, body string
		matched    int
	}{
		{"dead of the event", `{"filter":{"event":"Shop.Orders","status":"dead"},"action":"replay","dryRun":true}`, 8},
		{"one subscription", `{"filter":{"status":"dead"},"subscription":"Mail:Shop.Orders","action":"replay","dryRun":true}`, 4},
		{"payload range", `{"filter":{"status":"dead","param.Amount":"2..3"},"action":"replay","dryRun":true}`, 4},
		{"payload number and app", `{"filter":{"app":"Stock","param.Amount":4},"action":"discard","dryRun":true}`, 1},
		{"none dead after", `{"filter":{"since":"2099-01-01T00:00:00Z"},"action":"replay","dryRun":true}`, 0},
	}
	for _, c := range counts {
		t.Run("count "+c.name, func(t *testing.T) {
			code, body, _ := s.call("POST", "/api/v1/replays", adminToken, c.body)
			if code != 200 || num(body, "matched") != c.matched || len(body) != 1 {
				t.Fatalf("POST %s = %d %v, want 200 {matched: %d}", c.body, code, body, c.matched)
			}
		})
	}
	refusals := []struct{ name, body, code, field string }{
		{"empty filter", `{"filter":{},"action":"replay"}`, "empty_filter", "filter"},
		{"empty filter on a dry run", `{"filter":{"status":""},"action":"replay","dryRun":true}`, "empty_filter", "filter"},
		{"no filter", `{"action":"discard"}`, "empty_filter", "filter"},
		{"unknown filter member", `{"filter":{"stauts":"dead"},"action":"replay"}`, "bad_filter", "filter.stauts"},
		{"bad status", `{"filter":{"status":"gone"},"action":"replay"}`, "bad_filter", "filter.status"},
		{"bad since", `{"filter":{"since":"yesterday"},"action":"replay"}`, "bad_filter", "filter.since"},
		{"bad action", `{"filter":{"status":"dead"},"action":"redo"}`, "bad_action", "action"},
		{"bad payload condition", `{"filter":{"param.Amount":"many"},"action":"replay"}`, "bad_param_filter", "param.Amount"},
		{"bad subscription", `{"filter":{"status":"dead"},"subscription":"Mail","action":"replay"}`, "bad_subscription", "subscription"},
		{"unknown body member", `{"filter":{"status":"dead"},"action":"replay","dry":true}`, "malformed_json", ""},
	}
	for _, c := range refusals {
		t.Run("refuses "+c.name, func(t *testing.T) {
			code, body, _ := s.call("POST", "/api/v1/replays", adminToken, c.body)
			e, _ := body["error"].(map[string]any)
			if code != 400 || e["code"] != c.code || (c.field != "" && e["field"] != c.field) || e["message"] == "" {
				t.Fatalf("POST %s = %d %v, want 400 %s on %q", c.body, code, body, c.code, c.field)
			}
		})
	}
	if code, body, _ := s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"status":"dead"},"subscription":"Nobody:Shop.Orders","action":"replay"}`); code != 404 {
		t.Fatalf("an unknown subscription = %d %v, want 404", code, body)
	}
	// Nothing was replayed by the dry runs or refusals.
	if code, body, _ := s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"status":"dead"},"action":"replay","dryRun":true}`); code != 200 || num(body, "matched") != 8 {
		t.Fatalf("dead after the dry runs = %d %v, want 8", code, body)
	}

	code, body, h := s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"status":"dead","param.Amount":"..2"},"subscription":"Mail:Shop.Orders","action":"replay"}`)
	id, _ := body["id"].(string)
	if code != 202 || id == "" || num(body, "matched") != 2 || h.Get("Location") != "/api/v1/replays/"+id {
		t.Fatalf("start = %d %v (Location %q), want 202 with an id and matched 2", code, body, h.Get("Location"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.eng.BulkWait(ctx, id); err != nil {
		t.Fatal(err)
	}
	code, body, _ = s.call("GET", "/api/v1/replays/"+id, adminToken, "")
	if code != 200 || body["state"] != "done" || body["action"] != "replay" || num(body, "matched") != 2 || num(body, "done") != 2 ||
		num(body, "skipped") != 0 || num(body, "failed") != 0 || body["finishedAt"] == nil || body["actor"] != "admin token" {
		t.Fatalf("GET replay = %d %v, want done with 2 replayed", code, body)
	}
	// The two replayed Mail deliveries ran again (and died again); the
	// Stock ones and Mail's of orders 3 and 4 were left alone.
	for range 2 {
		waitNote(t, s, notify.DeliveryDead)
	}
	_, body, _ = s.call("GET", "/api/v1/deliveries?app=Mail&status=dead&param.Amount=..2", adminToken, "")
	for _, it := range body["items"].([]any) {
		if a := it.(map[string]any)["attempts"].(float64); a != 2 {
			t.Fatalf("a replayed delivery has %v attempts, want 2: %v", a, it)
		}
	}
	_, body, _ = s.call("GET", "/api/v1/deliveries?app=Stock&status=dead", adminToken, "")
	for _, it := range body["items"].([]any) {
		if a := it.(map[string]any)["attempts"].(float64); a != 1 {
			t.Fatalf("a Stock delivery was replayed: %v", it)
		}
	}

	// retry applies to waiting deliveries only: every dead one is skipped.
	_, body, _ = s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"status":"dead"},"action":"retry"}`)
	id2, _ := body["id"].(string)
	job, err := s.eng.BulkWait(ctx, id2)
	if err != nil || job.State != engine.BulkDone || job.Matched != 8 || job.Skipped != 8 || job.Done != 0 {
		t.Fatalf("retry of dead deliveries = %+v, %v; want 8 skipped", job, err)
	}

	_, body, _ = s.call("GET", "/api/v1/audit?action=delivery.bulk_replay", adminToken, "")
	if items, _ := body["items"].([]any); len(items) != 1 {
		t.Fatalf("audit of the bulk replay = %v, want one entry", body)
	}
	_, body, _ = s.call("GET", "/api/v1/audit?action=delivery.bulk_replay_done", adminToken, "")
	if items, _ := body["items"].([]any); len(items) != 1 {
		t.Fatalf("audit of the bulk replay's end = %v, want one entry", body)
	}
	if code, body, _ := s.call("GET", "/api/v1/replays/nope", adminToken, ""); code != 404 || errCode(body) != "not_found" {
		t.Fatalf("unknown replay = %d %v", code, body)
	}
}

// TestAPIReplaysProgressAndCancel: a bulk action runs in batches on the
// engine's clock; its progress shows after each batch, it runs to
// completion, and a second one cancelled between batches stops there.
func TestAPIReplaysProgressAndCancel(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	s := replayServer(t, engine.Config{Clock: clk, BulkBatchSize: 2, BulkPause: time.Second}, 5)
	progress := func(id string, state string, done int) {
		t.Helper()
		code, body, _ := s.call("GET", "/api/v1/replays/"+id, adminToken, "")
		if code != 200 || body["state"] != state || num(body, "done") != done || num(body, "matched") != 5 {
			t.Fatalf("GET replay = %d %v, want %s with %d of 5 done", code, body, state, done)
		}
	}
	start := func() string {
		t.Helper()
		code, body, _ := s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"event":"Shop.Orders","status":"dead"},"subscription":"Stock:Shop.Orders","action":"discard"}`)
		id, _ := body["id"].(string)
		if code != 202 || num(body, "matched") != 5 {
			t.Fatalf("start = %d %v, want 202 matching 5", code, body)
		}
		return id
	}

	id := start()
	waitClockTimer(t, clk, clk.Now().Add(time.Second))
	progress(id, "running", 2)
	clk.Advance(time.Second)
	waitClockTimer(t, clk, clk.Now().Add(time.Second))
	progress(id, "running", 4)
	clk.Advance(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.eng.BulkWait(ctx, id); err != nil {
		t.Fatal(err)
	}
	progress(id, "done", 5)

	// The Mail deliveries, cancelled after the first batch.
	code, body, _ := s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"app":"Mail","status":"dead"},"action":"discard"}`)
	id, _ = body["id"].(string)
	if code != 202 || num(body, "matched") != 5 {
		t.Fatalf("start = %d %v", code, body)
	}
	waitClockTimer(t, clk, clk.Now().Add(time.Second))
	code, body, _ = s.call("DELETE", "/api/v1/replays/"+id, adminToken, "")
	if code != 200 || body["state"] != "cancelled" || num(body, "done") != 2 || body["finishedAt"] == nil {
		t.Fatalf("DELETE replay = %d %v, want cancelled after 2", code, body)
	}
	progress(id, "cancelled", 2)
	if code, body, _ := s.call("POST", "/api/v1/replays", adminToken, `{"filter":{"app":"Mail","status":"dead"},"action":"discard","dryRun":true}`); code != 200 || num(body, "matched") != 3 {
		t.Fatalf("Mail's dead after the cancel = %d %v, want 3 left", code, body)
	}
	_, body, _ = s.call("GET", "/api/v1/audit?action=delivery.bulk_discard_cancelled", adminToken, "")
	if items, _ := body["items"].([]any); len(items) != 1 {
		t.Fatalf("audit of the cancelled discard = %v, want one entry", body)
	}
}
