package web_test

import (
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestAPILayoutNodeIDsAndReplace: the console checks the canvas's node
// ids (app:Name, event:Producer.Event) and says how to write one; replace
// drops the positions it does not send, a merge keeps them.
func TestAPILayoutNodeIDsAndReplace(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	for _, bad := range []string{`Shop`, `app:`, `app:1Shop`, `event:Shop`, `sub:Mail:Shop.OrderPlaced`} {
		code, body, _ := s.call("PUT", "/api/v1/layout", adminToken, `{"positions":{"`+bad+`":{"x":1,"y":1}}}`)
		msg, _ := body["error"].(map[string]any)["message"].(string)
		if code != 422 || !strings.Contains(msg, "app:AppName or event:Producer.EventName") {
			t.Errorf("node id %q = %d %v, want 422 saying how to write one", bad, code, body)
		}
	}
	put := func(query, positions string) map[string]any {
		t.Helper()
		code, body, _ := s.call("PUT", "/api/v1/layout"+query, adminToken, `{"positions":`+positions+`}`)
		if code != 200 {
			t.Fatalf("save layout%s = %d %v", query, code, body)
		}
		return body["positions"].(map[string]any)
	}
	put("", `{"app:Shop":{"x":1,"y":2},"event:Shop.OrderPlaced":{"x":3,"y":4}}`)
	if pos := put("", `{"app:Mail":{"x":5,"y":6}}`); len(pos) != 3 {
		t.Fatalf("merged layout = %v, want 3 positions", pos)
	}
	if pos := put("?replace=true", `{"app:Mail":{"x":7,"y":8}}`); len(pos) != 1 || pos["app:Mail"].(map[string]any)["x"].(float64) != 7 {
		t.Fatalf("replaced layout = %v, want app:Mail alone", pos)
	}
	_, body, _ := s.call("GET", "/api/v1/layout", adminToken, "")
	if pos := body["positions"].(map[string]any); len(pos) != 1 {
		t.Fatalf("layout read back = %v", pos)
	}
}
