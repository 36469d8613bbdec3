package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportConfirmBreaking: an import that breaks another app's
// subscription is refused naming it and --confirm-breaking; --dry-run
// lists the break; --confirm-breaking makes it.
func TestImportConfirmBreaking(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-breaking-token-0123456789")
	addr, stop := startServe(t, filepath.Join(t.TempDir(), "data"))
	defer stop()
	t.Setenv("EVENTLOOM_URL", "http://"+addr)
	ctx := context.Background()
	write := func(params string) string {
		f := filepath.Join(t.TempDir(), "design.json")
		doc := `{"apps":[{"name":"Shop"},{"name":"Ledger"}],
 "events":[{"app":"Shop","name":"Paid","public":true,"parameters":` + params + `}],
 "subscriptions":[{"app":"Ledger","event":"Shop.Paid","enabled":true,"handler":{"kind":"flow","steps":[{"type":"log","message":"paid"}]}}]}`
		if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"import", write(`[{"name":"Amount","type":"Decimal"}]`)}, &stdout, &stderr); code != 0 {
		t.Fatalf("first import exit %d: %s", code, stderr.String())
	}
	breaking := write(`[]`)
	stdout.Reset()
	stderr.Reset()
	if code := run(ctx, []string{"import", breaking}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "breaking_change") || !strings.Contains(stderr.String(), "Ledger:Shop.Paid: parameter Amount removed") || !strings.Contains(stderr.String(), "--confirm-breaking") {
		t.Fatalf("breaking import = exit %d, %q %q; want refused naming the break and --confirm-breaking", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"import", "--dry-run", breaking}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "1 subscription(s) it would break") || !strings.Contains(stdout.String(), "  Ledger:Shop.Paid: parameter Amount removed") {
		t.Fatalf("dry run = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"import", breaking, "--confirm-breaking"}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "1 changed") || !strings.Contains(stdout.String(), "as confirmed") {
		t.Fatalf("confirmed import = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
}
