package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Checkpoints move the WAL's committed pages into the database file. By
// default SQLite runs one inside the commit that takes the WAL past 1,000
// pages, on the committing connection: the writer would copy pages and
// sync the database file while every producer waits on its batch. The
// store's writer leaves that to a checkpointer on a connection of its own,
// which runs a PASSIVE checkpoint (it never blocks the writer or a reader)
// every few commits; the writer keeps a far higher automatic threshold as
// a backstop, should the checkpointer fall behind.
const (
	// checkpointEveryCommits is how many of the writer's commits pass
	// between two checkpoints: at the group commit's usual 100 to 200
	// pages a batch, about as many pages as SQLite's default of 1,000.
	checkpointEveryCommits = 8
	// checkpointMinInterval spaces checkpoints when commits are small
	// and many (a thousand triggers a second commit in batches of a few):
	// each checkpoint that moves frames also syncs the database file,
	// and the disk is the WAL's commits' too.
	checkpointMinInterval = 100 * time.Millisecond
	// writerAutoCheckpointPages is the writer's own threshold (about 40
	// MB of WAL at 4 KiB pages), reached only when the checkpointer
	// cannot keep up.
	writerAutoCheckpointPages = 10000
)

// checkpointer runs PASSIVE checkpoints on its own connection when the
// writer asks. kick is the writer's side; run is its goroutine's.
type checkpointer struct {
	db    *sql.DB
	log   *slog.Logger
	wake  chan struct{}
	done  chan struct{}
	since int       // the writer's commits since the last wake (writer only)
	woke  time.Time // when the writer last woke it (writer only)
	// runs counts checkpoints done and moved the WAL frames the last one
	// copied into the database file, for tests and diagnostics.
	runs  atomic.Uint64
	moved atomic.Int64
}

// newCheckpointer opens the checkpoint connection on the database at path
// with the writer's sync level (the checkpoint's sync of the database
// file honours it) and starts its goroutine; stop ends it.
func newCheckpointer(path, sync string, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, sync, false))
	if err != nil {
		return nil, fmt.Errorf("checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// kick counts one commit of the writer and wakes the checkpointer every
// checkpointEveryCommits, at most once per checkpointMinInterval; it
// never blocks (a wake already pending covers this one).
func (c *checkpointer) kick(now time.Time) {
	c.since++
	if c.since < checkpointEveryCommits || now.Sub(c.woke) < checkpointMinInterval {
		return
	}
	c.since, c.woke = 0, now
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for range c.wake {
		c.checkpoint()
	}
}

// checkpoint runs one PASSIVE checkpoint. A failure is logged, not
// fatal: the WAL keeps every commit, and the writer's backstop still
// checkpoints should these keep failing.
func (c *checkpointer) checkpoint() {
	var busy, frames, moved int64
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &moved)
	if err != nil {
		c.log.Warn("store: checkpoint", "err", err)
	} else {
		c.moved.Store(moved)
	}
	c.runs.Add(1)
}

// stop ends the goroutine once the checkpoint under way (if any) is done
// and closes the connection. Only after the writer has stopped.
func (c *checkpointer) stop() error {
	close(c.wake)
	<-c.done
	return c.db.Close()
}
