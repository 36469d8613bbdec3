package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

const producerTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// send posts body with the token and the given headers.
func (s *apiServer) send(path, token, body string, headers map[string]string) (int, map[string]any, http.Header) {
	s.t.Helper()
	return s.request("POST", path, token, body, headers)
}

// request sends body ("" for none) with the token and headers and returns
// the status, the decoded JSON answer (when it is JSON) and the headers.
func (s *apiServer) request(method, path, token, body string, headers map[string]string) (int, map[string]any, http.Header) {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.api.checkResponse(s.t, req, []byte(body), resp, b)
	out := map[string]any{}
	if len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &out); err != nil {
			s.t.Fatalf("%s %s: answer is not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, out, resp.Header
}

// appKey creates a key of app and returns it in the clear.
func (s *apiServer) appKey(app string) string {
	s.t.Helper()
	code, body, _ := s.call("POST", "/api/v1/apps/"+app+"/keys", adminToken, "")
	key, ok := body["key"].(string)
	if code != 201 || !ok {
		s.t.Fatalf("create a key of %s = %d %v", app, code, body)
	}
	return key
}

func errField(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// structured is a structured-mode CloudEvent of type typ with data.
func structured(typ, data, extra string) string {
	return `{"specversion":"1.0","id":"e-1","source":"/shop","type":"` + typ + `","datacontenttype":"application/json"` + extra + `,"data":` + data + `}`
}

var (
	ceStructured = map[string]string{"Content-Type": "application/cloudevents+json"}
	ceBinary     = map[string]string{"Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": "e-2", "ce-source": "/shop", "ce-type": "Shop.OrderPlaced"}
	plainJSON    = map[string]string{"Content-Type": "application/json"}
)

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestAPITriggerCloudEvents: the trigger route takes structured and binary
// CloudEvents as it takes JSON (same answer, same checks), keeps a valid
// traceparent from the extension or the HTTP header, and refuses every
// malformed part with a message naming it.
func TestAPITriggerCloudEvents(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	shopKey, stockKey := s.appKey("Shop"), s.appKey("Stock")
	const route = "/api/v1/apps/Shop/events/OrderPlaced/trigger"
	order := `{"Sku":"A","Qty":2}`

	cases := []struct {
		name    string
		token   string
		body    string
		headers map[string]string
		status  int
		code    string // error code of a refusal
		field   string // error field of a refusal
		trace   string // traceparent kept on the occurrence when accepted
	}{
		{"structured", shopKey, structured("Shop.OrderPlaced", order, ""), ceStructured, 202, "", "", ""},
		{"structured with charset", shopKey, structured("Shop.OrderPlaced", order, ""), map[string]string{"Content-Type": "application/cloudevents+json; charset=utf-8"}, 202, "", "", ""},
		{"structured with traceparent", shopKey, structured("Shop.OrderPlaced", order, `,"traceparent":"`+producerTrace+`"`), ceStructured, 202, "", "", producerTrace},
		{"binary", shopKey, order, ceBinary, 202, "", "", ""},
		{"binary with traceparent header", shopKey, order, with(ceBinary, "traceparent", producerTrace), 202, "", "", producerTrace},
		{"binary with ce-traceparent", shopKey, order, with(ceBinary, "ce-traceparent", producerTrace), 202, "", "", producerTrace},
		{"JSON with traceparent header", shopKey, order, with(plainJSON, "traceparent", producerTrace), 202, "", "", producerTrace},
		{"admin token", adminToken, structured("Shop.OrderPlaced", order, ""), ceStructured, 202, "", "", ""},
		{"JSON with a bad traceparent", shopKey, order, with(plainJSON, "traceparent", "00-xyz"), 400, "bad_traceparent", "traceparent", ""},
		{"binary with a bad traceparent header", shopKey, order, with(ceBinary, "traceparent", "00-xyz"), 400, "bad_traceparent", "traceparent", ""},
		{"structured with a bad traceparent", shopKey, structured("Shop.OrderPlaced", order, `,"traceparent":"00-00000000000000000000000000000000-00f067aa0ba902b7-01"`), ceStructured, 400, "bad_traceparent", "traceparent", ""},
		{"another event's type", shopKey, structured("Shop.Audit", order, ""), ceStructured, 400, "cloudevent_type", "type", ""},
		{"binary with another type", shopKey, order, with(ceBinary, "ce-type", "OrderPlaced"), 400, "cloudevent_type", "type", ""},
		{"data is an array", shopKey, structured("Shop.OrderPlaced", `[1]`, ""), ceStructured, 400, "malformed_json", "data", ""},
		{"binary body is not JSON", shopKey, `Sku=A`, with(ceBinary, "Content-Type", "text/plain"), 400, "cloudevent_data", "datacontenttype", ""},
		{"no id", shopKey, `{"specversion":"1.0","source":"/shop","type":"Shop.OrderPlaced","data":{}}`, ceStructured, 400, "bad_cloudevent", "", ""},
		{"not JSON at all", shopKey, `{"specversion":`, ceStructured, 400, "bad_cloudevent", "", ""},
		{"missing parameter", shopKey, structured("Shop.OrderPlaced", `{"Sku":"A"}`, ""), ceStructured, 422, "required", "Qty", ""},
		{"not the owner", stockKey, structured("Shop.OrderPlaced", order, ""), ceStructured, 403, "not_owner", "app", ""},
		{"a batch on the single route", shopKey, `[` + structured("Shop.OrderPlaced", order, "") + `]`, map[string]string{"Content-Type": "application/cloudevents-batch+json"}, 400, "batch_not_allowed", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, hdr := s.send(route, c.token, c.body, c.headers)
			if status != c.status {
				t.Fatalf("status = %d %v, want %d", status, body, c.status)
			}
			if c.status != 202 {
				if errCode(body) != c.code || errField(body) != c.field || errMessage(body) == "" {
					t.Fatalf("refusal = %v, want code %q field %q with a message", body, c.code, c.field)
				}
				return
			}
			id := int64(body["occurrenceId"].(float64))
			if body["traceId"] == nil || body["deliveries"].(float64) != 1 || hdr.Get("Location") != "/api/v1/occurrences/"+jsonNum(id) {
				t.Fatalf("answer = %v, Location %q; want a JSON trigger's answer", body, hdr.Get("Location"))
			}
			_, occ, _ := s.call("GET", "/api/v1/occurrences/"+jsonNum(id), adminToken, "")
			params, _ := json.Marshal(occ["parameters"])
			if string(params) != `{"Qty":2,"Sku":"A"}` {
				t.Fatalf("stored parameters = %s", params)
			}
			if got, _ := occ["traceparent"].(string); got != c.trace {
				t.Fatalf("stored traceparent = %q, want %q", got, c.trace)
			}
		})
	}
	if status, body, _ := s.send(route, shopKey, order, with(plainJSON, "traceparent", "00-xyz")); !strings.Contains(errMessage(body), "traceparent header") {
		t.Fatalf("bad traceparent header = %d %v; the message must name the header", status, body)
	}
}

// pausedShop is a server holding shopDesign with Stock's subscription to
// OrderPlaced paused, so OrderPlaced's queue fills instead of draining.
func pausedShop(t *testing.T, cfg engine.Config) *apiServer {
	t.Helper()
	s := newAPIServer(t, cfg)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/pause", adminToken, ""); code != 200 {
		t.Fatalf("pause = %d", code)
	}
	return s
}

