package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestServeWebhookSettings(t *testing.T) {
	c, err := parseServe(nil, io.Discard)
	if err != nil || c.EndpointPauseAfter != 0 || c.SecretGrace != 24*time.Hour {
		t.Fatalf("defaults = %d, %s (%v); want never pause, a 24h grace", c.EndpointPauseAfter, c.SecretGrace, err)
	}
	t.Setenv("EVENTLOOM_SECRET_GRACE", "2h")
	c, err = parseServe([]string{"-endpoint-pause-after", "5"}, io.Discard)
	if err != nil || c.EndpointPauseAfter != 5 || c.SecretGrace != 2*time.Hour {
		t.Fatalf("set = %d, %s (%v); want 5 and 2h", c.EndpointPauseAfter, c.SecretGrace, err)
	}
	for _, args := range [][]string{{"-endpoint-pause-after", "-1"}, {"-secret-grace", "0s"}} {
		_, err := parseServe(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "-")) || !strings.Contains(err.Error(), "give") {
			t.Fatalf("parse %v = %v; want an error naming the flag and what to give", args, err)
		}
	}
}
