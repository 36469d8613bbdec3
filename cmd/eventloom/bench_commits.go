package main

import (
	"sync/atomic"
	"time"
)

// benchCommits counts the SQLite writer's transactions (a
// store.CommitObserver), so a run reports group commit's shape beside the
// ceiling's commits_per_s and ops_per_commit: few large commits mean the
// sync is amortised, many small ones that the writer waits on the disk.
type benchCommits struct {
	counting *atomic.Bool
	commits  atomic.Uint64
	ops      atomic.Uint64
	nanos    atomic.Int64
}

// ObserveCommit counts one batch while the window is measured.
func (b *benchCommits) ObserveCommit(ops int, took time.Duration, err error) {
	if err != nil || !b.counting.Load() {
		return
	}
	b.commits.Add(1)
	b.ops.Add(uint64(ops))
	b.nanos.Add(int64(took))
}

// extra is the window's commit figures over seconds of measuring.
func (b *benchCommits) extra(seconds float64) map[string]any {
	n := b.commits.Load()
	if n == 0 || seconds <= 0 {
		return nil
	}
	return map[string]any{
		"commits_per_s":  float64(n) / seconds,
		"ops_per_commit": float64(b.ops.Load()) / float64(n),
		"commit_ms_mean": float64(b.nanos.Load()) / float64(n) / 1e6,
	}
}
