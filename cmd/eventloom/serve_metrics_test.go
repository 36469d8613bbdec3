package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestServeMetricsAddrNeedsNoCredentials starts serve with --metrics-addr
// and --metrics-token: the metrics listener answers without credentials
// (and serves nothing else), while the main listener's /metrics refuses a
// request without a token and serves the metrics token.
func TestServeMetricsAddrNeedsNoCredentials(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-test-token-0123456789abc")
	t.Setenv("EVENTLOOM_METRICS_TOKEN", "scrape-token-0123456789")
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "data")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, &out, io.Discard, ready) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start within 20s")
	}
	m := regexp.MustCompile(`metrics: (http://\S+/metrics)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("startup output does not give the metrics URL:\n%s", out.String())
	}
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get(m[1], "")
	if status != 200 {
		t.Fatalf("GET %s without credentials = %d %s", m[1], status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics listener's answer does not parse: %v", err)
	}
	// The demo design is seeded: its events have queue gauges.
	if fams["eventloom_queue_cap_occurrences"] == nil || fams["eventloom_store_commit_batch_ops"] == nil || fams["eventloom_search_index_lag_occurrences"] == nil {
		t.Fatalf("metrics listener lacks the engine and store metrics: %v", body[:min(len(body), 500)])
	}
	if status, _ := get(strings.TrimSuffix(m[1], "/metrics")+"/api/v1/apps", ""); status != 404 {
		t.Errorf("the metrics listener serves the API: %d", status)
	}
	if status, body := get("http://"+addr+"/metrics", ""); status != 401 || !strings.Contains(body, "EVENTLOOM_METRICS_TOKEN") {
		t.Errorf("main listener's /metrics without a token = %d %s, want 401", status, body)
	}
	if status, _ := get("http://"+addr+"/metrics", "scrape-token-0123456789"); status != 200 {
		t.Errorf("main listener's /metrics with the metrics token = %d, want 200", status)
	}
}
