package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestAPIStatsSeries: two accepted triggers and one refused for a full
// queue show in the hour's and the day's series, in total, for the event
// and for its owner, and not for another app; bad queries are refused
// with the field named; after a restart the stored occurrences are rebuilt
// from history (the refusal, never stored, is not).
func TestAPIStatsSeries(t *testing.T) {
	s := pausedShop(t, engine.Config{QueueCap: 2})
	for i := range 3 {
		want := 202
		if i == 2 {
			want = 429
		}
		if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A","Qty":1}`); code != want {
			t.Fatalf("trigger %d = %d %v, want %d", i+1, code, body, want)
		}
	}
	var refused notify.Note
	waitFor(t, s, func(n notify.Note) bool { refused = n; return n.Kind == notify.TriggerRefused })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.web.Series().WaitNoted(ctx, refused.Seq); err != nil {
		t.Fatal(err)
	}
	totals := func(path string) map[string]any {
		t.Helper()
		code, body, _ := s.call("GET", path, adminToken, "")
		if code != 200 {
			t.Fatalf("GET %s = %d %v", path, code, body)
		}
		return body["totals"].(map[string]any)
	}
	for _, c := range []struct {
		path               string
		accepted, refusals float64
	}{
		{"/api/v1/stats/series", 2, 1},
		{"/api/v1/stats/series?window=1h", 2, 1},
		{"/api/v1/stats/series?window=24h", 2, 1},
		{"/api/v1/stats/series?event=Shop.OrderPlaced", 2, 1},
		{"/api/v1/stats/series?app=Shop&window=24h", 2, 1},
		{"/api/v1/stats/series?app=Stock", 0, 0},
		{"/api/v1/stats/series?event=Stock.Reserved", 0, 0},
	} {
		if tot := totals(c.path); tot["accepted"] != c.accepted || tot["refused"] != c.refusals {
			t.Errorf("%s: totals %v; want %v accepted, %v refused", c.path, tot, c.accepted, c.refusals)
		}
	}
	_, day, _ := s.call("GET", "/api/v1/stats/series?window=24h", adminToken, "")
	if n := len(day["times"].([]any)); n != 1440 || day["stepSeconds"] != 60.0 || len(day["accepted"].([]any)) != n {
		t.Fatalf("day: %d times, step %v, %d accepted; want 1440 one-minute points in every column", n, day["stepSeconds"], len(day["accepted"].([]any)))
	}

	for _, c := range []struct {
		query, code, field string
		status             int
	}{
		{"window=2h", "bad_query", "window", 400},
		{"event=Nope", "bad_query", "event", 400},
		{"event=Shop.OrderPlaced&app=Shop", "bad_query", "app", 400},
		{"event=Shop.Nope", "unknown_event", "event", 404},
		{"app=Nope", "unknown_app", "app", 404},
	} {
		status, body, _ := s.call("GET", "/api/v1/stats/series?"+c.query, adminToken, "")
		e, _ := body["error"].(map[string]any)
		if status != c.status || errCode(body) != c.code || (c.field != "" && e["field"] != c.field) || e["message"] == "" {
			t.Errorf("?%s = %d %v; want %d %s naming %q", c.query, status, body, c.status, c.code, c.field)
		}
	}

	s.restartWeb()
	select {
	case <-s.web.Series().Rebuilt():
	case <-ctx.Done():
		t.Fatal("the rebuild after the restart did not finish")
	}
	_, body, _ := s.call("GET", "/api/v1/stats/series", adminToken, "")
	st := body["status"].(map[string]any)
	if tot := body["totals"].(map[string]any); tot["accepted"] != 2.0 || tot["refused"] != 0.0 || st["rebuilding"] != false || st["read"] != 2.0 {
		t.Fatalf("after a restart: totals %v, status %v; want the 2 stored occurrences rebuilt (2 records read), no refusal", tot, st)
	}
}
