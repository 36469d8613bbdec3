package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/store"
	"github.com/eventloom/eventloom/web"
)

// consoleClient is a browser-like client of the console: it keeps
// cookies and does not follow redirects, so each answer can be checked.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newConsoleClient(t *testing.T, base string, hc *http.Client) *consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *hc
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &consoleClient{t: t, base: base, http: &c}
}

// send makes one request; form, when not nil, is posted as a form.
func (c *consoleClient) send(method, path string, form url.Values, header map[string]string) (*http.Response, *goquery.Document) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, doc
}

func (c *consoleClient) signIn() *http.Response {
	c.t.Helper()
	resp, _ := c.send("POST", "/signin", url.Values{"token": {adminToken}, "next": {"/apps"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps" {
		c.t.Fatalf("sign in = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp
}

func sessionCookieOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, ck := range resp.Cookies() {
		if ck.Name == "eventloom_session" {
			return ck
		}
	}
	t.Fatal("no session cookie set")
	return nil
}

func TestConsoleSignedOutIsSentToSignIn(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	c := newConsoleClient(t, s.url, http.DefaultClient)
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		location, redirect string
	}{
		{name: "a page returns to itself", method: "GET", path: "/apps?x=1", status: http.StatusSeeOther, location: "/signin?next=" + url.QueryEscape("/apps?x=1")},
		{name: "an unknown page too", method: "GET", path: "/overview", status: http.StatusSeeOther, location: "/signin?next=%2Foverview"},
		{name: "a form post returns to its page", method: "POST", path: "/apps", header: map[string]string{"Referer": s.url + "/apps"}, status: http.StatusSeeOther, location: "/signin?next=%2Fapps"},
		{name: "a post from elsewhere returns home", method: "POST", path: "/apps", header: map[string]string{"Referer": "http://elsewhere.example/apps"}, status: http.StatusSeeOther, location: "/signin?next=%2F"},
		{name: "htmx returns to the page it is on", method: "GET", path: "/traces/1", header: map[string]string{"HX-Request": "true", "HX-Current-URL": s.url + "/apps/Shop/events/OrderPlaced"},
			status: http.StatusUnauthorized, redirect: "/signin?next=" + url.QueryEscape("/apps/Shop/events/OrderPlaced")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{"name": {"Sneaky"}}
			}
			resp, _ := c.send(tc.method, tc.path, form, tc.header)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location || resp.Header.Get("HX-Redirect") != tc.redirect {
				t.Fatalf("= %d Location %q HX-Redirect %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("HX-Redirect"), tc.status, tc.location, tc.redirect)
			}
		})
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Sneaky", adminToken, ""); code != http.StatusNotFound {
		t.Fatal("a signed-out post created an app")
	}
}

func TestConsoleSessionCookie(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	ck := sessionCookieOf(t, newConsoleClient(t, s.url, http.DefaultClient).signIn())
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || len(ck.Value) < 40 {
		t.Fatalf("session cookie over HTTP = %+v; want HttpOnly, SameSite=Lax, Path=/, not Secure, a long random id", ck)
	}
	// Over TLS the cookie is Secure.
	ws := web.New(web.Config{Engine: s.eng})
	tlsSrv := httptest.NewTLSServer(ws.Handler())
	t.Cleanup(func() { ws.Close(); tlsSrv.Close() })
	if ck := sessionCookieOf(t, newConsoleClient(t, tlsSrv.URL, tlsSrv.Client()).signIn()); !ck.Secure {
		t.Fatalf("session cookie over TLS = %+v; want Secure", ck)
	}
	// Behind a proxy that terminates TLS, SecureCookies marks it Secure
	// although the request reached the server over plain HTTP.
	proxied := web.New(web.Config{Engine: s.eng, SecureCookies: true})
	plain := httptest.NewServer(proxied.Handler())
	t.Cleanup(func() { proxied.Close(); plain.Close() })
	if ck := sessionCookieOf(t, newConsoleClient(t, plain.URL, http.DefaultClient).signIn()); !ck.Secure {
		t.Fatalf("session cookie with SecureCookies = %+v; want Secure", ck)
	}
	// Signing out ends the session on the server, not only the cookie.
	c := newConsoleClient(t, s.url, http.DefaultClient)
	old := sessionCookieOf(t, c.signIn())
	if resp, _ := c.send("POST", "/signout", url.Values{}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out = %d", resp.StatusCode)
	}
	replay := newConsoleClient(t, s.url, http.DefaultClient)
	u, _ := url.Parse(s.url)
	replay.http.Jar.SetCookies(u, []*http.Cookie{{Name: old.Name, Value: old.Value}})
	if resp, _ := replay.send("GET", "/apps", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a signed-out session id still opens /apps: %d", resp.StatusCode)
	}
}

// TestConsoleSessionsOutliveTheServerAndExpire: a sign-in is stored, so
// another server over the same engine (a restart) honours it; it lasts
// 12 hours from its last use and no longer.
func TestConsoleSessionsOutliveTheServerAndExpire(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	s := newAPIServer(t, engine.Config{Clock: clk})
	ck := sessionCookieOf(t, newConsoleClient(t, s.url, http.DefaultClient).signIn())
	opens := func(base string) int {
		c := newConsoleClient(t, base, http.DefaultClient)
		u, _ := url.Parse(base)
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
		resp, _ := c.send("GET", "/apps", nil, nil)
		return resp.StatusCode
	}
	restarted := web.New(web.Config{Engine: s.eng})
	srv := httptest.NewServer(restarted.Handler())
	t.Cleanup(func() { restarted.Close(); srv.Close() })
	if code := opens(srv.URL); code != http.StatusOK {
		t.Fatalf("the sign-in did not survive a new server: /apps = %d", code)
	}
	clk.Advance(11 * time.Hour) // used 11 h later: extended to 23 h
	if code := opens(s.url); code != http.StatusOK {
		t.Fatalf("a session used within 12 h was refused: %d", code)
	}
	clk.Advance(11 * time.Hour)
	if code := opens(s.url); code != http.StatusOK {
		t.Fatalf("a session whose use extended it was refused: %d", code)
	}
	clk.Advance(12*time.Hour + time.Minute)
	if code := opens(s.url); code != http.StatusSeeOther {
		t.Fatalf("a session unused for over 12 h still opens /apps: %d", code)
	}
}

func TestConsoleRefusesCrossOriginPosts(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	for name, h := range map[string]map[string]string{
		"Sec-Fetch-Site": {"Sec-Fetch-Site": "cross-site"},
		"Origin":         {"Origin": "http://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, doc := c.send("POST", "/apps", url.Values{"name": {"Evil"}}, h)
			if resp.StatusCode != http.StatusForbidden || doc.Find(`[data-testid="error-message"]`).Length() != 1 {
				t.Fatalf("cross-origin post = %d, want 403 with the error page", resp.StatusCode)
			}
			if resp, _ := c.send("POST", "/signin", url.Values{"token": {adminToken}}, h); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-origin sign-in = %d, want 403", resp.StatusCode)
			}
		})
	}
	if code, _, _ := s.call("GET", "/api/v1/apps/Evil", adminToken, ""); code != http.StatusNotFound {
		t.Fatal("a cross-origin post created an app")
	}
	// The same origin goes through.
	resp, _ := c.send("POST", "/apps", url.Values{"name": {"Fine"}}, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": s.url})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin post = %d", resp.StatusCode)
	}
}

