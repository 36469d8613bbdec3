package web_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// searchDesign has an event with a parameter of each searchable kind, a
// second event sharing Amount as an Integer (numbers mix) and a third
// with Ref as Text where Orders has it as an Identifier (types clash).
const searchDesign = `{
 "apps":[{"name":"Shop"},{"name":"Ledger"}],
 "events":[
  {"app":"Shop","name":"Orders","public":true,"parameters":[
    {"name":"Note","type":"Text","mandatory":true},
    {"name":"CustomerEmail","type":"Email"},
    {"name":"Amount","type":"Currency"},
    {"name":"When","type":"DateTime"},
    {"name":"Day","type":"Date"},
    {"name":"Rush","type":"Boolean"},
    {"name":"Ref","type":"Identifier"}]},
  {"app":"Ledger","name":"Booked","public":true,"parameters":[
    {"name":"Note","type":"Text","mandatory":true},{"name":"Amount","type":"Integer"},{"name":"Ref","type":"Text"}]}
 ],
 "subscriptions":[]}`

// TestAPIPayloadSearch: GET /api/v1/occurrences filters by parameter
// values, exactly and by ranges, checked against the parameters' types,
// and refuses a bad condition with a 400 naming it.
func TestAPIPayloadSearch(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, searchDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	for _, o := range []struct{ event, body string }{
		{"Shop/events/Orders", `{"Note":"a","CustomerEmail":"ann@example.com","Amount":9.99,"When":"2026-01-01T10:00:00Z","Day":"2026-01-01","Rush":true,"Ref":"r1"}`},
		{"Shop/events/Orders", `{"Note":"b","CustomerEmail":"bob@example.com","Amount":10,"When":"2026-01-01T23:59:59.5Z","Day":"2026-01-02","Rush":false}`},
		{"Shop/events/Orders", `{"Note":"c","CustomerEmail":"ann@example.com","Amount":99.5,"When":"2026-01-02T00:00:00Z"}`},
		{"Shop/events/Orders", `{"Note":"d a..b","Amount":150}`},
		{"Ledger/events/Booked", `{"Note":"e","Amount":10,"Ref":"r1"}`},
	} {
		if code, body, _ := s.call("POST", "/api/v1/apps/"+o.event+"/trigger", adminToken, o.body); code != 202 {
			t.Fatalf("trigger %s = %d %v", o.body, code, body)
		}
	}
	cases := []struct {
		name  string
		query string
		want  []string // the Notes of the occurrences listed, newest first
	}{
		{"email exact", "event=Shop.Orders&param.CustomerEmail=ann@example.com", []string{"c", "a"}},
		{"email, no event", "param.CustomerEmail=bob@example.com", []string{"b"}},
		{"amount range", "event=Shop.Orders&param.Amount=10..99.5", []string{"c", "b"}},
		{"amount from, every event (Currency and Integer are both numbers)", "param.Amount=10..", []string{"e", "d a..b", "c", "b"}},
		{"amount up to", "param.Amount=..10", []string{"e", "b", "a"}},
		{"amount exact as 10.00", "event=Shop.Orders&param.Amount=10.00", []string{"b"}},
		{"two ends as two conditions", "param.Amount=10..&param.Amount=..10", []string{"e", "b"}},
		{"date-time as a whole day", "param.When=2026-01-01", []string{"b", "a"}},
		{"date-time range of days", "param.When=2026-01-02..2026-01-31", []string{"c"}},
		{"date-time exact", "param.When=2026-01-01T11:00:00%2B01:00", []string{"a"}},
		{"date range", "param.Day=2026-01-02..", []string{"b"}},
		{"boolean", "param.Rush=false", []string{"b"}},
		{"text with dots is exact", "param.Note=d%20a..b", []string{"d a..b"}},
		{"identifier in its event", "event=Shop.Orders&param.Ref=r1", []string{"a"}},
		{"text in its event", "event=Ledger.Booked&param.Ref=r1", []string{"e"}},
		{"two parameters", "param.CustomerEmail=ann@example.com&param.Amount=..50", []string{"a"}},
		{"with other filters", "app=Shop&param.Amount=10..&limit=2", []string{"d a..b", "c"}},
		{"no match", "param.CustomerEmail=zed@example.com", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := s.call("GET", "/api/v1/occurrences?"+c.query, adminToken, "")
			if code != 200 {
				t.Fatalf("GET ?%s = %d %v", c.query, code, body)
			}
			var notes []string
			items, _ := body["items"].([]any)
			for _, it := range items {
				params, _ := it.(map[string]any)["parameters"].(map[string]any)
				note, _ := params["Note"].(string)
				notes = append(notes, note)
			}
			if !reflect.DeepEqual(notes, c.want) {
				t.Fatalf("GET ?%s lists %q, want %q", c.query, notes, c.want)
			}
		})
	}
	refusals := []struct {
		name, query, field, says string
	}{
		{"unknown name in an event", "event=Shop.Orders&param.Colour=red", "param.Colour", "Shop.Orders has no parameter Colour"},
		{"unknown name anywhere", "param.Colour=red", "param.Colour", "no event has a parameter named Colour"},
		{"wrong type", "param.Amount=ten", "param.Amount", "Amount must be"},
		{"bad email", "param.CustomerEmail=nobody", "param.CustomerEmail", "CustomerEmail must be"},
		{"bad date-time end", "param.When=2026-01-01..soon", "param.When", "the range's end"},
		{"reversed range", "param.Amount=99..10", "param.Amount", "starts after it ends"},
		{"open range", "param.Amount=..", "param.Amount", "has no ends"},
		{"empty value", "param.Note=", "param.Note", "needs a value"},
		{"empty name", "param.=x", "param.", "names a parameter"},
		{"types clash", "param.Ref=r1", "param.Ref", "filter by one event"},
		{"bad boolean", "param.Rush=maybe", "param.Rush", "Rush must be"},
	}
	for _, c := range refusals {
		t.Run("refuses "+c.name, func(t *testing.T) {
			code, body, _ := s.call("GET", "/api/v1/occurrences?"+c.query, adminToken, "")
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if code != 400 || e["code"] != "bad_param_filter" || e["field"] != c.field || !strings.Contains(msg, c.says) || !strings.Contains(msg, "lo..hi") {
				t.Fatalf("GET ?%s = %d %v; want 400 bad_param_filter on %s saying %q and how to write one", c.query, code, body, c.field, c.says)
			}
		})
	}
	t.Run("deliveries take payload conditions too", func(t *testing.T) {
		code, body, _ := s.call("GET", "/api/v1/deliveries?"+url.Values{"param.Amount": {"ten"}}.Encode(), adminToken, "")
		if code != 400 || errCode(body) != "bad_param_filter" {
			t.Fatalf("GET /deliveries?param.Amount=ten = %d %v, want 400 bad_param_filter", code, body)
		}
	})
}

