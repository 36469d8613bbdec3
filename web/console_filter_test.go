package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestConsoleFilterIsOneFormOnBothPages: History (a GET query) and Bulk
// actions (a posted form) read one filter. Both draw the same fields,
// keep what was typed, and refuse the same bad input field by field with
// how to fix it; a good filter passes on both.
func TestConsoleFilterIsOneFormOnBothPages(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	pages := []struct {
		name, method, path, state string
		extra                     url.Values
	}{
		{name: "history", method: "GET", path: "/history", state: "pending", extra: url.Values{}},
		{name: "history deliveries", method: "GET", path: "/history", state: "retrying", extra: url.Values{"view": {"deliveries"}}},
		{name: "bulk", method: "POST", path: "/bulk", state: "retrying", extra: url.Values{"op": {"count"}}},
	}
	// send asks for a page with filter v (a query for GET, a form for
	// POST) and returns its status and a finder of one element's text.
	send := func(method, path string, v url.Values) (int, func(sel string) (string, bool)) {
		form, header := v, map[string]string{"Referer": s.url + path}
		if method == "GET" {
			path, form, header = path+"?"+v.Encode(), nil, nil
		}
		resp, doc := c.send(method, path, form, header)
		return resp.StatusCode, func(sel string) (string, bool) { n := doc.Find(sel); return n.Text(), n.Length() == 1 }
	}
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			bad := url.Values{"event": {"NoDot"}, "status": {"exploded"}, "trace": {"x1"}, "since": {"yesterday"}, "payload": {"Sku"}}
			for k, v := range pg.extra {
				bad[k] = v
			}
			code, find := send(pg.method, pg.path, bad)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("a bad filter = %d, want 422", code)
			}
			for _, field := range []string{"event", "status", "trace", "since", "payload"} {
				if msg, ok := find(`[data-testid="error-` + field + `"]`); !ok || msg == "" {
					t.Errorf("no error under %s", field)
				}
			}
			if msg, _ := find(`[data-testid="error-status"]`); msg != `choose a state from the list (`+stateList(pg.extra)+`); got "exploded"` {
				t.Errorf("the state's error says %q", msg)
			}
			for _, sel := range []string{`select[name="app"]`, `select[name="event"]`, `select[name="status"]`, `input[name="trace"]`, `input[name="since"]`, `input[name="until"]`, `input[name="payload"][value="Sku"]`, `input[name="_tz"][data-zone-input]`} {
				if _, ok := find(sel); !ok {
					t.Errorf("the filter has no %s (or lost what was typed in it)", sel)
				}
			}

			good := url.Values{"app": {"Stock"}, "event": {"Shop.OrderPlaced"}, "status": {pg.state}, "trace": {"7"}, "since": {"2026-11-23T10:00"}, "payload": {"Sku=A"}}
			for k, v := range pg.extra {
				good[k] = v
			}
			if code, find := send(pg.method, pg.path, good); code != http.StatusOK {
				msg, _ := find(`.field-error`)
				t.Fatalf("a good filter = %d (%s)", code, msg)
			} else if _, ok := find(`option[value="Shop.OrderPlaced"][selected]`); !ok {
				t.Error("the chosen event is not kept selected")
			}
		})
	}
}

// stateList is the states the page's State select offers.
func stateList(extra url.Values) string {
	if extra.Get("view") == "" && extra.Get("op") == "" {
		return "pending, completed, dead"
	}
	return "pending, running, retrying, succeeded, dead, discarded"
}
