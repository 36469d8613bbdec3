package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeSeedsDemoAndServesCLI starts the real server on a free port in
// a fresh data directory, checks the printed URL answers and the demo is
// seeded, drives it with the trigger, export and import commands, and
// shuts it down gracefully.
func TestServeSeedsDemoAndServesCLI(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-test-token-0123456789abc")
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "data"), "-retry-unit", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, &out, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start within 20s")
	}
	base := "http://" + addr
	if !strings.Contains(out.String(), base+"/") || !strings.Contains(out.String(), "EVENTLOOM_ADMIN_TOKEN") {
		t.Fatalf("startup output does not give the URL and how to sign in:\n%s", out.String())
	}
	resp, err := http.Get(base + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET / = %v %v", resp, err)
	}
	resp.Body.Close()

	t.Setenv("EVENTLOOM_URL", base)
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"export"}, &stdout, &stderr); code != 0 {
		t.Fatalf("export exit %d: %s", code, stderr.String())
	}
	for _, app := range []string{"Storefront", "Inventory", "FraudDetection", "Payments", "Shipping", "Notifications"} {
		if !strings.Contains(stdout.String(), `"name": "`+app+`"`) {
			t.Fatalf("the demo design lacks %s:\n%s", app, stdout.String())
		}
	}
	design := filepath.Join(t.TempDir(), "design.json")
	if err := os.WriteFile(design, stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(ctx, []string{"import", design, "--dry-run"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "0 would change") {
		t.Fatalf("import of the export itself = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"trigger", "Storefront", "OnPurchaseStarted", "ProductId=P-1", "Quantity=2", "CustomerEmail=ann@example.com", "Amount=99.50"}, &stdout, &stderr); code != 0 {
		t.Fatalf("trigger exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"occurrenceId"`) {
		t.Fatalf("trigger printed %q", stdout.String())
	}
	stderr.Reset()
	if code := run(ctx, []string{"trigger", "Storefront", "OnPurchaseStarted", "Quantity=two"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "Quantity") || !strings.Contains(stderr.String(), "ProductId") {
		t.Fatalf("a bad trigger = exit %d, %q; want every field error", code, stderr.String())
	}
	checkTriggerWithKeyAndBatch(t, ctx, base, "cli-test-token-0123456789abc")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s of the signal")
	}
}

func TestServeRefusesBadEnvironment(t *testing.T) {
	t.Setenv("EVENTLOOM_QUEUE_CAP", "lots")
	_, err := parseServe(nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "EVENTLOOM_QUEUE_CAP") {
		t.Fatalf("parse = %v, want an error naming EVENTLOOM_QUEUE_CAP", err)
	}
}

// startServe runs serve on a free port over dir and returns its address
// and a stop func that waits for a clean shutdown.
func startServe(t *testing.T, dir string) (string, func()) {
	t.Helper()
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", dir, "-no-demo"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, io.Discard, io.Discard, ready) }()
	select {
	case addr := <-ready:
		return addr, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not start within 20s")
	}
	return "", nil
}

// TestServeBusyPortCreatesNothing: a first start on a busy port fails
// with an error naming --addr, and leaves no data directory (so no admin
// token was generated that nobody saw).
func TestServeBusyPortCreatesNothing(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "")
	addr, stop := startServe(t, filepath.Join(t.TempDir(), "first"))
	defer stop()
	dir := filepath.Join(t.TempDir(), "second")
	c, err := parseServe([]string{"-addr", addr, "-data", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = serve(context.Background(), c, &out, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "--addr") {
		t.Fatalf("serve on a busy port = %v; want an error saying the address is in use and naming --addr", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a failed start created the data directory %s (%v)", dir, err)
	}
	if out.Len() != 0 {
		t.Fatalf("a failed start printed %q", out.String())
	}
}

// TestServeRefusesASecondServerOnTheSameData: another server on the same
// data directory (on another port) is refused at once, naming --data.
func TestServeRefusesASecondServerOnTheSameData(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-test-token-0123456789abc")
	dir := filepath.Join(t.TempDir(), "data")
	_, stop := startServe(t, dir)
	defer stop()
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), c, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "in use by another Eventloom server") || !strings.Contains(err.Error(), "--data") {
		t.Fatalf("a second serve on the same data = %v; want it refused, naming --data", err)
	}
}

// TestServeClosesSlowAndIdleConnections: a client that sends half a body
// and stalls, and one that leaves a keep-alive connection idle, are both
// closed by the server once the configured timeouts pass.
func TestServeClosesSlowAndIdleConnections(t *testing.T) {
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-test-token-0123456789abc")
	t.Setenv("EVENTLOOM_READ_TIMEOUT", "300ms")
	t.Setenv("EVENTLOOM_IDLE_TIMEOUT", "300ms")
	addr, stop := startServe(t, filepath.Join(t.TempDir(), "data"))
	defer stop()
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a bound, far past the timeouts
		_, err := io.ReadAll(c)
		var ne net.Error
		return err == nil || !(errors.As(err, &ne) && ne.Timeout())
	}
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntoken=ab", addr)
	if !closed(slow) {
		t.Fatal("a stalled request body held its connection past the read timeout")
	}
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz = %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = idle.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the idle connection sent more bytes")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("an idle keep-alive connection was kept past the idle timeout")
	}
}
