package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web/live"
)

func dialLive(t *testing.T, s *apiServer, query string, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(s.url, "http") + "/api/v1/live" + query
	c, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// TestLiveStreamFollowsAChainInCausalOrder triggers over the API and reads
// the chain's notes from the websocket, filtered to its trace.
func TestLiveStreamFollowsAChainInCausalOrder(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	conn, _, err := dialLive(t, s, "", http.Header{"Authorization": {"Bearer " + adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	status, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":1}`)
	if status != 202 {
		t.Fatalf("trigger = %d %v", status, body)
	}
	trace := int64(body["traceId"].(float64))
	if err := conn.WriteJSON(map[string]any{"filter": live.Filter{TraceID: trace}}); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for len(kinds) == 0 || kinds[len(kinds)-1] != "Mail:"+string(notify.DeliverySucceeded) {
		var m live.Message
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("read after %v: %v", kinds, err)
		}
		for _, env := range m.Envelopes() {
			if env.Note.TraceID != trace {
				continue // sent before the filter arrived
			}
			if env.Note.Kind == notify.FlowLogged {
				continue
			}
			kinds = append(kinds, env.Note.App+":"+string(env.Note.Kind))
		}
	}
	want := []string{"Shop:occurrence.triggered", "Stock:delivery.started", "Stock:delivery.succeeded", "Stock:occurrence.triggered", "Mail:delivery.started", "Mail:delivery.succeeded"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("notes %v, want %v", kinds, want)
	}
}

func TestLiveStreamRefusals(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if _, resp, err := dialLive(t, s, "", nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("without a token: %v %v, want 401", resp, err)
	}
	h := http.Header{"Authorization": {"Bearer " + adminToken}, "Origin": {"http://evil.example"}}
	if _, resp, err := dialLive(t, s, "", h); err == nil || resp.StatusCode != 403 {
		t.Fatalf("from another origin: %v %v, want 403", resp, err)
	}
	auth := http.Header{"Authorization": {"Bearer " + adminToken}}
	if _, resp, err := dialLive(t, s, "?trace=abc", auth); err == nil || resp.StatusCode != 400 {
		t.Fatalf("with a bad trace: %v %v, want 400", resp, err)
	}
	// A plain request, no websocket handshake, is told how to connect, in
	// the API's JSON error shape.
	status, body, _ := s.call("GET", "/api/v1/live?trace=7", adminToken, "")
	if status != 400 || errCode(body) != "not_websocket" || !strings.Contains(errMessage(body), "websocket client") {
		t.Fatalf("plain GET = %d %v; want 400 not_websocket", status, body)
	}
}

// TestLiveStreamSendsCounters reads the periodic counters after a trigger.
func TestLiveStreamSendsCounters(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	conn, _, err := dialLive(t, s, "?trace=999999", http.Header{"Authorization": {"Bearer " + adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":1}`); code != 202 {
		t.Fatal("trigger failed")
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		var m struct {
			Stats *struct {
				Counts live.Counts                           `json:"counts"`
				Queues map[string]struct{ Pending, Cap int } `json:"queues"`
			} `json:"stats"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Stats == nil || m.Stats.Counts.Apps["Mail"] == nil || m.Stats.Counts.Apps["Mail"].Succeeded == 0 {
			continue // the chain is still running
		}
		if m.Stats.Counts.Triggered["Shop.OrderPlaced"] != 1 || m.Stats.Counts.Apps["Stock"].Succeeded != 1 || m.Stats.Queues["Shop.OrderPlaced"].Cap != 10000 {
			t.Fatalf("counters = %+v %v", m.Stats.Counts, m.Stats.Queues)
		}
		return
	}
}
