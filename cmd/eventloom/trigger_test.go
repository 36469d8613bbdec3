package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/web/client"
)

// checkTriggerWithKeyAndBatch drives `eventloom trigger` with an app key
// (--key and EVENTLOOM_APP_KEY) and in --batch mode against the demo
// server at base, with EVENTLOOM_ADMIN_TOKEN set to adminToken.
func checkTriggerWithKeyAndBatch(t *testing.T, ctx context.Context, base, adminToken string) {
	t.Helper()
	admin := client.New(base, adminToken)
	keyOf := func(app string) string {
		b, err := admin.Do(ctx, http.MethodPost, "/api/v1/apps/"+app+"/keys", "", nil)
		if err != nil {
			t.Fatalf("create a key of %s: %v", app, err)
		}
		var k struct{ Key string }
		if err := json.Unmarshal(b, &k); err != nil || k.Key == "" {
			t.Fatalf("key answer %s: %v", b, err)
		}
		return k.Key
	}
	storefront, payments := keyOf("Storefront"), keyOf("Payments")
	// Without the admin token the key alone must do.
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "")
	purchase := []string{"OnPurchaseStarted", "ProductId=P-1", "Quantity=2", "CustomerEmail=ann@example.com", "Amount=9.50"}
	var stdout, stderr bytes.Buffer
	if code := run(ctx, append([]string{"trigger", "--key", storefront, "Storefront"}, purchase...), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"occurrenceId"`) {
		t.Fatalf("trigger --key = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run(ctx, append([]string{"trigger", "--key", payments, "Storefront"}, purchase...), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "not_owner") {
		t.Fatalf("trigger with another app's key = exit %d, %q; want not_owner", code, stderr.String())
	}
	t.Setenv("EVENTLOOM_APP_KEY", storefront)
	stdout.Reset()
	if code := run(ctx, append([]string{"trigger", "Storefront"}, purchase...), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"occurrenceId"`) {
		t.Fatalf("trigger with EVENTLOOM_APP_KEY = exit %d, %q %q", code, stdout.String(), stderr.String())
	}

	file := filepath.Join(t.TempDir(), "purchases.json")
	items := `[{"ProductId":"P-2","Quantity":1,"CustomerEmail":"bo@example.com","Amount":5.00},
	           {"ProductId":"P-3","Quantity":"many","CustomerEmail":"cy@example.com","Amount":7.00}]`
	if err := os.WriteFile(file, []byte(items), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code := run(ctx, []string{"trigger", "--batch", file, "Storefront", "OnPurchaseStarted"}, &stdout, &stderr)
	out := stdout.String()
	if code != 1 || !strings.Contains(out, "item 0: accepted as occurrence") || !strings.Contains(out, "item 1: refused") ||
		!strings.Contains(out, "Quantity") || !strings.Contains(out, "1 accepted, 1 refused") || !strings.Contains(stderr.String(), "1 of 2 items were refused") {
		t.Fatalf("trigger --batch = exit %d, %q %q", code, out, stderr.String())
	}
	stderr.Reset()
	if code := run(ctx, []string{"trigger", "--batch", file, "Storefront", "OnPurchaseStarted", "Quantity=2"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "leave out") {
		t.Fatalf("trigger --batch with Name=value = exit %d, %q", code, stderr.String())
	}
	if err := os.WriteFile(file, []byte(`{"ProductId":"P-2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(ctx, []string{"trigger", "--batch", file, "Storefront", "OnPurchaseStarted"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "JSON array") {
		t.Fatalf("trigger --batch of an object = exit %d, %q", code, stderr.String())
	}
}
