package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web"
)

const rolePassword = "correct horse battery staple"

// roleFixture is a server with the shop design and one user of each
// role, each with an API token and a signed-in console.
type roleFixture struct {
	s        *apiServer
	tokens   map[engine.Role]string
	consoles map[engine.Role]*consoleClient
}

func userOf(r engine.Role) string { return string(r) + "-user" }

func newRoleFixture(t *testing.T) *roleFixture {
	t.Helper()
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	f := &roleFixture{s: s, tokens: map[engine.Role]string{}, consoles: map[engine.Role]*consoleClient{}}
	for _, r := range engine.Roles() {
		if code, body, _ := s.call("POST", "/api/v1/users", adminToken, `{"name":"`+userOf(r)+`","role":"`+string(r)+`","password":"`+rolePassword+`"}`); code != 201 {
			t.Fatalf("create %s = %d %v", r, code, body)
		}
		code, body, _ := s.call("POST", "/api/v1/users/"+userOf(r)+"/tokens", adminToken, "")
		tok, _ := body["token"].(string)
		if code != 201 || !strings.HasPrefix(tok, "elu_") {
			t.Fatalf("token for %s = %d %v", r, code, body)
		}
		f.tokens[r] = tok
		c := newConsoleClient(t, s.url, http.DefaultClient)
		resp, _ := c.send("POST", "/signin", url.Values{"name": {userOf(r)}, "password": {rolePassword}}, sameSite)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in as %s = %d", r, resp.StatusCode)
		}
		f.consoles[r] = c
	}
	return f
}

// sameSite is what a browser sends with a console form of this server.
var sameSite = map[string]string{"Sec-Fetch-Site": "same-origin"}

// roleCase is one route called by every role: route is the echo route it
// covers, path the concrete request (names that do not exist, or a body
// that cannot be read, so that a role allowed through changes nothing
// either), right what the route needs, stated here independently of the
// server's table.
type roleCase struct {
	route, path, body string
	right             engine.Right
}

func (c roleCase) method() string { return strings.Fields(c.route)[0] }

// Shorthands for the rights in the case tables.
const (
	mayRead    = engine.RightRead
	mayDesign  = engine.RightDesign
	mayOperate = engine.RightOperate
	mayTrigger = engine.RightTrigger
	mayAdmin   = engine.RightAdmin
)

