package main

import (
	"io"
	"strings"
	"testing"
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