// batchItems decodes a batch answer's items.
func batchItems(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	raw, _ := body["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i], _ = x.(map[string]any)
		if out[i]["index"].(float64) != float64(i) {
			t.Fatalf("item %d has index %v", i, out[i]["index"])
		}
	}
	return out
}

// TestAPITriggerBatch: trigger:batch (a literal colon in the route) takes a
// JSON array or a CloudEvents batch and answers per item, with a single
// trigger's status and error; the queue cap refuses the items past it.
func TestAPITriggerBatch(t *testing.T) {
	s := pausedShop(t, engine.Config{QueueCap: 4})
	shopKey := s.appKey("Shop")
	const route = "/api/v1/apps/Shop/events/OrderPlaced/trigger:batch"
	ceBatch := map[string]string{"Content-Type": "application/cloudevents-batch+json"}

	t.Run("JSON array answers per item", func(t *testing.T) {
		status, body, _ := s.send(route, shopKey, `[{"Sku":"A","Qty":1},{"Sku":"B"},[1],{"Sku":"C","Qty":"x"}]`, with(plainJSON, "traceparent", producerTrace))
		if status != 200 || body["accepted"].(float64) != 1 || body["refused"].(float64) != 3 {
			t.Fatalf("batch = %d %v; want 200 with 1 accepted, 3 refused", status, body)
		}
		items := batchItems(t, body)
		if items[0]["status"].(float64) != 202 || items[0]["occurrenceId"] == nil || items[0]["error"] != nil {
			t.Fatalf("item 0 = %v; want accepted with its ids", items[0])
		}
		for i, want := range []struct {
			status int
			code   string
			single string
		}{{}, {422, "required", `{"Sku":"B"}`}, {400, "malformed_json", `[1]`}, {422, "wrong_type", `{"Sku":"C","Qty":"x"}`}} {
			if i == 0 {
				continue
			}
			it := items[i]
			if it["status"].(float64) != float64(want.status) || errCode(it) != want.code || it["occurrenceId"] != nil {
				t.Fatalf("item %d = %v; want %d %s", i, it, want.status, want.code)
			}
			if want.code == "malformed_json" && !strings.HasPrefix(errMessage(it), "item 2 of the batch: it is a JSON array") {
				t.Fatalf("item %d message = %q; want it to name the item", i, errMessage(it))
			}
			if want.code == "malformed_json" {
				continue
			}
			// The same status and error as a single trigger of the item.
			st, single, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", shopKey, want.single)
			a, _ := json.Marshal(it["error"])
			b, _ := json.Marshal(single["error"])
			if st != want.status || string(a) != string(b) {
				t.Fatalf("item %d refused as %d %s, a single trigger as %d %s", i, want.status, a, st, b)
			}
		}
		_, occ, _ := s.call("GET", "/api/v1/occurrences/"+jsonNum(int64(items[0]["occurrenceId"].(float64))), adminToken, "")
		if occ["traceparent"] != producerTrace {
			t.Fatalf("batch occurrence = %v; want the traceparent header kept", occ)
		}
	})

	t.Run("CloudEvents batch and the queue cap", func(t *testing.T) {
		evs := []string{
			structured("Shop.OrderPlaced", `{"Sku":"D","Qty":1}`, `,"traceparent":"`+producerTrace+`"`),
			structured("Shop.Audit", `{}`, ""),
			structured("Shop.OrderPlaced", `{"Sku":"E","Qty":1}`, ""),
			structured("Shop.OrderPlaced", `{"Sku":"F","Qty":1}`, ""),
			structured("Shop.OrderPlaced", `{"Sku":"G","Qty":1}`, ""),
		}
		status, body, _ := s.send(route, shopKey, "["+strings.Join(evs, ",")+"]", ceBatch)
		if status != 200 {
			t.Fatalf("batch = %d %v", status, body)
		}
		// One OrderPlaced is pending from the first subtest: the cap of 4
		// leaves room for three.
		items := batchItems(t, body)
		for i, want := range []struct {
			status int
			code   string
		}{{202, ""}, {400, "cloudevent_type"}, {202, ""}, {202, ""}, {429, "queue_full"}} {
			if items[i]["status"].(float64) != float64(want.status) || errCode(items[i]) != want.code {
				t.Fatalf("item %d = %v; want %d %q", i, items[i], want.status, want.code)
			}
		}
		if !strings.Contains(errMessage(items[4]), "Shop.OrderPlaced") {
			t.Fatalf("queue_full item = %v; want the event named", items[4])
		}
		_, occ, _ := s.call("GET", "/api/v1/occurrences/"+jsonNum(int64(items[0]["occurrenceId"].(float64))), adminToken, "")
		if occ["traceparent"] != producerTrace {
			t.Fatalf("batch occurrence = %v; want the extension's traceparent kept", occ)
		}
		_, list, _ := s.call("GET", "/api/v1/occurrences", adminToken, "")
		if n := len(list["items"].([]any)); n != 4 {
			t.Fatalf("%d occurrences stored, want 4 (the queue cap)", n)
		}
	})

	t.Run("refusals of the whole batch", func(t *testing.T) {
		over := "[" + strings.TrimSuffix(strings.Repeat(`{"Sku":"A","Qty":1},`, engine.MaxTriggerBatch+1), ",") + "]"
		for _, c := range []struct {
			name, path, token, body string
			headers                 map[string]string
			status                  int
			code                    string
		}{
			{"over the limit", route, shopKey, over, plainJSON, 413, "batch_too_large"},
			{"empty", route, shopKey, `[]`, plainJSON, 400, "empty_batch"},
			{"not an array", route, shopKey, `{"Sku":"A","Qty":1}`, plainJSON, 400, "malformed_json"},
			{"malformed", route, shopKey, `[{"Sku":`, plainJSON, 400, "malformed_json"},
			{"a single CloudEvent", route, shopKey, structured("Shop.OrderPlaced", `{}`, ""), ceStructured, 400, "not_a_batch"},
			{"a bad CloudEvents batch", route, shopKey, `{"not":"an array"}`, ceBatch, 400, "bad_cloudevent"},
			{"a bad traceparent", route, shopKey, `[{"Sku":"A","Qty":1}]`, with(plainJSON, "traceparent", "x"), 400, "bad_traceparent"},
			{"a dry run", route + "?dryRun=true", shopKey, `[{"Sku":"A","Qty":1}]`, plainJSON, 400, "bad_query"},
			{"no token", route, "", `[{"Sku":"A","Qty":1}]`, plainJSON, 401, "unauthorized"},
			{"a route that only starts like it", route + "x", shopKey, `[{"Sku":"A","Qty":1}]`, plainJSON, 404, "not_found"},
		} {
			status, body, _ := s.send(c.path, c.token, c.body, c.headers)
			if status != c.status || errCode(body) != c.code {
				t.Fatalf("%s = %d %v; want %d %s", c.name, status, body, c.status, c.code)
			}
			if c.code == "batch_too_large" && !strings.Contains(errMessage(body), "500") {
				t.Fatalf("%s = %v; want the limit named", c.name, body)
			}
		}
	})
}

// TestConsoleTraceShowsTheProducersTraceparent: the trace page shows the
// traceparent a producer sent on the root of the chain.
func TestConsoleTraceShowsTheProducersTraceparent(t *testing.T) {
	s, c := pagesServer(t, engine.Config{}, shopDesign)
	code, body, _ := s.send("/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":2}`, with(plainJSON, "traceparent", producerTrace))
	if code != 202 {
		t.Fatalf("trigger = %d %v", code, body)
	}
	_, doc := c.send("GET", "/traces/"+jsonNum(int64(body["traceId"].(float64))), nil, nil)
	if got := doc.Find(`[data-testid="traceparent"] code`).Text(); got != producerTrace {
		t.Fatalf("trace page shows traceparent %q, want %q", got, producerTrace)
	}
	_, plain, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-2","Qty":1}`)
	_, doc = c.send("GET", "/traces/"+jsonNum(int64(plain["traceId"].(float64))), nil, nil)
	if n := doc.Find(`[data-testid="traceparent"]`).Length(); n != 0 {
		t.Fatalf("a trace triggered without a traceparent shows %d", n)
	}
}