// apiRoleCases covers every REST route.
func apiRoleCases() []roleCase {
	app, ev, sub := "/api/v1/apps/Shop", "/api/v1/apps/Shop/events/Ghost", "/api/v1/apps/Shop/subscriptions/Ghost.Nope"
	return []roleCase{
		{"GET /api/v1/apps", "/api/v1/apps", "", mayRead},
		{"POST /api/v1/apps", "/api/v1/apps", "x", mayDesign},
		{"GET /api/v1/apps/:app", app, "", mayRead},
		{"PATCH /api/v1/apps/:app", app, "x", mayDesign},
		{"DELETE /api/v1/apps/:app", "/api/v1/apps/Ghost", "", mayDesign},
		{"GET /api/v1/apps/:app/events", app + "/events", "", mayRead},
		{"POST /api/v1/apps/:app/events", app + "/events", "x", mayDesign},
		{"GET /api/v1/apps/:app/events/:event", ev, "", mayRead},
		{"PATCH /api/v1/apps/:app/events/:event", ev, "x", mayDesign},
		{"DELETE /api/v1/apps/:app/events/:event", ev, "", mayDesign},
		{"POST /api/v1/apps/:app/events/:event/trigger", ev + "/trigger", "{}", mayTrigger},
		{"POST /api/v1/apps/:app/events/:event/trigger\\:batch", ev + "/trigger:batch", "[{}]", mayTrigger},
		{"POST /api/v1/apps/:app/secrets", "/api/v1/apps/Ghost/secrets", "", mayDesign},
		{"POST /api/v1/apps/:app/subscriptions/:ref/receive", sub + "/receive?wait=0", "", mayOperate},
		{"POST /api/v1/apps/:app/subscriptions/:ref/ack", sub + "/ack", "x", mayOperate},
		{"POST /api/v1/apps/:app/subscriptions/:ref/release", sub + "/release", "x", mayOperate},
		{"POST /api/v1/apps/:app/subscriptions/:ref/reject", sub + "/reject", "x", mayOperate},
		{"POST /api/v1/apps/:app/subscriptions/:ref/extend", sub + "/extend", "x", mayOperate},
		{"GET /api/v1/occurrences/:id/verdicts", "/api/v1/occurrences/999/verdicts", "", mayRead},
		{"GET /api/v1/design/versions", "/api/v1/design/versions", "", mayRead},
		{"GET /api/v1/design/versions/:n", "/api/v1/design/versions/999", "", mayRead},
		{"GET /api/v1/design/diff", "/api/v1/design/diff?from=1", "", mayRead},
		{"GET /api/v1/design/asyncapi", "/api/v1/design/asyncapi", "", mayRead},
		{"GET /api/v1/apps/:app/subscriptions", app + "/subscriptions", "", mayRead},
		{"POST /api/v1/apps/:app/subscriptions", app + "/subscriptions", "x", mayDesign},
		{"GET /api/v1/apps/:app/subscriptions/:ref", sub, "", mayRead},
		{"PATCH /api/v1/apps/:app/subscriptions/:ref", sub, "x", mayDesign},
		{"DELETE /api/v1/apps/:app/subscriptions/:ref", sub, "", mayDesign},
		{"POST /api/v1/apps/:app/subscriptions/:ref/pause", sub + "/pause", "", mayOperate},
		{"POST /api/v1/apps/:app/subscriptions/:ref/resume", sub + "/resume", "", mayOperate},
		{"GET /api/v1/apps/:app/keys", app + "/keys", "", mayDesign},
		{"POST /api/v1/apps/:app/keys", "/api/v1/apps/Ghost/keys", "", mayDesign},
		{"DELETE /api/v1/apps/:app/keys/:id", app + "/keys/999", "", mayDesign},
		{"GET /api/v1/occurrences", "/api/v1/occurrences", "", mayRead},
		{"GET /api/v1/occurrences/:id", "/api/v1/occurrences/999", "", mayRead},
		{"GET /api/v1/traces/:id", "/api/v1/traces/999", "", mayRead},
		{"GET /api/v1/deliveries", "/api/v1/deliveries", "", mayRead},
		{"GET /api/v1/deliveries/:id", "/api/v1/deliveries/999", "", mayRead},
		{"POST /api/v1/deliveries/:id/retry", "/api/v1/deliveries/999/retry", "", mayOperate},
		{"POST /api/v1/deliveries/:id/replay", "/api/v1/deliveries/999/replay", "", mayOperate},
		{"POST /api/v1/deliveries/:id/discard", "/api/v1/deliveries/999/discard", "", mayOperate},
		{"POST /api/v1/replays", "/api/v1/replays", `{"filter":{"status":"dead"},"action":"replay","dryRun":true}`, mayOperate},
		{"GET /api/v1/replays/:replay", "/api/v1/replays/nope", "", mayOperate},
		{"DELETE /api/v1/replays/:replay", "/api/v1/replays/nope", "", mayOperate},
		{"GET /api/v1/stats", "/api/v1/stats", "", mayRead},
		{"GET /api/v1/stats/series", "/api/v1/stats/series", "", mayRead},
		{"GET /api/v1/timeline", "/api/v1/timeline", "", mayRead},
		{"GET /api/v1/live", "/api/v1/live", "", mayRead},
		{"GET /api/v1/lint", "/api/v1/lint", "", mayRead},
		{"GET /api/v1/layout", "/api/v1/layout", "", mayRead},
		{"PUT /api/v1/layout", "/api/v1/layout", "x", mayDesign},
		{"GET /api/v1/design", "/api/v1/design", "", mayRead},
		{"PUT /api/v1/design", "/api/v1/design", "x", mayDesign},
		{"GET /api/v1/backup", "/api/v1/backup", "", mayAdmin},
		{"GET /api/v1/audit", "/api/v1/audit", "", mayRead},
		{"GET /api/v1/alerts", "/api/v1/alerts", "", mayRead},
		{"GET /api/v1/alerts/webhook", "/api/v1/alerts/webhook", "", mayAdmin},
		{"PUT /api/v1/alerts/webhook", "/api/v1/alerts/webhook", "x", mayAdmin},
		{"DELETE /api/v1/alerts/webhook", "/api/v1/alerts/webhook", "", mayAdmin},
		{"GET /api/v1/users", "/api/v1/users", "", mayAdmin},
		{"POST /api/v1/users", "/api/v1/users", "x", mayAdmin},
		{"GET /api/v1/users/:name", "/api/v1/users/ghost", "", mayAdmin},
		{"PATCH /api/v1/users/:name", "/api/v1/users/ghost", "x", mayAdmin},
		{"DELETE /api/v1/users/:name", "/api/v1/users/ghost", "", mayAdmin},
		{"GET /api/v1/users/:name/tokens", "/api/v1/users/ghost/tokens", "", mayAdmin},
		{"POST /api/v1/users/:name/tokens", "/api/v1/users/ghost/tokens", "", mayAdmin},
		{"DELETE /api/v1/users/:name/tokens/:id", "/api/v1/users/ghost/tokens/999", "", mayAdmin},
		{"GET /metrics", "/metrics", "", mayAdmin},
	}
}

