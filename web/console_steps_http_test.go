package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestConsoleHTTPStepWithoutScript saves an http step from a plain form
// post (method, URL, headers as "Name: value" lines, body), shows it again
// in its card, and refuses a bad method, a URL that is not http(s) and a
// header line without a colon under their fields.
func TestConsoleHTTPStepWithoutScript(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	form := func(extra ...string) url.Values {
		f := url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"flow"}, "enabled": {"true"}, "step": {"h"},
			"step.h.type": {"http"}, "step.h.method": {"PUT"}, "step.h.url": {"https://stock.example.com/sku/{{ Sku }}"},
			"step.h.headers": {"X-Source: eventloom\r\n\r\nX-Qty: {{ Qty }}\r\n"}, "step.h.body": {`{"qty": {{ Qty }}}`}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	for _, tc := range []struct{ name, field, value, errKey, want string }{
		{"bad method", "step.h.method", "TRACE", "handler.steps[0].method", `"TRACE" is not a method`},
		{"not http", "step.h.url", "ftp://stock.example.com/x", "handler.steps[0].url", "does not start with http:// or https://"},
		{"header line without a colon", "step.h.headers", "X-Source eventloom", "handler.steps[0].headers", `line 1 ("X-Source eventloom") is not a header`},
		{"reserved header", "step.h.headers", "Host: inside", "handler.steps[0].headers", "Host: the Host header is set by the HTTP client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, doc := c.send("POST", "/apps/Mail/subscriptions/new", form(tc.field, tc.value), nil)
			if resp.StatusCode != 422 {
				t.Fatalf("status %d; want 422", resp.StatusCode)
			}
			if msg := doc.Find(`[data-testid="step-card"] [data-testid="error-` + tc.errKey + `"]`).Text(); !strings.Contains(msg, tc.want) {
				t.Fatalf("error under %s = %q; want %q", tc.errKey, msg, tc.want)
			}
		})
	}
	resp, _ := c.send("POST", "/apps/Mail/subscriptions/new", form(), nil)
	if resp.StatusCode >= 400 {
		t.Fatalf("save = %d", resp.StatusCode)
	}
	code, body, _ := s.call("GET", "/api/v1/apps/Mail/subscriptions/Shop.OrderPlaced", adminToken, "")
	if code != 200 {
		t.Fatalf("GET = %d %v", code, body)
	}
	step := body["handler"].(map[string]any)["steps"].([]any)[0].(map[string]any)
	h, _ := step["headers"].(map[string]any)
	if step["type"] != "http" || step["method"] != "PUT" || step["url"] != "https://stock.example.com/sku/{{ Sku }}" || step["body"] != `{"qty": {{ Qty }}}` ||
		len(h) != 2 || h["X-Source"] != "eventloom" || h["X-Qty"] != "{{ Qty }}" {
		t.Fatalf("stored step %v", step)
	}
	resp, doc := c.send("GET", "/apps/Mail/subscriptions/Shop.OrderPlaced/edit", nil, nil)
	card := doc.Find(`[data-testid="step-card"][data-type="http"]`)
	if resp.StatusCode != 200 || card.Find(`[data-testid="http-method"] option[selected]`).AttrOr("value", "") != "PUT" ||
		card.Find(`[data-testid="http-url"]`).AttrOr("value", "") != "https://stock.example.com/sku/{{ Sku }}" ||
		card.Find(`[data-testid="http-headers"]`).Text() != "X-Qty: {{ Qty }}\nX-Source: eventloom\n" ||
		card.Find(`[data-testid="http-body"]`).Text() != `{"qty": {{ Qty }}}` {
		t.Fatalf("the editor shows the stored step wrongly: %d %q", resp.StatusCode, card.Text())
	}
}
