package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestAPITriggerRefusesWhatIsNotOneObject sends bodies that are not one
// JSON object of parameters, with both content types, and expects each a
// 400 malformed_json saying what was sent; invalid UTF-8 and year 0000 are
// refused on the parameter like the same value in a form.
func TestAPITriggerRefusesWhatIsNotOneObject(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	const path = "/api/v1/apps/Shop/events/OrderPlaced/trigger"
	cases := []struct {
		name, method, body string
		status             int
		code, inMessage    string
	}{
		{"truncated", "POST", `{"Sku":`, 400, "malformed_json", "ends before"},
		{"syntax error", "POST", `{"Sku" "A"}`, 400, "malformed_json", "byte"},
		{"stray closing brace (found by FuzzCloudEventTrigger)", "POST", `{"Sku":"A","Qty":1}}`, 400, "malformed_json", "text after it"},
		{"array", "POST", `[1,2]`, 400, "malformed_json", "a JSON array, not an object"},
		{"array as form", "FORMJSON", `[1,2]`, 400, "malformed_json", "a JSON array, not an object"},
		{"number", "POST", `42`, 400, "malformed_json", "a JSON number"},
		{"number as form", "FORMJSON", `42`, 400, "malformed_json", "a JSON number"},
		{"string", "POST", `"Sku"`, 400, "malformed_json", "a JSON string"},
		{"null", "POST", `null`, 400, "malformed_json", "JSON null"},
		{"two objects", "POST", `{"Sku":"A","Qty":1}{}`, 400, "malformed_json", "more than one"},
		{"invalid UTF-8", "POST", "{\"Sku\":\"A\xffB\",\"Qty\":1}", 422, "invalid_format", "UTF-8"},
		{"invalid UTF-8 as form", "FORMJSON", "Sku=A%FFB&Qty=1", 422, "invalid_format", "UTF-8"},
		{"form still works", "FORMJSON", "Sku=A&Qty=1", 202, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := s.call(c.method, path, adminToken, c.body)
			if status != c.status || errCode(body) != c.code {
				t.Fatalf("%q = %d %v, want %d %s", c.body, status, body, c.status, c.code)
			}
			if c.inMessage != "" {
				msg, _ := body["error"].(map[string]any)["message"].(string)
				if !strings.Contains(msg, c.inMessage) {
					t.Fatalf("message %q lacks %q", msg, c.inMessage)
				}
			}
		})
	}
}

// TestAPIQueueFullNamesTheEvent checks the 429 names the event as its
// producer knows it, not an internal id, and says when to retry.
func TestAPIQueueFullNamesTheEvent(t *testing.T) {
	s := newAPIServer(t, engine.Config{QueueCap: 1})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/pause", adminToken, ""); code != 200 {
		t.Fatalf("pause = %d", code)
	}
	const path = "/api/v1/apps/Shop/events/OrderPlaced/trigger"
	if code, body, _ := s.call("POST", path, adminToken, `{"Sku":"A","Qty":1}`); code != 202 {
		t.Fatalf("first trigger = %d %v", code, body)
	}
	status, body, h := s.call("POST", path, adminToken, `{"Sku":"A","Qty":1}`)
	if status != 429 || errCode(body) != "queue_full" {
		t.Fatalf("trigger past the cap = %d %v", status, body)
	}
	msg := body["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "Shop.OrderPlaced") || strings.Contains(msg, "event 1 ") || strings.Contains(msg, "event 2 ") {
		t.Fatalf("message %q does not name Shop.OrderPlaced", msg)
	}
	if h.Get("Retry-After") != "5" {
		t.Fatalf("Retry-After = %q, want 5", h.Get("Retry-After"))
	}
}