// consoleRoleCases covers every console page and form.
func consoleRoleCases() []roleCase {
	sub := "/apps/Shop/subscriptions/Ghost.Nope"
	return []roleCase{
		{"GET /", "/", "", mayRead},
		{"GET /overview", "/overview", "", mayRead},
		{"GET /stats/series", "/stats/series", "", mayRead},
		{"GET /designer/data", "/designer/data", "", mayRead},
		{"GET /designer/backlog", "/designer/backlog", "", mayRead},
		{"GET /designer/timeline", "/designer/timeline", "", mayRead},
		{"POST /designer/positions", "/designer/positions", "", mayDesign},
		{"GET /apps", "/apps", "", mayRead},
		{"POST /apps", "/apps", "", mayDesign},
		{"GET /apps/:app", "/apps/Shop", "", mayRead},
		{"POST /apps/:app", "/apps/Ghost", "", mayDesign},
		{"POST /apps/:app/delete", "/apps/Ghost/delete", "", mayDesign},
		{"POST /apps/:app/keys", "/apps/Ghost/keys", "", mayDesign},
		{"POST /apps/:app/keys/:id/revoke", "/apps/Shop/keys/999/revoke", "", mayDesign},
		{"GET /apps/:app/events/:event", "/apps/Shop/events/OrderPlaced", "", mayRead},
		{"POST /apps/:app/events/:event/trigger", "/apps/Shop/events/Ghost/trigger", "", mayTrigger},
		{"POST /apps/:app/events/:event/delete", "/apps/Shop/events/Ghost/delete", "", mayDesign},
		{"GET /apps/:app/events/new", "/apps/Shop/events/new", "", mayRead},
		{"POST /apps/:app/events/new", "/apps/Ghost/events/new", "", mayDesign},
		{"GET /apps/:app/events/:event/edit", "/apps/Shop/events/OrderPlaced/edit", "", mayRead},
		{"POST /apps/:app/events/:event/edit", "/apps/Shop/events/Ghost/edit", "", mayDesign},
		{"GET /apps/:app/subscriptions/new", "/apps/Stock/subscriptions/new", "", mayRead},
		{"POST /apps/:app/subscriptions/new", "/apps/Ghost/subscriptions/new", "", mayDesign},
		{"GET /apps/:app/subscriptions/:ref/edit", "/apps/Stock/subscriptions/Shop.OrderPlaced/edit", "", mayRead},
		{"POST /apps/:app/subscriptions/:ref/edit", sub + "/edit", "", mayDesign},
		{"POST /apps/:app/subscriptions/:ref/:op", sub + "/pause", "", mayOperate},
		{"POST /apps/:app/subscriptions/:ref/:op", sub + "/resume", "", mayOperate},
		{"POST /apps/:app/subscriptions/:ref/:op", sub + "/delete", "", mayDesign},
		{"GET /occurrences/:id", "/occurrences/999", "", mayRead},
		{"GET /traces/:id", "/traces/999", "", mayRead},
		{"GET /dead", "/dead", "", mayRead},
		{"GET /occurrences/:id/verdicts", "/occurrences/999/verdicts", "", mayRead},
		{"GET /design/versions", "/design/versions", "", mayRead},
		{"GET /design/diff", "/design/diff?from=1", "", mayRead},
		{"GET /reference", "/reference", "", mayRead},
		{"POST /apps/:app/secrets", "/apps/Ghost/secrets", "", mayDesign},
		{"POST /dead/bulk", "/dead/bulk", "", mayOperate},
		{"GET /bulk", "/bulk", "", mayOperate},
		{"POST /bulk", "/bulk", "", mayOperate},
		{"GET /bulk/jobs/:job", "/bulk/jobs/nope", "", mayOperate},
		{"POST /bulk/jobs/:job/cancel", "/bulk/jobs/nope/cancel", "", mayOperate},
		{"GET /history", "/history", "", mayRead},
		{"POST /deliveries/:id/:op", "/deliveries/999/replay", "", mayOperate},
		{"GET /live", "/live", "", mayRead},
		{"GET /audit", "/audit", "", mayRead},
		{"GET /alerts", "/alerts", "", mayRead},
		{"GET /users", "/users", "", mayAdmin},
		{"POST /users", "/users", "", mayAdmin},
		{"POST /users/:name", "/users/ghost", "", mayAdmin},
		{"POST /users/:name/delete", "/users/ghost/delete", "", mayAdmin},
		{"POST /users/:name/tokens", "/users/ghost/tokens", "", mayAdmin},
		{"POST /users/:name/tokens/:id/revoke", "/users/ghost/tokens/999/revoke", "", mayAdmin},
	}
}

