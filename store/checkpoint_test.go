package store

import (
	"context"
	"testing"
)

// TestWriterLeavesCheckpointsToTheCheckpointer: the writer's own
// automatic checkpoint is only the far backstop, and the checkpointer's
// connection moves the WAL's committed frames into the database file
// while the writer is open.
func TestWriterLeavesCheckpointsToTheCheckpointer(t *testing.T) {
	f := newFixture(t, t.TempDir())
	res, err := f.s.do(context.Background(), func(w *writer) (any, error) {
		var pages int
		err := w.QueryRowContext(context.Background(), "PRAGMA wal_autocheckpoint").Scan(&pages)
		return pages, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.(int) != writerAutoCheckpointPages {
		t.Fatalf("writer wal_autocheckpoint = %v, want %d", res, writerAutoCheckpointPages)
	}
	for range 20 {
		f.insert(t, 0, false)
	}
	runs := f.s.ckpt.runs.Load()
	f.s.ckpt.checkpoint()
	if f.s.ckpt.runs.Load() <= runs || f.s.ckpt.moved.Load() <= 0 {
		t.Fatalf("checkpoint moved %d frames (runs %d -> %d), want some", f.s.ckpt.moved.Load(), runs, f.s.ckpt.runs.Load())
	}
}

// TestCheckpointerWakesEveryFewCommits: kick, the writer's call after each
// commit, wakes the checkpointer once per checkpointEveryCommits commits,
// no sooner than checkpointMinInterval after the last wake, and never
// blocks when a wake is already pending.
func TestCheckpointerWakesEveryFewCommits(t *testing.T) {
	c := &checkpointer{wake: make(chan struct{}, 1)}
	now := t0
	for i := 1; i < checkpointEveryCommits; i++ {
		c.kick(now)
		if len(c.wake) != 0 {
			t.Fatalf("woken after %d commits, want %d", i, checkpointEveryCommits)
		}
	}
	c.kick(now)
	if len(c.wake) != 1 {
		t.Fatalf("not woken after %d commits", checkpointEveryCommits)
	}
	<-c.wake
	// Many small commits soon after: no wake until the interval is over.
	for range 3 * checkpointEveryCommits {
		now = now.Add(checkpointMinInterval / 100)
		c.kick(now)
	}
	if len(c.wake) != 0 {
		t.Fatalf("woken %v after the last wake, want none before %v", now.Sub(t0), checkpointMinInterval)
	}
	now = t0.Add(checkpointMinInterval)
	c.kick(now)
	if len(c.wake) != 1 {
		t.Fatal("not woken once the interval was over")
	}
	for range 3 * checkpointEveryCommits { // nobody reads: must not block
		now = now.Add(checkpointMinInterval)
		c.kick(now)
	}
	if len(c.wake) != 1 {
		t.Fatalf("%d wakes pending, want 1", len(c.wake))
	}
}
