package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestServeReadsAllowEndpoints(t *testing.T) {
	c, err := parseServe([]string{"--allow-endpoints", "127.0.0.1:9000, 10.0.0.0/8,receiver.internal:8443"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.AllowEndpoints.String(); got != "10.0.0.0/8,127.0.0.1:9000,receiver.internal:8443" {
		t.Fatalf("allowed endpoints %q", got)
	}
	t.Setenv("EVENTLOOM_ALLOW_ENDPOINTS", "192.168.0.0/16")
	if c, err = parseServe(nil, io.Discard); err != nil || c.AllowEndpoints.String() != "192.168.0.0/16" {
		t.Fatalf("from the environment: %q, %v", c.AllowEndpoints.String(), err)
	}
}

func TestServeRefusesBadAllowEndpoints(t *testing.T) {
	for _, args := range [][]string{{"--allow-endpoints", "10.0.0.0/40"}, {"--allow-endpoints", "http://receiver/hook"}} {
		_, err := parseServe(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--allow-endpoints (EVENTLOOM_ALLOW_ENDPOINTS)") || !strings.Contains(err.Error(), "host:port such as") {
			t.Errorf("parse %v = %v; want an error naming the flag and the accepted forms", args, err)
		}
	}
	t.Setenv("EVENTLOOM_ALLOW_ENDPOINTS", "nope")
	if _, err := parseServe(nil, io.Discard); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("parse with EVENTLOOM_ALLOW_ENDPOINTS=nope = %v; want an error naming the value", err)
	}
}

// TestServeAllowEndpointsReachesTheGuard runs serve with one loopback
// receiver allowed and another not: a flow calls the allowed one and then
// the other, which the guard refuses, so the delivery fails with the
// refusal and is retried (the allowed receiver hears the retry) while the
// refused receiver hears nothing.
func TestServeAllowEndpointsReachesTheGuard(t *testing.T) {
	allowed := make(chan string, 10)
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { allowed <- r.URL.Path }))
	defer okSrv.Close()
	var refusedHits atomic.Int32
	noSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { refusedHits.Add(1) }))
	defer noSrv.Close()

	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-test-token-0123456789abc")
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "data"), "-no-demo", "-retry-unit", "100ms",
		"--allow-endpoints", strings.TrimPrefix(okSrv.URL, "http://")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, io.Discard, io.Discard, ready) }()
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
	t.Setenv("EVENTLOOM_URL", "http://"+addr)
	doc := `{"apps":[{"name":"Shop"},{"name":"Mail"}],
 "events":[{"app":"Shop","name":"Ping","public":true,"parameters":[{"name":"Sku","type":"Text","mandatory":true}]}],
 "subscriptions":[{"app":"Mail","event":"Shop.Ping","enabled":true,"handler":{"kind":"flow","steps":[
   {"type":"http","method":"POST","url":"` + okSrv.URL + `/first/{{ Sku }}"},
   {"type":"http","method":"POST","url":"` + noSrv.URL + `/second"}]}}]}`
	file := filepath.Join(t.TempDir(), "design.json")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"import", file}, &stdout, &stderr); code != 0 {
		t.Fatalf("import exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"trigger", "Shop", "Ping", "Sku=A-1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("trigger exit %d: %s", code, stderr.String())
	}
	var res struct {
		OccurrenceID int64 `json:"occurrenceId"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("trigger printed %q: %v", stdout.String(), err)
	}
	for i := 0; i < 2; i++ { // the first attempt, then its retry
		select {
		case p := <-allowed:
			if p != "/first/A-1" {
				t.Fatalf("the allowed receiver got %s", p)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("the allowed receiver got %d calls within 20s; want the attempt and its retry", i)
		}
	}
	cl, err := newClient()
	if err != nil {
		t.Fatal(err)
	}
	b, err := cl.Do(ctx, http.MethodGet, "/api/v1/occurrences/"+strconv.FormatInt(res.OccurrenceID, 10), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var occ struct {
		Deliveries []struct {
			AttemptList []struct {
				Outcome, Error string
			} `json:"attemptList"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal(b, &occ); err != nil || len(occ.Deliveries) != 1 || len(occ.Deliveries[0].AttemptList) == 0 {
		t.Fatalf("occurrence %s: %v", b, err)
	}
	first := occ.Deliveries[0].AttemptList[0]
	if first.Outcome != "failed" || !strings.Contains(first.Error, "the outbound guard refused a call to 127.0.0.1") || !strings.Contains(first.Error, "--allow-endpoints") {
		t.Fatalf("first attempt %+v; want a failure naming the guard's refusal", first)
	}
	if refusedHits.Load() != 0 {
		t.Fatalf("the receiver that was not allowed got %d calls", refusedHits.Load())
	}
}
