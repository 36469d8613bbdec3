// Package schematest validates documents Eventloom writes (the AsyncAPI
// export, the OpenAPI description) against the official JSON Schemas of
// those formats, read at test time from the npm packages that publish them
// (package.json's devDependencies), so no copy of a schema lives in the
// repository and drifts.
//
// It is for tests only; it imports nothing of the project.
package schematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Root is the repository's root: the nearest directory above the working
// directory holding go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("schematest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Compile compiles the schema in node_modules/<file>; extra names further
// files of the same package it refers to by their $id (a dialect, a
// meta-schema). A missing file fails the test saying how to install it.
func Compile(t testing.TB, file string, extra ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	var rootID string
	for i, f := range append([]string{file}, extra...) {
		path := filepath.Join(Root(t), "node_modules", f)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			t.Fatalf("schematest: %s is missing: run `npm ci --ignore-scripts` (make test does) to install the devDependencies of package.json", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("schematest: %s: %v", path, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			id = "file://" + filepath.ToSlash(path)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("schematest: add %s: %v", path, err)
		}
		if i == 0 {
			rootID = id
		}
	}
	s, err := c.Compile(rootID)
	if err != nil {
		t.Fatalf("schematest: compile %s: %v", file, err)
	}
	return s
}

// Validate fails the test with every violation when doc (JSON bytes or a
// value that marshals to JSON) does not satisfy s.
func Validate(t testing.TB, s *jsonschema.Schema, doc any) {
	t.Helper()
	if err := Check(s, doc); err != nil {
		t.Fatal(err)
	}
}

// Check is Validate as an error, for tests that expect a violation.
func Check(s *jsonschema.Schema, doc any) error {
	b, ok := doc.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(doc); err != nil {
			return fmt.Errorf("marshal: %w", err)
		}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("the document is not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("the document breaks its schema: %v", err)
	}
	return nil
}