// TestConsoleHistoryPayloadSearch: the history page's payload field
// filters occurrences and deliveries, keeps what was typed, and shows a
// refused condition beside the field.
func TestConsoleHistoryPayloadSearch(t *testing.T) {
	s, c := pagesServer(t, engine.Config{}, searchDesign)
	for _, body := range []string{`{"Note":"a","Amount":5}`, `{"Note":"b","Amount":50,"CustomerEmail":"ann@example.com"}`, `{"Note":"c","Amount":500}`} {
		if code, resp, _ := s.call("POST", "/api/v1/apps/Shop/events/Orders/trigger", adminToken, body); code != 202 {
			t.Fatalf("trigger = %d %v", code, resp)
		}
	}
	q := url.Values{"payload": {"Amount=10..; CustomerEmail=ann@example.com"}}
	resp, doc := c.send("GET", "/history?"+q.Encode(), nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("history with a payload filter = %d", resp.StatusCode)
	}
	if n := doc.Find(`[data-testid="history-occurrences"] tbody tr`).Length(); n != 1 {
		t.Fatalf("%d occurrences listed, want 1 (Amount 50 for ann)", n)
	}
	if v := doc.Find(`[data-testid="history-payload"]`).AttrOr("value", ""); v != q.Get("payload") {
		t.Fatalf("the payload field holds %q after the search, want %q", v, q.Get("payload"))
	}
	_, doc = c.send("GET", "/history?view=deliveries&param.Amount=..10", nil, nil)
	if v := doc.Find(`[data-testid="history-payload"]`).AttrOr("value", ""); v != "Amount=..10" {
		t.Fatalf("a param. query shows in the payload field as %q, want Amount=..10", v)
	}
	resp, doc = c.send("GET", "/history?payload=Amount%3Dlots", nil, nil)
	msg := doc.Find(`[data-testid="error-payload"]`).Text()
	if resp.StatusCode != 422 || !strings.Contains(msg, "param.Amount") || !strings.Contains(msg, "Amount must be") {
		t.Fatalf("a bad payload filter = %d with %q; want 422 naming param.Amount and its type", resp.StatusCode, msg)
	}
	resp, doc = c.send("GET", "/history?payload=Amount", nil, nil)
	if msg := doc.Find(`[data-testid="error-payload"]`).Text(); resp.StatusCode != 422 || !strings.Contains(msg, "Name=value") {
		t.Fatalf("a condition without = gives %d %q; want 422 saying how to write one", resp.StatusCode, msg)
	}
}
