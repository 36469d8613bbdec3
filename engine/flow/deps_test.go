package flow_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps doc.go's promise: flow imports only design,
// payload, fault and clock from the project, expr as its only module, and
// nothing of HTTP, SQL or HTML.
func TestDependencies(t *testing.T) {
	const m = "github.com/eventloom/eventloom/engine/"
	checkDeps(t, m+"flow", []string{m + "flow", m + "design", m + "payload", m + "fault", m + "clock"}, []string{"github.com/expr-lang/expr"})
}

func checkDeps(t *testing.T, pkg string, project, thirdParty []string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}|{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{}
	for _, p := range project {
		allowed[p] = true
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		nonStd, path, _ := strings.Cut(line, "|")
		switch {
		case path == "net/http" || path == "database/sql" || path == "html/template" || strings.HasPrefix(path, "net/http/"):
			t.Errorf("%s depends on %s", pkg, path)
		case nonStd == "":
		case allowed[path]:
		case strings.HasPrefix(path, "github.com/eventloom/eventloom/"):
			t.Errorf("%s depends on %s; it may use only %v of the project", pkg, path, project)
		default:
			ok := false
			for _, m := range thirdParty {
				ok = ok || path == m || strings.HasPrefix(path, m+"/")
			}
			if !ok {
				t.Errorf("%s depends on %s; allowed modules: %v", pkg, path, thirdParty)
			}
		}
	}
}
