package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// otlpSetting is the first of the OpenTelemetry variables names that is
// set (the traces-only one before the general one, as the OTLP exporter
// specification orders them), with its name.
func otlpSetting(names ...string) (value, name string) {
	for _, n := range names {
		if v := strings.TrimSpace(os.Getenv(n)); v != "" {
			return v, n
		}
	}
	return "", ""
}

// otlpTracing builds the tracer provider serve hands the engine: one that
// exports spans over OTLP when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter itself reads the rest
// of the standard OTEL_EXPORTER_OTLP_* variables: headers, timeout,
// compression, TLS), and nil when neither is set or OTEL_SDK_DISABLED is
// true, so nothing is created, recorded or exported. It logs which of the
// two it is. The caller shuts the provider down after the engine closes,
// which flushes the spans still batched.
func otlpTracing(ctx context.Context, log *slog.Logger) (*sdktrace.TracerProvider, error) {
	endpoint, endpointVar := otlpSetting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
	if endpoint == "" {
		log.Info("tracing off: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) to export spans over OTLP")
		return nil, nil
	}
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		log.Info("tracing off: OTEL_SDK_DISABLED is true", "endpoint", endpoint)
		return nil, nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s=%q is not an OTLP endpoint URL; give one such as http://127.0.0.1:4318 (http/protobuf) or http://127.0.0.1:4317 (grpc)", endpointVar, endpoint)
	}
	if h, name := otlpSetting("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"); h != "" {
		for _, kv := range strings.Split(h, ",") {
			if k, _, ok := strings.Cut(kv, "="); !ok || strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("%s has %q, which is not key=value; give comma-separated pairs such as api-key=secret,tenant=shop (values URL-encoded)", name, kv)
			}
		}
	}
	protocol, protocolVar := otlpSetting("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	if protocol == "" {
		protocol = "http/protobuf" // the specification's default
	}
	var (
		exp *otlptrace.Exporter
		err error
	)
	switch protocol {
	case "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("%s=%q is not a protocol Eventloom exports with; give http/protobuf (the default) or grpc", protocolVar, protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("create the OTLP %s exporter for %s: %w", protocol, endpoint, err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the name.
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName("eventloom")), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("describe this process for tracing (OTEL_RESOURCE_ATTRIBUTES): %w", err)
	}
	log.Info("tracing on: exporting spans over OTLP", "endpoint", endpoint, "protocol", protocol)
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// tracerProvider is tp as the engine takes it: nil (the engine's no-op
// default) when there is none, never a nil pointer in an interface.
func tracerProvider(tp *sdktrace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return nil
	}
	return tp
}

// flushTimeout bounds the export of the spans still batched at shutdown,
// so an unreachable collector cannot hold the process.
const flushTimeout = 10 * time.Second

// flushTracing shuts tp down, exporting the spans still batched; nil is
// nothing to do.
func flushTracing(tp *sdktrace.TracerProvider, log *slog.Logger) {
	if tp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		log.Warn("tracing: the last spans could not be exported at shutdown", "error", err)
	}
}