// TestAPIImportReportsEveryError imports a document with mistakes of every
// sort (a parameter type, an expression, a reference, a duplicate, a
// trigger of an event the app lacks) and expects each reported with its
// path in one answer, and nothing changed.
func TestAPIImportReportsEveryError(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	doc := `{
 "apps":[{"name":"Shop"},{"name":"Stock"},{"name":"Shop"}],
 "events":[
  {"app":"Shop","name":"OrderPlaced","public":true,"parameters":[
    {"name":"Sku","type":"Blob","mandatory":true},{"name":"Qty","type":"Integer","mandatory":true}]},
  {"app":"Ghost","name":"Haunted","parameters":[]}
 ],
 "subscriptions":[
  {"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"log","message":"reserving {{ Qty + }}"},
    {"type":"trigger","event":"Reserved","parameters":{}}]}},
  {"app":"Stock","event":"Shop.Missing","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"log","message":"x"}]}}
 ]}`
	status, body, _ := s.call("PUT", "/api/v1/design", adminToken, doc)
	if status < 400 {
		t.Fatalf("import of a broken design = %d %v", status, body)
	}
	got := map[string]string{}
	details, _ := body["details"].([]any)
	for _, d := range details {
		m := d.(map[string]any)
		f, _ := m["field"].(string)
		got[f] = m["code"].(string)
	}
	want := map[string]string{
		"apps[Shop].name": "exists",
		"events[Shop.OrderPlaced].parameters[0].type":                    "invalid_type",
		"events[Ghost.Haunted].app":                                      "unknown_app",
		"subscriptions[Stock:Shop.OrderPlaced].handler.steps[0].message": "expression",
		"subscriptions[Stock:Shop.OrderPlaced].handler.steps[1].event":   "unknown_event",
		"subscriptions[Stock:Shop.Missing].event":                        "unknown_event",
	}
	for f, code := range want {
		if got[f] != code {
			t.Errorf("error at %s = %q, want %q (all: %v)", f, got[f], code, got)
		}
	}
	if len(details) != len(want) {
		t.Errorf("%d errors reported, want %d (each once): %v", len(details), len(want), got)
	}
	_, body, _ = s.call("GET", "/api/v1/apps", adminToken, "")
	if items, _ := body["items"].([]any); len(items) != 0 {
		t.Fatalf("a refused import left %d apps", len(items))
	}
}

// TestAPITracePages reads a chain of five occurrences two at a time,
// oldest first, following nextCursor, and refuses a bad page size.
func TestAPITracePages(t *testing.T) {
	s := newAPIServer(t, engine.Config{MaxChainDepth: 5, MaxRetries: -1})
	loop := `{
 "apps":[{"name":"Shop"}],
 "events":[{"app":"Shop","name":"OrderPlaced","parameters":[{"name":"Qty","type":"Integer","mandatory":true}]}],
 "subscriptions":[{"app":"Shop","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"flow","steps":[
    {"type":"trigger","event":"OrderPlaced","parameters":{"Qty":"Qty + 1"}}]}}]}`
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, loop); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Qty":1}`)
	trace := int64(body["traceId"].(float64))
	waitFor(t, s, func(n notify.Note) bool { return n.Kind == notify.DeliveryDead })
	var qtys []string
	path := "/api/v1/traces/" + jsonNum(trace) + "?limit=2"
	for pages := 0; path != ""; pages++ {
		status, body, _ := s.call("GET", path, adminToken, "")
		occ, _ := body["occurrences"].([]any)
		if status != 200 || len(occ) > 2 || pages > 3 {
			t.Fatalf("page %d = %d with %d occurrences: %v", pages+1, status, len(occ), body)
		}
		for _, o := range occ {
			qtys = append(qtys, string(mustJSON(o.(map[string]any)["parameters"])))
		}
		path = ""
		if next, ok := body["nextCursor"].(string); ok {
			path = "/api/v1/traces/" + jsonNum(trace) + "?limit=2&cursor=" + next
		}
	}
	if got := strings.Join(qtys, " "); got != `{"Qty":1} {"Qty":2} {"Qty":3} {"Qty":4} {"Qty":5}` {
		t.Fatalf("the pages gave %s, want the chain root first", got)
	}
	if code, body, _ := s.call("GET", "/api/v1/traces/"+jsonNum(trace)+"?limit=501", adminToken, ""); code != 400 || errCode(body) != "bad_query" {
		t.Fatalf("limit 501 = %d %v, want 400 bad_query", code, body)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
