package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestBenchReportsCommits: the in-process window reports the SQLite
// writer's group commit (commits per second, operations per commit), the
// figures the ceiling prints beside its throughput.
func TestBenchReportsCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a short benchmark")
	}
	res, _ := runBenchReport(t, "-duration", "500ms", "-warmup", "100ms", "-producers", "4", "-apps", "2", "-sync", "NORMAL", "-dir", t.TempDir())
	perS, _ := res.Commits["commits_per_s"].(float64)
	ops, _ := res.Commits["ops_per_commit"].(float64)
	took, _ := res.Commits["commit_ms_mean"].(float64)
	// Every commit holds at least one operation, and the window's
	// triggers all went through one.
	if perS <= 0 || ops < 1 || took <= 0 || perS*ops*res.Seconds < float64(res.Triggered) {
		t.Fatalf("commits = %v for %d triggers in %.1fs", res.Commits, res.Triggered, res.Seconds)
	}
}

// runBenchReport runs bench with args and returns its JSON report and
// its progress lines, failing t when it exits non-zero or prints no
// report.
func runBenchReport(t *testing.T, args ...string) (benchResult, string) {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run(context.Background(), append([]string{"bench"}, args...), &out, &errs); code != 0 {
		t.Fatalf("bench exited %d: %s", code, errs.String())
	}
	var res benchResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return res, errs.String()
}
