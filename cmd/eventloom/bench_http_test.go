package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestBenchViaHTTPAndViewersReport runs a short bench with -via http and
// -viewers and checks that the report carries each phase's figures
// beside the in-process ones (not how fast they are).
func TestBenchViaHTTPAndViewersReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three short benchmark phases")
	}
	res, progress := runBenchReport(t, "-duration", "1s", "-warmup", "200ms", "-producers", "4", "-apps", "2", "-sync", "NORMAL", "-via", "http", "-viewers", "5", "-dir", t.TempDir())
	if res.TriggersPerS <= 0 || res.TriggerLatencyMS["p99"] <= 0 || res.DeliveriesPerS <= 0 {
		t.Fatalf("in-process figures missing: %+v", res)
	}
	for name, ph := range map[string]*benchPhase{"via_http": res.ViaHTTP, "with_viewers": res.WithViewers} {
		if ph == nil {
			t.Fatalf("no %s in the report: %s", name, fmt.Sprintf("%+v", res))
		}
		if ph.Triggered == 0 || ph.TriggersPerS <= 0 || ph.TriggerLatencyMS["p50"] <= 0 || ph.TriggerLatencyMS["p99"] < ph.TriggerLatencyMS["p50"] || ph.DeliveriesPerS <= 0 || ph.Refused != 0 {
			t.Fatalf("%s = %+v", name, ph)
		}
		// Every accepted trigger of a window is handled by both apps,
		// give or take the ones in flight at its edges.
		if ph.Deliveries == 0 || ph.Deliveries > 2*ph.Triggered+2*4*100 {
			t.Fatalf("%s: %d deliveries for %d triggers", name, ph.Deliveries, ph.Triggered)
		}
	}
	if res.WithViewers.Viewers != 5 || res.WithViewers.ViewerMessages == 0 {
		t.Fatalf("viewers read nothing: %+v", res.WithViewers)
	}
	for _, k := range []string{"http_to_in_process_triggers", "http_to_in_process_deliveries", "viewers_to_none_triggers", "viewers_to_none_deliveries"} {
		if res.Ratios[k] <= 0 {
			t.Fatalf("ratio %s = %v in %v", k, res.Ratios[k], res.Ratios)
		}
	}
	if !strings.Contains(progress, "bench via http:") || !strings.Contains(progress, "bench 5 viewers:") {
		t.Fatalf("progress lacks the phases: %s", progress)
	}
}

// TestBenchRefusesBadComparisons: a -via or -viewers that cannot run
// says what to use instead.
func TestBenchRefusesBadComparisons(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-via", "grpc"}, `-via is "grpc"; use http`},
		{[]string{"-viewers", "-3"}, "-viewers is -3; use a positive number"},
		{[]string{"-fill", "10", "-via", "http"}, "leave out -via and -viewers"},
	} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), append([]string{"bench"}, tc.args...), &out, &errs); code == 0 || !strings.Contains(errs.String(), tc.want) {
			t.Errorf("bench %v: exit %d, %q; want an error with %q", tc.args, code, errs.String(), tc.want)
		}
	}
}