func TestConsoleErrorsFullPageAndHTMX(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()

	resp, doc := c.send("GET", "/no/such/page", nil, nil)
	if resp.StatusCode != http.StatusNotFound || doc.Find("h1").Text() != "Not found" || doc.Find(`nav a[href="/apps"]`).Length() != 1 {
		t.Fatalf("unknown page = %d %q; want the 404 page with the nav", resp.StatusCode, doc.Find("h1").Text())
	}
	resp, doc = c.send("GET", "/traces/424242", nil, nil)
	if resp.StatusCode != http.StatusNotFound || doc.Find(`[data-testid="error-message"]`).Length() != 1 || !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
		t.Fatalf("missing trace = %d; want the 404 page, Vary: HX-Request", resp.StatusCode)
	}

	// htmx swaps 4xx answers too: a failed htmx request gets a notice for
	// the layout's errors region, never a whole page inside a fragment.
	resp, doc = c.send("GET", "/traces/424242", nil, map[string]string{"HX-Request": "true"})
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("HX-Retarget") != "#console-errors" || resp.Header.Get("HX-Reswap") != "innerHTML" {
		t.Fatalf("htmx missing trace = %d retarget %q reswap %q", resp.StatusCode, resp.Header.Get("HX-Retarget"), resp.Header.Get("HX-Reswap"))
	}
	if doc.Find("header, nav, title").Length() != 0 || doc.Find(`[data-testid="error-notice"]`).Length() != 1 {
		t.Fatal("the htmx error answer is not a bare notice")
	}
}

