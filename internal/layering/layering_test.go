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

// exceptions are packages a rule's prefix catches that the rule is not
// about: the facade engine may of course import its own subpackages.
func banned(pkg, dep string, r rule) bool {
	if !strings.HasPrefix(pkg+"/", r.from+"/") {
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
	"engine/fault":               {},
	"engine/notify":              {},
	"engine/delivery":            {},
	"engine/design":              {"engine/fault"},
	"engine/payload":             {"engine/design", "engine/fault"},
	"engine/flow":                {"engine/clock", "engine/design", "engine/fault", "engine/payload"},
	"engine/storage":             {"engine/delivery", "engine/design", "engine/fault"},
	"engine/storage/storagetest": {"engine/delivery", "engine/design", "engine/fault", "engine/storage"},
	"engine/demo":                {"engine/design", "engine/fault"},
}

type listed struct {
	ImportPath string
	Deps       []string
}

func TestDependencyArrows(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Deps", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
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
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d packages; the test is not looking at the module", len(pkgs))
	}
	if v := violations(pkgs); len(v) > 0 {
		t.Fatalf("dependency rules broken:\n%s", strings.Join(v, "\n"))
	}
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
	}
	v := violations(bad)
	if len(v) != 3 || !strings.Contains(v[0], "engine/flow imports database/sql") || !strings.Contains(v[1], "web imports "+module+"/store") ||
		!strings.Contains(v[2], "engine/payload imports "+module+"/engine/flow") {
		t.Fatalf("violations = %q, want the three bad imports and nothing else", v)
	}
}
