package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportAsyncAPIAndImportItBack gives a real server the demo design,
// exports it as AsyncAPI with the CLI and imports the file back: nothing
// changes.
func TestExportAsyncAPIAndImportItBack(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-spec-token-0123456789abc")
	addr, stop := startServe(t, filepath.Join(t.TempDir(), "data"))
	defer stop()
	t.Setenv("EVENTLOOM_URL", "http://"+addr)
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"import", "../../engine/demo/design.json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("import of the demo exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"export", "--format", "asyncapi"}, &stdout, &stderr); code != 0 {
		t.Fatalf("export --format asyncapi exit %d: %s", code, stderr.String())
	}
	var doc struct {
		AsyncAPI string         `json:"asyncapi"`
		Channels map[string]any `json:"channels"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.AsyncAPI != "3.0.0" || doc.Channels["Storefront.OnPurchaseStarted"] == nil {
		t.Fatalf("export printed %v %s", err, stdout.String())
	}
	file := filepath.Join(t.TempDir(), "asyncapi.json")
	if err := os.WriteFile(file, stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(ctx, []string{"import", "--dry-run", file}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "0 would change") {
		t.Fatalf("import of the AsyncAPI export = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"export", "--format", "asyncapi-yaml"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "asyncapi: 3.0.0\n") {
		t.Fatalf("export --format asyncapi-yaml = exit %d, %.200q %q", code, stdout.String(), stderr.String())
	}
	yamlFile := filepath.Join(t.TempDir(), "asyncapi.yaml")
	if err := os.WriteFile(yamlFile, stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(ctx, []string{"import", "--dry-run", yamlFile}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "0 would change") {
		t.Fatalf("import of the YAML export = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run(ctx, []string{"export", "--format", "yaml"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "use json, asyncapi or asyncapi-yaml") {
		t.Fatalf("export --format yaml = exit %d, %q", code, stderr.String())
	}
}
