package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is a loopback OTLP/HTTP collector: it decodes each export
// request (protobuf) and keeps its spans and the request's headers.
type otlpReceiver struct {
	mu      sync.Mutex
	spans   []*tracepb.Span
	service []string
	headers []http.Header
	errs    []string
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	o.mu.Lock()
	defer o.mu.Unlock()
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		o.errs = append(o.errs, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if err := proto.Unmarshal(b, &req); err != nil {
		o.errs = append(o.errs, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	o.headers = append(o.headers, r.Header.Clone())
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				o.service = append(o.service, a.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			o.spans = append(o.spans, ss.GetSpans()...)
		}
	}
	b, _ = proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// TestServeExportsSpansOverOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set to
// a loopback collector, serve logs that tracing is on, and a trigger with
// a traceparent header reaches the collector (flushed at shutdown) as a
// span of the producer's trace, from service eventloom, with the
// OTEL_EXPORTER_OTLP_HEADERS sent.
func TestServeExportsSpansOverOTLP(t *testing.T) {
	col := &otlpReceiver{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	t.Setenv("EVENTLOOM_ADMIN_TOKEN", "cli-test-token-0123456789abc")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-collector-key=k-123")
	c, err := parseServe([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "data")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, io.Discard, &logs, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start within 20s")
	}
	if !strings.Contains(logs.String(), "tracing on: exporting spans over OTLP") || !strings.Contains(logs.String(), srv.URL) {
		t.Fatalf("the log does not say tracing is on, and where to:\n%s", logs.String())
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger",
		strings.NewReader(`{"ProductId": "P-1", "Quantity": 20, "CustomerEmail": "ann@example.com", "Amount": 10}`))
	req.Header.Set("Authorization", "Bearer cli-test-token-0123456789abc")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("trigger answered %d", resp.StatusCode)
	}
	cancel() // the shutdown flushes the batched spans
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s of the signal")
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.errs) > 0 {
		t.Fatalf("the collector got bad requests: %v", col.errs)
	}
	var trig *tracepb.Span
	for _, s := range col.spans {
		if s.GetName() == "trigger Storefront.OnPurchaseStarted" && hex.EncodeToString(s.GetTraceId()) == "4bf92f3577b34da6a3ce929d0e0e4736" {
			trig = s
		}
	}
	if trig == nil || hex.EncodeToString(trig.GetParentSpanId()) != "00f067aa0ba902b7" || trig.GetKind() != tracepb.Span_SPAN_KIND_PRODUCER {
		names := make([]string, 0, len(col.spans))
		for _, s := range col.spans {
			names = append(names, s.GetName())
		}
		t.Fatalf("no producer span of the trigger, child of the producer's span, among %d exported: %v (got %v)", len(col.spans), names, trig)
	}
	if len(col.service) == 0 || col.service[0] != "eventloom" || col.headers[0].Get("X-Collector-Key") != "k-123" {
		t.Fatalf("service names %v, headers %v; want eventloom and the OTEL_EXPORTER_OTLP_HEADERS", col.service, col.headers)
	}
}

// TestServeWithoutOTLPLogsTracingOff: without the OTLP variables serve
// creates no exporter and says so, and bad settings stop it with the
// variable named.
func TestServeWithoutOTLPLogsTracingOff(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	var logs syncBuffer
	tp, err := otlpTracing(context.Background(), testLogger(&logs))
	if tp != nil || err != nil || !strings.Contains(logs.String(), "tracing off") {
		t.Fatalf("otlpTracing = %v, %v; log %q; want nothing, and tracing off said", tp, err, logs.String())
	}
	for _, bad := range []struct{ name, value, want string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "127.0.0.1:4318", "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "http/protobuf (the default) or grpc"},
		{"OTEL_EXPORTER_OTLP_HEADERS", "novalue", "key=value"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
			t.Setenv(bad.name, bad.value)
			tp, err := otlpTracing(context.Background(), testLogger(io.Discard))
			if tp != nil || err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Fatalf("otlpTracing with %s=%q = %v, %v; want an error saying %q", bad.name, bad.value, tp, err, bad.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe to write from the server's
// goroutines while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestServeTraceURLIsChecked: --trace-url (or EVENTLOOM_TRACE_URL) must
// name the trace id; a template that cannot link is refused at start.
func TestServeTraceURLIsChecked(t *testing.T) {
	c, err := parseServe([]string{"-trace-url", "http://127.0.0.1:16686/trace/{traceId}"}, io.Discard)
	if err != nil || c.TraceURL != "http://127.0.0.1:16686/trace/{traceId}" {
		t.Fatalf("parse = %+v, %v", c.TraceURL, err)
	}
	t.Setenv("EVENTLOOM_TRACE_URL", "http://127.0.0.1:16686/trace/")
	if _, err := parseServe(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "--trace-url (EVENTLOOM_TRACE_URL)") || !strings.Contains(err.Error(), "{traceId}") {
		t.Fatalf("parse with a trace URL lacking {traceId} = %v; want an error naming the flag and the placeholder", err)
	}
}
