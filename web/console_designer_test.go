package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestConsoleDesignerBacklog is what the canvas reloads when deliveries
// fail or die: the backlog per subscription, for signed-in users only.
func TestConsoleDesignerBacklog(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	for _, path := range []string{"/designer/backlog", "/designer/data"} {
		resp, err := c.http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var data struct {
			Backlog map[string]engine.Backlog `json:"backlog"`
		}
		err = json.NewDecoder(resp.Body).Decode(&data)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || data.Backlog == nil || len(data.Backlog) != 0 {
			t.Fatalf("GET %s = %d %v, backlog %v; want an empty backlog", path, resp.StatusCode, err, data.Backlog)
		}
	}
	anon := newConsoleClient(t, s.url, http.DefaultClient)
	if r, _ := anon.send("GET", "/designer/backlog", nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed-out backlog = %d, want a redirect to sign in", r.StatusCode)
	}
}
