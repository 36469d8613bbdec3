package layering

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/eventloom/eventloom"

// rule forbids packages under from to depend on any of the prefixes in
// banned.
type rule struct {
	from   string
	banned []string
	why    string
}

var rules = []rule{
	{module + "/engine", []string{module + "/web", module + "/store", module + "/templates", module + "/cmd",
		"github.com/labstack/echo", "github.com/a-h/templ", "modernc.org/sqlite", "database/sql", "net/http",
		"html/template", "github.com/gorilla/websocket", "github.com/prometheus"},
		"engine is the domain: no HTTP, SQL or HTML, and it never imports web or store"},
	{module + "/store", []string{module + "/web", module + "/templates", module + "/cmd", "github.com/labstack/echo", "github.com/a-h/templ", "github.com/prometheus"},
		"store implements the engine's storage seam and knows nothing of the web"},
	{module + "/templates", []string{module + "/web", module + "/store", module + "/cmd", "github.com/labstack/echo", "database/sql"},
		"templates take plain values; they import neither web, store nor echo"},
	{module + "/web", []string{module + "/store", module + "/cmd", "modernc.org/sqlite", "database/sql"},
		"web talks to the engine, never to store"},
}

// httpCallers are the engine packages that call other services (webhook
// deliveries, flow HTTP steps, the outbound guard): they may use net/http
// as a client, and nothing that serves HTTP.
var httpCallers = []string{module + "/engine", module + "/engine/flow", module + "/engine/outbound"}

// httpServing are the parts of net/http an HTTP caller still may not use.
var httpServing = []string{"net/http/httptest", "net/http/pprof", "net/http/cgi", "net/http/fcgi"}

// exceptions are packages a rule's prefix catches that the rule is not
// about: the facade engine may of course import its own subpackages.
func banned(pkg, dep string, r rule) bool {
	if !strings.HasPrefix(pkg+"/", r.from+"/") {
		return false
	}
	if (dep == "net/http" || strings.HasPrefix(dep, "net/http/")) && slices.Contains(httpCallers, pkg) && !slices.Contains(httpServing, dep) {
		return false
	}
	for _, b := range r.banned {
		if dep == b || strings.HasPrefix(dep, b+"/") {
			return true
		}
	}
	return false
}

// leaves lists what each engine subpackage may import from the project:
// the small packages stay leaves of one job each, as their doc.go files
// say. A package absent here is not constrained beyond the rules above.
var leaves = map[string][]string{
	"engine/clock":               {},
	"engine/tracecontext":        {},
	"engine/fault":               {},
	"engine/notify":              {},
	"engine/delivery":            {},
	"engine/design":              {"engine/fault"},
	"engine/payload":             {"engine/design", "engine/fault"},
	"engine/flow":                {"engine/clock", "engine/design", "engine/fault", "engine/payload", "engine/tracecontext"},
	"engine/storage":             {"engine/delivery", "engine/design", "engine/fault"},
	"engine/storage/storagetest": {"engine/delivery", "engine/design", "engine/fault", "engine/storage"},
	"engine/demo":                {"engine/design", "engine/fault"},
	"engine/outbound":            {},
	"engine/asyncapi":            {"engine/design", "engine/fault", "engine/payload"},
	// dispatch takes its configuration and a run callback, never the
	// engine root (nor web or store): pools, claims and leases only.
	"engine/dispatch": {"engine/clock", "engine/delivery", "engine/design", "engine/fault", "engine/storage"},
}

type listed struct {
	ImportPath string
	Deps       []string
}

// goList runs go list over the module with args and decodes its answer.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Deps"}, args...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestDependencyArrows(t *testing.T) {
	pkgs := goList(t, "-deps=false", "./...")
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d packages; the test is not looking at the module", len(pkgs))
	}
	if v := violations(pkgs); len(v) > 0 {
		t.Fatalf("dependency rules broken:\n%s", strings.Join(v, "\n"))
	}
}

// TestEngineTestsUseNoSQLite: the engine's tests, too, run without package
// store or a driver: they use the in-memory backend (store/mem), and the
// tests that need a reopen on the same data live in store/crashtest.
func TestEngineTestsUseNoSQLite(t *testing.T) {
	pkgs := goList(t, "-test", "-deps=false", "./engine/...")
	tests := 0
	for _, p := range pkgs {
		if strings.HasSuffix(p.ImportPath, ".test]") {
			tests++
		}
	}
	if tests < 2 {
		t.Fatalf("go list -test found %d test packages under engine; the test is not looking at the engine's tests", tests)
	}
	if v := engineTestViolations(pkgs); len(v) > 0 {
		t.Fatalf("the engine's tests reach SQLite:\n%s", strings.Join(v, "\n"))
	}
}

// engineTestViolations lists the imports of store (any package under it
// but store/mem) or of a SQL driver by an engine package or its tests.
func engineTestViolations(pkgs []listed) []string {
	var out []string
	for _, p := range pkgs {
		for _, d := range p.Deps {
			store := d == module+"/store" || (strings.HasPrefix(d, module+"/store/") && d != module+"/store/mem")
			if store || d == "database/sql" || strings.HasPrefix(d, "modernc.org/sqlite") {
				out = append(out, p.ImportPath+" imports "+d+" (rule: engine tests run on store/mem; reopen tests belong in store/crashtest)")
			}
		}
	}
	return out
}

