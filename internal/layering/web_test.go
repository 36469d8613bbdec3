package layering

import (
	"slices"
	"strings"
	"testing"
)

// webParts lists, for each package that web is split into, the prefixes
// of the project it may depend on (directly or not): the classifier, the
// live view, the shared request reading and the canvas layout read the
// engine and nothing of store, the console's templates or the web
// package that mounts them, so any face of the server can use them. The
// REST API (web/api) builds on those and never reaches the console, its
// templates or the wiring; the console (web/console) renders templates
// and never reaches the REST API or the wiring. The engine's own rule (no web at all) keeps
// the arrow one way.
var webParts = map[string][]string{
	"web/httperr": {"engine"},
	"web/live":    {"engine", "web/httperr"},
	"web/request": {"engine", "web/httperr"},
	"web/canvas":  {"engine"},
	"web/api":     {"engine", "web/httperr", "web/request", "web/canvas", "web/live", "web/series", "web/apidoc"},
	"web/console": {"engine", "templates", "static", "web/httperr", "web/request", "web/canvas", "web/live", "web/apidoc"},
}

// TestWebPartsArrows: each package of webParts depends on nothing of the
// project beyond what its entry allows.
func TestWebPartsArrows(t *testing.T) {
	pkgs := goList(t, "-deps=false", "./web/...")
	seen := 0
	for _, p := range pkgs {
		if _, ok := webParts[strings.TrimPrefix(p.ImportPath, module+"/")]; ok {
			seen++
		}
	}
	if seen != len(webParts) {
		t.Fatalf("go list found %d of the %d packages of webParts; the test is not looking at them", seen, len(webParts))
	}
	if v := webPartViolations(pkgs); len(v) > 0 {
		t.Fatalf("dependency rules broken:\n%s", strings.Join(v, "\n"))
	}
}

// webPartViolations lists the project dependencies of webParts' packages
// that their entry does not allow.
func webPartViolations(pkgs []listed) []string {
	var out []string
	for _, p := range pkgs {
		allowed, ok := webParts[strings.TrimPrefix(p.ImportPath, module+"/")]
		if !ok {
			continue
		}
		for _, d := range p.Deps {
			rel, inProject := strings.CutPrefix(d, module+"/")
			if !inProject || slices.ContainsFunc(allowed, func(a string) bool { return rel == a || strings.HasPrefix(rel, a+"/") }) {
				continue
			}
			out = append(out, p.ImportPath+" imports "+d+" (rule: it may use only "+strings.Join(allowed, ", ")+" of the project)")
		}
	}
	return out
}

// TestWebPartsRuleCatchesAViolation shows the check can fail: the live
// view reaching store or the console's templates, the classifier reaching
// the live view, and the engine reaching either, are reported; the
// engine and the standard library are not.
func TestWebPartsRuleCatchesAViolation(t *testing.T) {
	v := webPartViolations([]listed{
		{ImportPath: module + "/web/live", Deps: []string{"net/http", module + "/engine/notify", module + "/web/httperr", module + "/store/mem", module + "/templates"}},
		{ImportPath: module + "/web/httperr", Deps: []string{module + "/engine/fault", module + "/web/live"}},
	})
	if len(v) != 3 || !strings.Contains(v[0], "web/live imports "+module+"/store/mem") || !strings.Contains(v[1], "web/live imports "+module+"/templates") ||
		!strings.Contains(v[2], "web/httperr imports "+module+"/web/live") {
		t.Fatalf("violations = %q, want store/mem and templates in live, live in httperr, nothing else", v)
	}
	v = webPartViolations([]listed{
		{ImportPath: module + "/web/api", Deps: []string{module + "/web/request", module + "/templates", module + "/web", module + "/web/console", module + "/store"}},
		{ImportPath: module + "/web/request", Deps: []string{module + "/web/httperr", module + "/web/api", module + "/web/console", module + "/templates"}},
		{ImportPath: module + "/web/console", Deps: []string{module + "/templates", module + "/web/request", module + "/web/api", module + "/web"}},
	})
	want := []string{"web/api imports " + module + "/templates", "web/api imports " + module + "/web ", "web/api imports " + module + "/web/console", "web/api imports " + module + "/store",
		"web/request imports " + module + "/web/api", "web/request imports " + module + "/web/console", "web/request imports " + module + "/templates",
		"web/console imports " + module + "/web/api", "web/console imports " + module + "/web "}
	if len(v) != len(want) {
		t.Fatalf("violations = %q, want %d: templates, web, web/console and store in api; api, console and templates in request; api and web in console", v, len(want))
	}
	for i := range want {
		if !strings.Contains(v[i]+" ", want[i]) {
			t.Errorf("violation %d = %q, want it to name %q", i, v[i], want[i])
		}
	}
	v = violations([]listed{{ImportPath: module + "/engine/dispatch", Deps: []string{module + "/web/live"}}, {ImportPath: module + "/engine", Deps: []string{module + "/web/httperr"}}})
	// engine/dispatch breaks two rules at once: its leaf list and the
	// engine's ban on web.
	if len(v) != 3 || !strings.Contains(v[0], "engine/dispatch imports "+module+"/web/live") || !strings.Contains(v[1], "engine/dispatch imports "+module+"/web/live") ||
		!strings.Contains(v[2], "engine imports "+module+"/web/httperr") {
		t.Fatalf("engine violations = %q, want the engine's imports of web/live and web/httperr", v)
	}
}
