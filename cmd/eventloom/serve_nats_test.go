package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/store/jetstream/natscluster"
)

// TestServeNATSNodesShareOneDesign: two `serve --nats` nodes on one
// in-process three-server cluster. The first seeds the demo design; the
// second (--no-demo) serves that same design through the CLI and accepts
// a trigger of it.
func TestServeNATSNodesShareOneDesign(t *testing.T) {
	const token = "nats-test-token-0123456789abc"
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", token)
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer scancel()
	cl, err := natscluster.Start(sctx, natscluster.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var addrs []string
	var dones []chan error
	for i, extra := range [][]string{nil, {"--no-demo"}} {
		c, err := parseServe(append([]string{"-addr", "127.0.0.1:0", "--nats", cl.URL()}, extra...), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ready, done := make(chan string, 1), make(chan error, 1)
		var out bytes.Buffer
		go func() { done <- serve(ctx, c, &out, io.Discard, ready) }()
		select {
		case a := <-ready:
			addrs = append(addrs, a)
		case err := <-done:
			t.Fatalf("node %d stopped early: %v", i+1, err)
		case <-time.After(2 * time.Minute):
			t.Fatalf("node %d did not start within 2 minutes", i+1)
		}
		dones = append(dones, done)
	}
	t.Setenv("EVENTLOOM_URL", "http://"+addrs[1])
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"export"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"name": "Storefront"`) {
		t.Fatalf("export through the second node = exit %d, %q %q; want the demo design the first seeded", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run(ctx, []string{"trigger", "Storefront", "OnPurchaseStarted", "ProductId=P-1", "Quantity=2", "CustomerEmail=ann@example.com", "Amount=99.50"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"occurrenceId"`) {
		t.Fatalf("trigger through the second node = exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	cancel()
	for i, done := range dones {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("node %d shutdown: %v", i+1, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("node %d did not stop within a minute of the signal", i+1)
		}
	}
}
