package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eventloom/eventloom/web/apidoc"
)

// docURL names the OpenAPI document as a JSON Schema resource, so its
// component schemas compile by JSON pointer.
const docURL = "https://eventloom.invalid/openapi.json"

// contract checks requests and answers of the REST scenario tests against
// the OpenAPI document: every status a route answers must be documented,
// and every JSON body must fit its documented schema.
type contract struct {
	ops      []apidoc.Op
	doc      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

func newContract(t testing.TB) *contract {
	t.Helper()
	raw, err := json.Marshal(apidoc.Document("http://127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	return &contract{ops: apidoc.Operations(), doc: doc.(map[string]any), compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

// schema compiles the schema at pointer (e.g. /components/schemas/App).
func (k *contract) schema(t testing.TB, pointer string) *jsonschema.Schema {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.schemas[pointer]; ok {
		return s
	}
	s, err := k.compiler.Compile(docURL + "#" + pointer)
	if err != nil {
		t.Fatalf("compile %s of the OpenAPI document: %v", pointer, err)
	}
	k.schemas[pointer] = s
	return s
}

// find is the documented operation serving method and path (a concrete
// path, query string allowed).
func (k *contract) find(method, path string) (apidoc.Op, bool) {
	path, _, _ = strings.Cut(path, "?")
	got := strings.Split(path, "/")
	for _, op := range k.ops {
		want := strings.Split(op.Path, "/")
		if op.Method != method || len(want) != len(got) {
			continue
		}
		match := true
		for i := range want {
			if !strings.HasPrefix(want[i], "{") && want[i] != got[i] {
				match = false
				break
			}
		}
		if match {
			return op, true
		}
	}
	return apidoc.Op{}, false
}

// check fails the test when a request or answer breaks the document. A
// path no operation serves (the catch-all 404) is not checked here: the
// route walk in openapi_test.go covers the routes themselves.
func (k *contract) check(t testing.TB, method, path string, reqBody []byte, contentType string, status int, respType string, respBody []byte) {
	t.Helper()
	op, ok := k.find(method, path)
	if !ok {
		return
	}
	item := k.doc["paths"].(map[string]any)[op.Path].(map[string]any)[strings.ToLower(op.Method)].(map[string]any)
	responses := item["responses"].(map[string]any)
	code := strconv.Itoa(status)
	resp, ok := responses[code].(map[string]any)
	if !ok {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not list for %s %s (web/apidoc/routes.go); body %s", method, path, status, op.Method, op.Path, respBody)
		return
	}
	if status < 300 && op.Body != nil && len(reqBody) > 0 && strings.HasPrefix(contentType, "application/json") {
		k.validate(t, "/components/schemas/"+op.Body.Schema, reqBody, method+" "+path+" request body")
	}
	if !strings.HasPrefix(respType, "application/json") || len(respBody) == 0 {
		return
	}
	pointer := "/paths/" + escapePointer(op.Path) + "/" + strings.ToLower(op.Method) + "/responses/" + code + "/content/application~1json/schema"
	if r, ok := resp["$ref"].(string); ok {
		pointer = strings.TrimPrefix(r, "#") + "/content/application~1json/schema"
	} else if _, ok := resp["content"].(map[string]any)["application/json"]; !ok {
		t.Errorf("%s %s answered %d with JSON, but the document gives that answer no JSON body", method, path, status)
		return
	}
	k.validate(t, pointer, respBody, method+" "+path+" answer "+code)
}

func (k *contract) validate(t testing.TB, pointer string, body []byte, what string) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return // not JSON: the scenario itself says what it expected
	}
	if err := k.schema(t, pointer).Validate(inst); err != nil {
		t.Errorf("%s does not fit the OpenAPI document (%s): %v\nbody: %s", what, pointer, err, body)
	}
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// checkResponse is check over an http.Response already read. A nil
// contract (an apiServer a test assembled itself) checks nothing.
func (k *contract) checkResponse(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	if k == nil {
		return
	}
	k.check(t, req.Method, req.URL.RequestURI(), reqBody, req.Header.Get("Content-Type"), resp.StatusCode, resp.Header.Get("Content-Type"), respBody)
}

// recordTB notes failures instead of failing, to test the checker itself.
type recordTB struct {
	testing.TB
	failures []string
}

func (r *recordTB) Errorf(format string, args ...any) {
	r.failures = append(r.failures, strings.SplitN(fmt.Sprintf(format, args...), "\n", 2)[0])
}

// TestOpenAPIContractCatchesWhatTheDocumentDoesNotSay: the checker the
// scenario tests run through really refuses an undocumented status, an
// answer of the wrong shape and a request body of the wrong shape, and
// lets a right one through.
func TestOpenAPIContractCatchesWhatTheDocumentDoesNotSay(t *testing.T) {
	k := newContract(t)
	const ct = "application/json"
	for _, c := range []struct {
		name         string
		method, path string
		req          string
		status       int
		resp         string
		wantFailure  string
	}{
		{"right", "GET", "/api/v1/apps/Shop", "", 200, `{"name":"Shop"}`, ""},
		{"undocumented status", "GET", "/api/v1/apps", "", 404, `{"error":{"code":"x","message":"y"}}`, "does not list"},
		{"wrong answer shape", "GET", "/api/v1/apps/Shop", "", 200, `{"name":7}`, "does not fit"},
		{"wrong error shape", "GET", "/api/v1/apps/Shop", "", 404, `{"message":"gone"}`, "does not fit"},
		{"wrong request shape", "POST", "/api/v1/apps", `{"name":["Shop"]}`, 201, `{"name":"Shop"}`, "request body does not fit"},
		{"unknown route", "GET", "/api/v1/nope", "", 404, `{}`, ""},
	} {
		r := &recordTB{TB: t}
		k.check(r, c.method, c.path, []byte(c.req), ct, c.status, ct, []byte(c.resp))
		got := strings.Join(r.failures, " | ")
		if (c.wantFailure == "") != (got == "") || !strings.Contains(got, c.wantFailure) {
			t.Errorf("%s: failures %q, want one saying %q", c.name, got, c.wantFailure)
		}
	}
}
