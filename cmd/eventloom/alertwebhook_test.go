package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/store"
)

// TestAlertWebhookFlag: --alert-webhook sets the alert webhook and prints
// its secret once; the same URL at the next start prints no secret; a bad
// URL is refused naming the flag.
func TestAlertWebhookFlag(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := engine.New(ctx, engine.Config{Storage: st})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := setAlertWebhook(ctx, eng, "https://ops.example.com/alerts", &out); err != nil || !strings.Contains(out.String(), "(shown once): whsec_") {
		t.Fatalf("first start = %v, %q", err, out.String())
	}
	out.Reset()
	if err := setAlertWebhook(ctx, eng, "https://ops.example.com/alerts", &out); err != nil || strings.Contains(out.String(), "whsec_") || !strings.Contains(out.String(), "alerts go to https://ops.example.com/alerts") {
		t.Fatalf("next start = %v, %q", err, out.String())
	}
	if u, _ := eng.AlertWebhookURL(ctx); u != "https://ops.example.com/alerts" {
		t.Fatalf("stored URL = %q", u)
	}
	if err := setAlertWebhook(ctx, eng, "ops.example.com", &out); err == nil || !strings.Contains(err.Error(), "--alert-webhook") {
		t.Fatalf("a URL without a scheme = %v", err)
	}
}
