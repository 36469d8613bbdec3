package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/asyncapi"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/internal/schematest"
)

// raw sends body with contentType and the admin token and returns the
// status, the Content-Type and the body as it came.
func (s *apiServer) raw(method, path, contentType string, body []byte) (int, string, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	s.api.checkResponse(s.t, req, body, resp, b)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func withDemo(t *testing.T) *apiServer {
	t.Helper()
	s := newAPIServer(t, engine.Config{})
	d, err := demo.Design()
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(d)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, string(doc)); code != 200 {
		t.Fatalf("import demo = %d %v", code, body)
	}
	return s
}

func TestAPIAsyncAPIExportValidatesAndRoundTrips(t *testing.T) {
	s := withDemo(t)
	status, ct, first := s.raw("GET", "/api/v1/design/asyncapi", "", nil)
	if status != 200 || ct != asyncapi.MediaType {
		t.Fatalf("GET /api/v1/design/asyncapi = %d %s %s", status, ct, first)
	}
	schematest.Validate(t, schematest.Compile(t, "@asyncapi/specs/schemas/3.0.0.json"), first)
	var doc asyncapi.Document
	if err := json.Unmarshal(first, &doc); err != nil {
		t.Fatal(err)
	}
	if srv := doc.Servers["rest"]; srv.Host != s.url[len("http://"):] || srv.Pathname != "/api/v1" {
		t.Fatalf("rest server = %+v, want the address asked", srv)
	}
	if _, ok := doc.Channels["Storefront.OnPurchaseStarted"]; !ok {
		t.Fatalf("channels = %v", doc.Channels)
	}

	// Importing the export into the same server changes nothing, and the
	// export afterwards is the same document.
	status, _, body := s.raw("PUT", "/api/v1/design", asyncapi.MediaType, first)
	if status != 200 || !bytes.Contains(body, []byte(`"changes":[]`)) {
		t.Fatalf("re-import = %d %s, want 200 with no change", status, body)
	}
	if _, _, again := s.raw("GET", "/api/v1/design/asyncapi", "", nil); !bytes.Equal(first, again) {
		t.Fatalf("export -> import -> export differs:\n%s\n---\n%s", first, again)
	}

	// A fresh server given the document (as plain JSON: the asyncapi
	// member says what it is) ends with the same channels and operations.
	fresh := newAPIServer(t, engine.Config{})
	status, _, body = fresh.raw("PUT", "/api/v1/design", "application/json", first)
	if status != 200 {
		t.Fatalf("import into a fresh server = %d %s", status, body)
	}
	_, _, second := fresh.raw("GET", "/api/v1/design/asyncapi", "", nil)
	var doc2 asyncapi.Document
	if err := json.Unmarshal(second, &doc2); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal([]any{doc.Channels, doc.Operations, doc.Info.Tags})
	b, _ := json.Marshal([]any{doc2.Channels, doc2.Operations, doc2.Info.Tags})
	if !bytes.Equal(a, b) {
		t.Fatalf("a fresh server's export differs:\n%s\n---\n%s", a, b)
	}
}

func TestAPIAsyncAPIImportReportsEveryProblemByPath(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if status, body, _ := s.call("GET", "/api/v1/design/asyncapi", "", ""); status != 401 || errCode(body) != "unauthorized" {
		t.Fatalf("the AsyncAPI export without a token = %d %v, want 401", status, body)
	}
	doc := `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},
	"channels":{"a":{"address":"a","messages":{"A":{"payload":{"type":"object","properties":{"items":{"type":"array"}}}}}},
	            "b":{"address":"b","messages":{"B":{}}}},
	"operations":{"sa":{"action":"send","channel":{"$ref":"#/channels/a"},"tags":[{"name":"Shop"}]}}}`
	status, _, body := s.raw("PUT", "/api/v1/design?dryRun=true", asyncapi.MediaType, []byte(doc))
	var out struct {
		Details []struct{ Code, Field, Message string }
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if status != 422 || len(out.Details) != 2 {
		t.Fatalf("import = %d %s, want 422 with two problems", status, body)
	}
	fields := map[string]bool{}
	for _, d := range out.Details {
		fields[d.Field] = d.Message != ""
	}
	if !fields["channels.a.messages.A.payload.properties.items"] || !fields["channels.b"] {
		t.Fatalf("problems = %+v", out.Details)
	}
	// A valid document that breaks a design rule is refused by the same
	// checks as a JSON import (a name that is no identifier).
	bad := `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},"channels":{"x":{"address":"x","messages":{"M":{}}}},
	"operations":{"s":{"action":"send","channel":{"$ref":"#/channels/x"},"tags":[{"name":"Bad App"}]}}}`
	if status, _, body := s.raw("PUT", "/api/v1/design", asyncapi.MediaType, []byte(bad)); status != 422 {
		t.Fatalf("import of a bad app name = %d %s", status, body)
	}
}

func TestAPIAsyncAPIYAMLExportImportsBack(t *testing.T) {
	s := withDemo(t)
	_, _, first := s.raw("GET", "/api/v1/design/asyncapi", "", nil)
	status, ct, y := s.raw("GET", "/api/v1/design/asyncapi?format=yaml", "", nil)
	if status != 200 || ct != asyncapi.YAMLMediaType || !bytes.HasPrefix(y, []byte("asyncapi: 3.0.0\n")) {
		t.Fatalf("GET ?format=yaml = %d %s %.200s", status, ct, y)
	}
	status, _, body := s.raw("PUT", "/api/v1/design", "application/yaml", y)
	if status != 200 || !bytes.Contains(body, []byte(`"changes":[]`)) {
		t.Fatalf("import of the YAML export = %d %s, want 200 with no change", status, body)
	}
	if _, _, again := s.raw("GET", "/api/v1/design/asyncapi", "", nil); !bytes.Equal(first, again) {
		t.Fatal("the export changed after importing its YAML form")
	}
	if status, _, body := s.raw("GET", "/api/v1/design/asyncapi?format=xml", "", nil); status != 400 || !bytes.Contains(body, []byte("json or yaml")) {
		t.Fatalf("?format=xml = %d %s", status, body)
	}
}
