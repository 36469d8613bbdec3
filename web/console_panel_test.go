package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/eventloom/eventloom/engine"
)

// requestLog records every request a client makes, redirects
// followed included, as "METHOD /path".
type requestLog struct {
	mu   sync.Mutex
	seen []string
}

func (rl *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	rl.mu.Lock()
	rl.seen = append(rl.seen, r.Method+" "+r.URL.Path)
	rl.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (rl *requestLog) take() []string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	out := rl.seen
	rl.seen = nil
	return out
}

// panelHeaders are the headers htmx sends with a form boosted into the
// designer's side panel.
var panelHeaders = map[string]string{"HX-Request": "true", "HX-Target": "div#side-body", "HX-Boosted": "true", "Accept": "text/html"}

// panelChange is the HX-Trigger header's design-changed event.
type panelChange struct {
	Added, Removed, Changed []string
	Subscriptions           []struct{ App, Event, Kind string }
	Events                  []struct {
		App, Name string
		Public    bool
	}
	Lints *[]engine.Finding
	Page  string
}

func triggerOf(t *testing.T, resp *http.Response) panelChange {
	t.Helper()
	var trig map[string]panelChange
	if err := json.Unmarshal([]byte(resp.Header.Get("HX-Trigger")), &trig); err != nil {
		t.Fatalf("HX-Trigger %q: %v", resp.Header.Get("HX-Trigger"), err)
	}
	ch, ok := trig["eventloom:design-changed"]
	if !ok {
		t.Fatalf("HX-Trigger %q has no eventloom:design-changed", resp.Header.Get("HX-Trigger"))
	}
	return ch
}

// TestConsolePanelSaveIsOneRequest: a form saved from the designer's side
// panel costs one request, even for a client that follows redirects as a
// browser does: the answer is the next page's main content (no frame) with
// the canvas change in HX-Trigger; a refused save is a 422 with the field
// errors and no change; the same form posted outside the panel still
// redirects (post/redirect/get).
func TestConsolePanelSaveIsOneRequest(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	rl := &requestLog{}
	c := newConsoleClient(t, s.url, &http.Client{Transport: rl})
	c.signIn()
	c.http.CheckRedirect = nil // follow redirects, as the browser's fetch does
	rl.take()

	// Refused: a filter that does not parse.
	resp, doc := c.send("POST", "/apps/Mail/subscriptions/new", url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"pull"}, "enabled": {"true"}, "filter": {"Qty >"}}, panelHeaders)
	if seen := rl.take(); !slices.Equal(seen, []string{"POST /apps/Mail/subscriptions/new"}) {
		t.Fatalf("a refused save made %v, want the one POST", seen)
	}
	if resp.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="error-filter"]`).Length() != 1 {
		t.Fatalf("refused save = %d, filter error %q; want 422 with the filter's error", resp.StatusCode, doc.Find(`[data-testid="error-filter"]`).Text())
	}
	if resp.Header.Get("HX-Trigger") != "" {
		t.Fatalf("a refused save reports a change: %s", resp.Header.Get("HX-Trigger"))
	}
	if v, _ := doc.Find(`[data-testid="subscription-filter"]`).Attr("value"); v != "Qty >" {
		t.Fatalf("the refused form lost the filter typed: %q", v)
	}

	// Saved: one POST, answered 200 with the app's page as the panel shows it.
	resp, doc = c.send("POST", "/apps/Mail/subscriptions/new", url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"pull"}, "enabled": {"true"}}, panelHeaders)
	if seen := rl.take(); !slices.Equal(seen, []string{"POST /apps/Mail/subscriptions/new"}) {
		t.Fatalf("one save made %v, want exactly the one POST (no GET of the page, /designer or /designer/data)", seen)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("panel save = %d, want 200", resp.StatusCode)
	}
	assertPanelFragment(t, doc)
	if f := doc.Find(`[data-testid="flash"]`).Text(); f != "Saved: Mail handles Shop.OrderPlaced." {
		t.Fatalf("flash = %q", f)
	}
	if doc.Find(`[data-testid="edit-app"]`).Length() != 1 || resp.Header.Get("Content-Location") != "/apps/Mail" {
		t.Fatalf("the answer is not Mail's page (Content-Location %q)", resp.Header.Get("Content-Location"))
	}
	ch := triggerOf(t, resp)
	if !slices.Equal(ch.Added, []string{"sub:Mail:Shop.OrderPlaced"}) || len(ch.Removed)+len(ch.Changed) != 0 || ch.Page != "/apps/Mail" {
		t.Fatalf("change = %+v, want the one edge added", ch)
	}
	if len(ch.Subscriptions) != 1 || ch.Subscriptions[0].Kind != "pull" || ch.Subscriptions[0].App != "Mail" || ch.Subscriptions[0].Event != "Shop.OrderPlaced" {
		t.Fatalf("the change does not say how to draw the edge: %+v", ch.Subscriptions)
	}

	// An event edited in the panel: the node changed, nothing added.
	resp, _ = c.send("POST", "/apps/Shop/events/Audit/edit", url.Values{"name": {"Audit"}, "public": {"true"}}, panelHeaders)
	if seen := rl.take(); len(seen) != 1 || resp.StatusCode != http.StatusOK {
		t.Fatalf("event save = %d after %v", resp.StatusCode, seen)
	}
	if ch := triggerOf(t, resp); !slices.Equal(ch.Changed, []string{"event:Shop.Audit"}) || len(ch.Added)+len(ch.Removed) != 0 || len(ch.Events) != 1 || !ch.Events[0].Public {
		t.Fatalf("event change = %+v, want event:Shop.Audit changed to public", ch)
	}

	// A deletion in the panel: the edge removed, and the lints with it
	// (Stock handles nothing now).
	resp, _ = c.send("POST", "/apps/Stock/subscriptions/Shop.OrderPlaced/delete", url.Values{}, panelHeaders)
	if seen := rl.take(); len(seen) != 1 || resp.StatusCode != http.StatusOK {
		t.Fatalf("delete = %d after %v", resp.StatusCode, seen)
	}
	if ch := triggerOf(t, resp); !slices.Equal(ch.Removed, []string{"sub:Stock:Shop.OrderPlaced"}) || len(ch.Added)+len(ch.Changed) != 0 || ch.Lints == nil || !slices.ContainsFunc(*ch.Lints, func(f engine.Finding) bool { return f.Code == "idle_app" && f.Subject == "Stock" }) {
		t.Fatalf("delete change = %+v", ch)
	}

	// The same form outside the panel: post/redirect/get as before.
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ = c.send("POST", "/apps/Stock/subscriptions/new", url.Values{"event": {"Shop.OrderPlaced"}, "kind": {"pull"}, "enabled": {"true"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps/Stock" || resp.Header.Get("HX-Trigger") != "" {
		t.Fatalf("plain form save = %d to %q (HX-Trigger %q), want a redirect", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("HX-Trigger"))
	}
}

// assertPanelFragment checks that an answer is a page's main element
// alone: no head, no navigation.
func assertPanelFragment(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if doc.Find("main").Length() != 1 || doc.Find("title, header.top, nav[aria-label=\"Main\"], form[action=\"/signout\"]").Length() != 0 {
		h, _ := doc.Html()
		t.Fatalf("the panel's answer is not the main element alone: %.400s", h)
	}
}
