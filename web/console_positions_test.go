package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
)

// TestConsoleDesignerPositions: the canvas saves moved nodes as a console
// form (x.<id>, y.<id>), merged or replacing; a bad form is refused on the
// console's error path (a notice retargeted to the page's errors region),
// saying what to send; the old JSON endpoint is gone.
func TestConsoleDesignerPositions(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	hx := map[string]string{"HX-Request": "true", "HX-Target": "div#console-errors", "Accept": "text/html"}
	layout := func() map[string]any {
		_, body, _ := s.call("GET", "/api/v1/layout", adminToken, "")
		p, _ := body["positions"].(map[string]any)
		return p
	}

	resp, _ := c.send("POST", "/designer/positions", url.Values{"x.app:Shop": {"10"}, "y.app:Shop": {"20.5"}, "x.event:Shop.Audit": {"-3"}, "y.event:Shop.Audit": {"4"}}, hx)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("save = %d, want 204", resp.StatusCode)
	}
	if p, _ := layout()["app:Shop"].(map[string]any); p["x"] != 10.0 || p["y"] != 20.5 || len(layout()) != 2 {
		t.Fatalf("layout = %v", layout())
	}
	resp, _ = c.send("POST", "/designer/positions", url.Values{"x.app:Mail": {"1"}, "y.app:Mail": {"2"}, "replace": {"true"}}, hx)
	if l := layout(); resp.StatusCode != http.StatusNoContent || len(l) != 1 || l["app:Mail"] == nil {
		t.Fatalf("replace = %d, layout %v; want Mail's position alone", resp.StatusCode, l)
	}

	for _, tc := range []struct {
		name string
		form url.Values
		ct   string
		want string
	}{
		{"not a number", url.Values{"x.app:Shop": {"ten"}, "y.app:Shop": {"1"}}, "", `x of app:Shop is &#34;ten&#34;, not a number`},
		{"half a position", url.Values{"x.app:Shop": {"1"}}, "", "has no y; send both x.app:Shop and y.app:Shop"},
		{"nothing", url.Values{}, "", "no positions were sent"},
		{"the old JSON body", nil, `{"positions":{"app:Shop":{"x":1,"y":2}}}`, "no positions were sent; send x.&lt;node id&gt;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := tc.ct, "application/json"
			if tc.form != nil {
				body, ct = tc.form.Encode(), "application/x-www-form-urlencoded"
			}
			req, _ := http.NewRequest("POST", s.url+"/designer/positions", strings.NewReader(body))
			req.Header.Set("Content-Type", ct)
			for k, v := range hx {
				req.Header.Set(k, v)
			}
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			body = string(b)
			if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("HX-Retarget") != "#console-errors" || !strings.Contains(body, tc.want) || !strings.Contains(body, `data-testid="error-notice"`) {
				t.Fatalf("= %d retarget %q: %s; want 422 with a notice saying %q", resp.StatusCode, resp.Header.Get("HX-Retarget"), body, tc.want)
			}
		})
	}
	if l := layout(); len(l) != 1 {
		t.Fatalf("a refused save changed the layout: %v", l)
	}
	if resp, _ := c.send("POST", "/designer/layout", url.Values{}, hx); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the old endpoint answers %d, want 404", resp.StatusCode)
	}
}