// TestMemImportsOnlyEngine: the in-memory backend stays a plain
// implementation of the seam, built from the engine's leaf packages and the
// standard library, so the engine's tests can use it without reaching
// SQLite, the web or package engine itself.
func TestMemImportsOnlyEngine(t *testing.T) {
	pkgs := goList(t, "-deps=false", "./store/mem")
	if len(pkgs) != 1 || pkgs[0].ImportPath != module+"/store/mem" || len(pkgs[0].Deps) == 0 {
		t.Fatalf("go list ./store/mem = %+v; want the one package with its dependencies", pkgs)
	}
	if v := memViolations(pkgs[0]); len(v) > 0 {
		t.Fatalf("store/mem imports more than the engine and the standard library:\n%s", strings.Join(v, "\n"))
	}
}

// memViolations lists p's dependencies that are neither an engine
// subpackage nor in the standard library (whose first path element has no
// dot).
func memViolations(p listed) []string {
	var out []string
	for _, d := range p.Deps {
		first, _, _ := strings.Cut(d, "/")
		if strings.HasPrefix(d, module+"/engine/") || (!strings.Contains(first, ".") && !strings.HasPrefix(d, module)) {
			continue
		}
		out = append(out, p.ImportPath+" imports "+d+" (rule: store/mem uses only the engine's subpackages and the standard library)")
	}
	return out
}

func violations(pkgs []listed) []string {
	var out []string
	for _, p := range pkgs {
		if allowed, ok := leaves[strings.TrimPrefix(p.ImportPath, module+"/")]; ok {
			for _, d := range p.Deps {
				rel, inProject := strings.CutPrefix(d, module+"/")
				if inProject && !slices.Contains(allowed, rel) {
					out = append(out, p.ImportPath+" imports "+d+" (rule: it may use only "+strings.Join(allowed, ", ")+" of the project)")
				}
			}
		}
		for _, d := range p.Deps {
			for _, r := range rules {
				if banned(p.ImportPath, d, r) {
					out = append(out, p.ImportPath+" imports "+d+" (rule: "+r.why+")")
				}
			}
		}
	}
	return out
}

// TestRulesCatchAViolation shows the check can fail: an engine package
// that reached database/sql, or web that reached store, is reported.
func TestRulesCatchAViolation(t *testing.T) {
	bad := []listed{
		{ImportPath: module + "/engine/flow", Deps: []string{"database/sql", "fmt"}},
		{ImportPath: module + "/web", Deps: []string{module + "/store"}},
		{ImportPath: module + "/engine", Deps: []string{module + "/engine/flow"}},
		{ImportPath: module + "/engine/payload", Deps: []string{module + "/engine/design", module + "/engine/flow"}},
		{ImportPath: module + "/engine/dispatch", Deps: []string{module + "/engine/storage", module + "/engine", "sync"}},
	}
	v := violations(bad)
	if len(v) != 4 || !strings.Contains(v[0], "engine/flow imports database/sql") || !strings.Contains(v[1], "web imports "+module+"/store") ||
		!strings.Contains(v[2], "engine/payload imports "+module+"/engine/flow") || !strings.HasSuffix(strings.Fields(v[3])[2], module+"/engine") {
		t.Fatalf("violations = %q, want the four bad imports and nothing else", v)
	}
}

// TestEngineAndMemRulesCatchAViolation shows the two checks can fail: an
// engine test that reached package store or the driver, and store/mem
// reaching package engine or a third-party module, are reported; store/mem
// and the standard library are not.
func TestEngineAndMemRulesCatchAViolation(t *testing.T) {
	v := engineTestViolations([]listed{
		{ImportPath: module + "/engine_test [" + module + "/engine.test]", Deps: []string{"fmt", module + "/store/mem", module + "/store", "modernc.org/sqlite"}},
	})
	if len(v) != 2 || !strings.Contains(v[0], "imports "+module+"/store ") || !strings.Contains(v[1], "imports modernc.org/sqlite") {
		t.Fatalf("engine test violations = %q, want store and the driver and nothing else", v)
	}
	v = memViolations(listed{ImportPath: module + "/store/mem", Deps: []string{"sync", module + "/engine/storage", module + "/engine", "github.com/google/uuid"}})
	if len(v) != 2 || !strings.Contains(v[0], "imports "+module+"/engine ") || !strings.Contains(v[1], "imports github.com/google/uuid") {
		t.Fatalf("store/mem violations = %q, want package engine and the third-party module and nothing else", v)
	}
}

// TestHTTPCallersRuleCatchAViolation: an engine package that calls other
// services may use net/http as a client but not serve with it, and any
// other engine package may not use it at all.
func TestHTTPCallersRuleCatchAViolation(t *testing.T) {
	v := violations([]listed{
		{ImportPath: module + "/engine/outbound", Deps: []string{"net/http", "net/http/internal", "net/http/httptest"}},
		{ImportPath: module + "/engine/payload", Deps: []string{module + "/engine/design", "net/http"}},
	})
	if len(v) != 2 || !strings.Contains(v[0], "engine/outbound imports net/http/httptest") || !strings.Contains(v[1], "engine/payload imports net/http ") {
		t.Fatalf("violations = %q, want httptest in outbound and net/http in payload and nothing else", v)
	}
}