// TestRoleRightsAreAsDocumented pins what each role holds, so the route
// tables below are checked against a fixed meaning of each role.
func TestRoleRightsAreAsDocumented(t *testing.T) {
	want := map[engine.Role]string{
		engine.RoleAdmin:    "read design operate trigger admin",
		engine.RoleDesigner: "read design trigger",
		engine.RoleOperator: "read operate trigger",
		engine.RoleViewer:   "read",
	}
	for _, r := range engine.Roles() {
		var got []string
		for _, right := range []engine.Right{engine.RightRead, engine.RightDesign, engine.RightOperate, engine.RightTrigger, engine.RightAdmin} {
			if r.May(right) {
				got = append(got, string(right))
			}
		}
		if strings.Join(got, " ") != want[r] {
			t.Errorf("%s may %v; want %s", r, got, want[r])
		}
	}
	if engine.Role("boss").May(engine.RightRead) {
		t.Error("an unknown role may read")
	}
}

// TestEveryRouteHasAnAccessEntry walks every route the server serves: each
// has an entry in the access table and a case in the role tables below,
// and a route added without an entry is refused to everyone (even the
// admin token) with a message naming the missing entry.
func TestEveryRouteHasAnAccessEntry(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	covered := map[string]bool{}
	for _, c := range append(apiRoleCases(), consoleRoleCases()...) {
		covered[c.route] = true
	}
	for _, r := range web.RouteAccesses(s.web) {
		key := r.Method + " " + r.Path
		switch {
		case !r.Listed:
			t.Errorf("%s has no entry in the access table (web/roles.go accessTable)", key)
		case !r.Public && !covered[key]:
			t.Errorf("%s has no case in the role tests (web/roles_test.go)", key)
		}
	}
	web.AddUnlistedRoute(s.web, "POST", "/api/v1/unlisted")
	code, body, _ := s.call("POST", "/api/v1/unlisted", adminToken, "")
	msg := errMessage(body)
	if code != http.StatusForbidden || !strings.Contains(msg, "POST /api/v1/unlisted") || !strings.Contains(msg, "access table") {
		t.Fatalf("unlisted route = %d %v; want 403 naming the missing entry", code, body)
	}
}

// TestRolesOnEveryAPIRoute calls every REST route with each role's token:
// a role without the route's right gets 403 naming the role, one with it
// is let through (whatever the route then answers, never 401 or 403).
// Afterwards the viewer has changed nothing: the audit log has no entry
// by it.
func TestRolesOnEveryAPIRoute(t *testing.T) {
	f := newRoleFixture(t)
	for _, c := range apiRoleCases() {
		for _, r := range engine.Roles() {
			code, body, _ := f.s.call(c.method(), c.path, f.tokens[r], c.body)
			if !r.May(c.right) {
				if msg := errMessage(body); code != http.StatusForbidden || !strings.Contains(msg, "your role "+string(r)+" may not") || !strings.Contains(msg, "ask an admin") {
					t.Errorf("%s as %s = %d %v; want 403 naming the role", c.path, r, code, body)
				}
				continue
			}
			if code == http.StatusUnauthorized || code == http.StatusForbidden || code >= 500 {
				t.Errorf("%s %s as %s = %d %v; want it let through", c.method(), c.path, r, code, body)
			}
		}
	}
	f.noEntriesBy(t, engine.RoleViewer)
}

