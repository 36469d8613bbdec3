package web_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestAPITimeline records a chain (Shop.OrderPlaced -> Stock, whose flow
// triggers Stock.Reserved -> Mail) and reads it back over the timeline:
// every step once, oldest first, in causal order; a window after the chain
// is empty; a window holding more than the limit, and malformed or
// oversized windows, are refused with what to change.
func TestAPITimeline(t *testing.T) {
	s := newAPIServer(t, engine.Config{RetryUnit: time.Second})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	since := s.eng.Now().Add(-time.Second)
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":3}`); code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	waitFor(t, s, func(n notify.Note) bool { return n.Kind == notify.DeliverySucceeded && n.App == "Mail" })
	until := s.eng.Now().Add(time.Second)
	window := func(since, until time.Time, extra string) string {
		return "/api/v1/timeline?since=" + url.QueryEscape(since.Format(time.RFC3339Nano)) + "&until=" + url.QueryEscape(until.Format(time.RFC3339Nano)) + extra
	}

	code, body, _ := s.call("GET", window(since, until, ""), adminToken, "")
	items, _ := body["items"].([]any)
	if code != 200 {
		t.Fatalf("timeline = %d %v", code, body)
	}
	var steps []string
	var last time.Time
	for i, it := range items {
		m := it.(map[string]any)
		at, err := time.Parse(time.RFC3339Nano, m["at"].(string))
		if err != nil || at.Before(last) || at.Before(since) || !at.Before(until) {
			t.Fatalf("item %d at %v (%v) is out of order or outside [%v, %v)", i, m["at"], err, since, until)
		}
		if m["seq"].(float64) != float64(i+1) {
			t.Fatalf("item %d has seq %v", i, m["seq"])
		}
		last = at
		steps = append(steps, m["kind"].(string)+" "+m["app"].(string)+" "+m["event"].(string))
	}
	want := []string{
		"occurrence.triggered Shop Shop.OrderPlaced",
		"delivery.started Stock Shop.OrderPlaced",
		"occurrence.triggered Stock Stock.Reserved",
		"delivery.succeeded Stock Shop.OrderPlaced",
		"delivery.started Mail Stock.Reserved",
		"delivery.succeeded Mail Stock.Reserved",
	}
	if len(steps) != len(want) {
		t.Fatalf("timeline steps = %q, want %q", steps, want)
	}
	// Stock's flow triggers Reserved in the transaction that records its
	// success, so the two may share an instant; every other step follows
	// the one before it.
	pos := map[string]int{}
	for i, s := range steps {
		pos[s] = i
	}
	for _, w := range want {
		if _, ok := pos[w]; !ok {
			t.Fatalf("timeline steps = %q, missing %q", steps, w)
		}
	}
	for _, p := range [][2]int{{0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 4}, {4, 5}} {
		if pos[want[p[0]]] > pos[want[p[1]]] {
			t.Fatalf("timeline steps = %q: %q comes after %q", steps, want[p[0]], want[p[1]])
		}
	}

	if code, body, _ := s.call("GET", window(until, until.Add(time.Minute), ""), adminToken, ""); code != 200 || len(body["items"].([]any)) != 0 {
		t.Fatalf("a window after the chain = %d %v, want no items", code, body)
	}
	if code, body, _ := s.call("GET", "/api/v1/timeline", adminToken, ""); code != 200 || len(body["items"].([]any)) != len(want) {
		t.Fatalf("the default window (the last 15 minutes) = %d %v, want the chain's %d items", code, body, len(want))
	}

	day := s.eng.Now()
	for _, c := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"more items than the limit", window(since, until, "&limit=5"), 422, "window_too_busy"},
		{"malformed since", "/api/v1/timeline?since=yesterday", 400, "bad_query"},
		{"malformed until", "/api/v1/timeline?until=2026-13-01T00:00:00Z", 400, "bad_query"},
		{"until before since", window(until, since, ""), 422, "bad_window"},
		{"empty window", window(since, since, ""), 422, "bad_window"},
		{"longer than a day", window(day.Add(-25*time.Hour), day, ""), 422, "window_too_long"},
		{"limit zero", window(since, until, "&limit=0"), 400, "bad_query"},
		{"limit not a number", window(since, until, "&limit=many"), 400, "bad_query"},
		{"limit too large", window(since, until, "&limit="+strconv.Itoa(engine.TimelineMaxItems+1)), 400, "bad_query"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := s.call("GET", c.path, adminToken, "")
			msg, _ := body["error"].(map[string]any)["message"].(string)
			if code != c.status || errCode(body) != c.code || msg == "" {
				t.Fatalf("GET %s = %d %v, want %d %s with a message", c.path, code, body, c.status, c.code)
			}
		})
	}
}
