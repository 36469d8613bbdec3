package static

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// sources reads every file matching the patterns, by name.
func sources(t *testing.T, patterns ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range patterns {
		names, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = string(b)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no file matches %v", patterns)
	}
	return out
}

// TestScriptsKeepOneJobPerModule holds the front end to its modules'
// jobs: the websocket is opened in socket.js only, requests are sent in
// api.js only, tests' hooks are set in testhooks.js only, and colours
// come from app.css (colours.js), never as hex codes in a script.
func TestScriptsKeepOneJobPerModule(t *testing.T) {
	rules := []struct {
		what  string
		re    *regexp.Regexp
		owner string // the one file allowed it; "" for none
	}{
		{"opens a websocket (use socket.js's openSocket)", regexp.MustCompile(`new\s+WebSocket\b`), "src/socket.js"},
		{"sends a request (use api.js's request)", regexp.MustCompile(`\bfetch\(|XMLHttpRequest`), "src/api.js"},
		{"sets a global on window (use testhooks.js's expose)", regexp.MustCompile(`\bwindow\s*(\.\s*[\w$]+|\[[^\]]+\])\s*(=[^=]|\+\+|\+=)`), "src/testhooks.js"},
		{"reads the test hooks' namespace", regexp.MustCompile(`__eventloomTest`), "src/testhooks.js"},
		{"writes a colour as hex (define it in app.css, read it with colours.js)", regexp.MustCompile(`#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b`), ""},
	}
	for name, src := range sources(t, "src/*.js") {
		name = filepath.ToSlash(name)
		for _, r := range rules {
			if name == r.owner {
				continue
			}
			for i, line := range strings.Split(src, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "//") {
					continue
				}
				if m := r.re.FindString(line); m != "" {
					t.Errorf("%s:%d %s: %q", name, i+1, r.what, m)
				}
			}
		}
	}
}

// dynamicPrefixes are the class prefixes the templates and scripts
// complete at run time ("badge s-" + a status, a verdict, a method, a
// change's action, a live note's state): a rule for one of them counts
// as used where the prefix is built so.
var dynamicPrefixes = []string{"s-", "v-", "method-", "diff-", "live-"}

// htmxClasses are the classes htmx itself sets (htmx 4's requestClass).
var htmxClasses = map[string]bool{"htmx-request": true}

// TestStylesheetHasNoDeadClass finds the class selectors of app.css that
// nothing uses: no template, Go file of the console or script names the
// class. A rule left behind by a removed feature is found here.
func TestStylesheetHasNoDeadClass(t *testing.T) {
	css := sources(t, "app.css")["app.css"]
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	css = regexp.MustCompile(`(?s)\{[^}]*\}`).ReplaceAllString(css, "{}") // selectors only
	var used strings.Builder
	for name, src := range sources(t, "../templates/*.templ", "../templates/*.go", "../web/*.go", "src/*.js") {
		if !strings.HasSuffix(name, "_test.go") && !strings.HasSuffix(name, "_templ.go") {
			used.WriteString(src + "\n")
		}
	}
	words := map[string]bool{}
	for _, w := range regexp.MustCompile(`[\w-]+`).FindAllString(used.String(), -1) {
		words[w] = true
	}
	var dead []string
	seen := map[string]bool{}
next:
	for _, m := range regexp.MustCompile(`\.([A-Za-z_][\w-]*)`).FindAllStringSubmatch(css, -1) {
		class := m[1]
		if seen[class] || words[class] || htmxClasses[class] {
			continue
		}
		seen[class] = true
		for _, p := range dynamicPrefixes {
			if strings.HasPrefix(class, p) && strings.Contains(used.String(), p+`" +`) {
				continue next
			}
		}
		dead = append(dead, class)
	}
	sort.Strings(dead)
	if len(dead) > 0 {
		t.Errorf("app.css styles classes nothing uses: %s; remove their rules", strings.Join(dead, ", "))
	}
}