// TestConsoleSidePanelErrorsStayInThePanel: a request made from the
// designer's side panel (its htmx target) gets its notice in the panel's
// own errors region, selected whole from the answer.
func TestConsoleSidePanelErrorsStayInThePanel(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	resp, doc := c.send("GET", "/traces/424242", nil, map[string]string{"HX-Request": "true", "HX-Target": "div#side-body"})
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("HX-Retarget") != "#side-errors" || resp.Header.Get("HX-Reselect") != `[data-testid="error-notice"]` {
		t.Fatalf("panel request = %d retarget %q reselect %q", resp.StatusCode, resp.Header.Get("HX-Retarget"), resp.Header.Get("HX-Reselect"))
	}
	if doc.Find(`[data-testid="error-notice"]`).Length() != 1 {
		t.Fatal("no notice in the answer")
	}
}

// TestConsoleDesignerData is what the canvas redraws from after an edit
// in the side panel: the same document the page embeds.
func TestConsoleDesignerData(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	req, _ := http.NewRequest("GET", s.url+"/designer/data", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var data struct {
		Apps          []struct{ Name string }
		Events        []struct{ App, Name string }
		Subscriptions []struct{ App, Event, Kind string }
		Flows         map[string][]string
		Lints         []struct{ Code, Subject string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil || resp.StatusCode != 200 {
		t.Fatalf("designer data = %d %v", resp.StatusCode, err)
	}
	if len(data.Apps) != 3 || len(data.Events) != 3 || len(data.Subscriptions) != 2 {
		t.Fatalf("designer data = %+v", data)
	}
	if got := data.Flows["Stock:Shop.OrderPlaced"]; len(got) != 1 || got[0] != "Stock.Reserved" {
		t.Fatalf("flows = %v; want Stock's flow to trigger Stock.Reserved", data.Flows)
	}
	if len(data.Lints) == 0 || data.Lints[0].Subject == "" {
		t.Fatalf("lints = %v; Shop.Audit is handled by nobody", data.Lints)
	}
	// Signed out, it is not served.
	anon := newConsoleClient(t, s.url, http.DefaultClient)
	if r, _ := anon.send("GET", "/designer/data", nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed-out designer data = %d, want a redirect to sign in", r.StatusCode)
	}
}

func TestConsoleUnknownErrorShowsARequestIDOnly(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(ctx, engine.Config{Storage: st, AdminTokenMemoryKiB: 64, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.InitAdminToken(ctx, adminToken); err != nil {
		t.Fatal(err)
	}
	ws := web.New(web.Config{Engine: eng, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() {
		ws.Close()
		srv.Close()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_ = eng.Close(cctx)
	})
	c := newConsoleClient(t, srv.URL, http.DefaultClient)
	c.signIn()
	if err := st.Close(); err != nil { // every read from now on fails
		t.Fatal(err)
	}
	for name, h := range map[string]map[string]string{"page": nil, "htmx": {"HX-Request": "true"}} {
		t.Run(name, func(t *testing.T) {
			resp, doc := c.send("GET", "/overview", nil, h)
			id := doc.Find(`[data-testid="request-id"]`).Text()
			if resp.StatusCode != http.StatusInternalServerError || id == "" || id != resp.Header.Get("X-Request-Id") {
				t.Fatalf("= %d request id %q (header %q)", resp.StatusCode, id, resp.Header.Get("X-Request-Id"))
			}
			if body := strings.ToLower(doc.Text()); strings.Contains(body, "closed") || strings.Contains(body, "sql") {
				t.Fatalf("the error's text reached the page: %s", doc.Text())
			}
		})
	}
}

func TestConsoleFlashComesFromThePostNotTheURL(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	if _, doc := c.send("GET", "/overview?flash=Your+token+leaked,+paste+it+at+evil.example", nil, nil); doc.Find(`[data-testid="flash"]`).Length() != 0 {
		t.Fatal("a link's query put a message in the console's banner")
	}
	resp, _ := c.send("POST", "/apps", url.Values{"name": {"Billing"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "flash") {
		t.Fatalf("create = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, doc := c.send("GET", resp.Header.Get("Location"), nil, nil); !strings.Contains(doc.Find(`[data-testid="flash"]`).Text(), "Created Billing") {
		t.Fatal("the post's outcome is not shown after the redirect")
	}
	if _, doc := c.send("GET", "/apps/Billing", nil, nil); doc.Find(`[data-testid="flash"]`).Length() != 0 {
		t.Fatal("the flash shows twice")
	}
}
