package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// positionsOf reads the positions the HX-Trigger header's design change
// carries for the canvas.
func positionsOf(t *testing.T, resp *http.Response) map[string]struct{ X, Y float64 } {
	t.Helper()
	var trig map[string]struct {
		Positions map[string]struct{ X, Y float64 }
	}
	if err := json.Unmarshal([]byte(resp.Header.Get("HX-Trigger")), &trig); err != nil {
		t.Fatalf("HX-Trigger %q: %v", resp.Header.Get("HX-Trigger"), err)
	}
	return trig["eventloom:design-changed"].Positions
}

// TestConsolePanelCreateIsOneRequest: an app or an event created in the
// designer's side panel, with the x and y the canvas filled in, costs
// one POST that saves the node and its position; the answer's design
// change carries the position, so the canvas needs no second request. A
// bad x or y refuses the create under "position" and saves neither; the
// form posted outside the designer (x and y empty) saves no position.
func TestConsolePanelCreateIsOneRequest(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	rl := &requestLog{}
	c := newConsoleClient(t, s.url, &http.Client{Transport: rl})
	c.signIn()
	c.http.CheckRedirect = nil // follow redirects, as the browser's fetch does
	rl.take()
	layout := func() map[string]any {
		_, body, _ := s.call("GET", "/api/v1/layout", adminToken, "")
		p, _ := body["positions"].(map[string]any)
		return p
	}

	for _, tc := range []struct {
		path, node string
		form       url.Values
		x, y       float64
	}{
		{"/apps", "app:Billing", url.Values{"name": {"Billing"}, "x": {"512"}, "y": {"-20.5"}}, 512, -20.5},
		{"/apps/Shop/events/new", "event:Shop.Shipped", url.Values{"name": {"Shipped"}, "x": {" 40.25 "}, "y": {"300"}}, 40.25, 300},
	} {
		resp, doc := c.send("POST", tc.path, tc.form, panelHeaders)
		if seen := rl.take(); !slices.Equal(seen, []string{"POST " + tc.path}) {
			t.Fatalf("creating %s made %v, want exactly the one POST", tc.node, seen)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("creating %s = %d, want 200", tc.node, resp.StatusCode)
		}
		assertPanelFragment(t, doc)
		if ch := triggerOf(t, resp); !slices.Equal(ch.Added, []string{tc.node}) {
			t.Fatalf("change of %s = %+v, want the node added", tc.node, ch)
		}
		if p, ok := positionsOf(t, resp)[tc.node]; !ok || p.X != tc.x || p.Y != tc.y {
			t.Fatalf("the change carries %s at %+v (%v), want (%v, %v)", tc.node, p, ok, tc.x, tc.y)
		}
		if p, _ := layout()[tc.node].(map[string]any); p["x"] != tc.x || p["y"] != tc.y {
			t.Fatalf("saved layout has %s at %v, want (%v, %v)", tc.node, p, tc.x, tc.y)
		}
	}

	// A bad position refuses the create: nothing saved, the error says
	// what to send.
	for _, tc := range []struct {
		path, node, check string
		form              url.Values
		want              string
	}{
		{"/apps", "app:Ledger", "/api/v1/apps/Ledger", url.Values{"name": {"Ledger"}, "x": {"left"}, "y": {"2"}}, `x is "left", not a number`},
		{"/apps", "app:Ledger", "/api/v1/apps/Ledger", url.Values{"name": {"Ledger"}, "x": {"1"}, "y": {"NaN"}}, `y is "NaN", not a number`},
		{"/apps/Shop/events/new", "event:Shop.Lost", "/api/v1/apps/Shop/events/Lost", url.Values{"name": {"Lost"}, "x": {"1"}}, "needs both x and y"},
	} {
		resp, doc := c.send("POST", tc.path, tc.form, panelHeaders)
		rl.take()
		msg := doc.Find(`[data-testid="error-position"]`).Text()
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.want) || resp.Header.Get("HX-Trigger") != "" {
			t.Fatalf("%v = %d with %q (HX-Trigger %q), want 422 saying %q", tc.form, resp.StatusCode, msg, resp.Header.Get("HX-Trigger"), tc.want)
		}
		if code, _, _ := s.call("GET", tc.check, adminToken, ""); code != http.StatusNotFound {
			t.Fatalf("a create refused for its position saved %s anyway (%d)", tc.node, code)
		}
		if _, saved := layout()[tc.node]; saved {
			t.Fatalf("a refused create saved a position for %s", tc.node)
		}
	}

	// Outside the designer the hidden x and y are empty: no position.
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := c.send("POST", "/apps", url.Values{"name": {"Ledger"}, "x": {""}, "y": {""}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plain create = %d, want a redirect", resp.StatusCode)
	}
	if _, saved := layout()["app:Ledger"]; saved {
		t.Fatal("a create without a position saved one")
	}
}