// TestRolesOnEveryConsoleRoute does the same through each role's signed-in
// console: pages and forms.
func TestRolesOnEveryConsoleRoute(t *testing.T) {
	f := newRoleFixture(t)
	for _, c := range consoleRoleCases() {
		for _, r := range engine.Roles() {
			var form url.Values
			if c.method() == "POST" {
				form = url.Values{}
			}
			resp, doc := f.consoles[r].send(c.method(), c.path, form, sameSite)
			if !r.May(c.right) {
				msg := doc.Find(`[data-testid="error-message"]`).Text()
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(msg, "your role "+string(r)+" may not") {
					t.Errorf("%s %s as %s = %d %q; want 403 naming the role", c.method(), c.path, r, resp.StatusCode, msg)
				}
				continue
			}
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 ||
				strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
				t.Errorf("%s %s as %s = %d (to %q); want it let through", c.method(), c.path, r, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	f.noEntriesBy(t, engine.RoleViewer)
}

// noEntriesBy checks the audit log names no change by role's user.
func (f *roleFixture) noEntriesBy(t *testing.T, r engine.Role) {
	t.Helper()
	code, body, _ := f.s.call("GET", "/api/v1/audit?actor="+userOf(r), adminToken, "")
	if items, _ := body["items"].([]any); code != 200 || len(items) != 0 {
		t.Fatalf("audit entries by %s = %d %v; want none", r, code, body)
	}
}

// TestAuditNamesTheUser: a designer's design change, an operator's
// replay and an admin user's creation of a user are each audited under
// the user's own name, whether done with a token or signed in.
func TestAuditNamesTheUser(t *testing.T) {
	f := newRoleFixture(t)
	s := f.s
	if code, body, _ := s.call("POST", "/api/v1/apps", f.tokens[engine.RoleDesigner], `{"name":"Billing"}`); code != 201 {
		t.Fatalf("designer creates an app = %d %v", code, body)
	}
	// A delivery to a paused subscription waits; the operator discards
	// it, then replays it.
	if code, body, _ := s.call("POST", "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/pause", f.tokens[engine.RoleOperator], ""); code != 200 {
		t.Fatalf("operator pauses = %d %v", code, body)
	}
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", f.tokens[engine.RoleOperator], `{"Sku":"A","Qty":1}`); code != 202 {
		t.Fatalf("operator triggers = %d %v", code, body)
	}
	_, list, _ := s.call("GET", "/api/v1/deliveries?app=Stock", adminToken, "")
	items, _ := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("deliveries to Stock = %v; want one", list)
	}
	id := itoaTest(items[0].(map[string]any)["id"].(float64))
	if code, body, _ := s.call("POST", "/api/v1/deliveries/"+id+"/discard", f.tokens[engine.RoleOperator], ""); code != 200 {
		t.Fatalf("operator discards = %d %v", code, body)
	}
	resp, _ := f.consoles[engine.RoleOperator].send("POST", "/deliveries/"+id+"/replay", url.Values{}, sameSite)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("operator replays in the console = %d", resp.StatusCode)
	}
	resp, _ = f.consoles[engine.RoleAdmin].send("POST", "/users", url.Values{"name": {"grace"}, "role": {"viewer"}, "password": {rolePassword}}, sameSite)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin user creates grace in the console = %d", resp.StatusCode)
	}
	for _, want := range []struct{ actor, action, target string }{
		{userOf(engine.RoleDesigner), "app.create", "Billing"},
		{userOf(engine.RoleOperator), "subscription.pause", ""},
		{userOf(engine.RoleOperator), "delivery.discard", "delivery " + id},
		{userOf(engine.RoleOperator), "delivery.replay", "delivery " + id},
		{userOf(engine.RoleAdmin), "user.create", "grace"},
		{"admin token", "user.create", userOf(engine.RoleViewer)},
	} {
		_, body, _ := s.call("GET", "/api/v1/audit?actor="+url.QueryEscape(want.actor)+"&action="+want.action, adminToken, "")
		items, _ := body["items"].([]any)
		found := false
		for _, it := range items {
			e := it.(map[string]any)
			found = found || want.target == "" || e["target"] == want.target
		}
		if !found {
			t.Errorf("no audit entry %s by %s on %q: %v", want.action, want.actor, want.target, body)
		}
	}
}

func itoaTest(f float64) string { return strconv.FormatInt(int64(f), 10) }
