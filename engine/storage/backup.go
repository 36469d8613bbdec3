package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backuper is implemented by a backend that can copy its whole database
// while the engine runs (the SQLite store does). It is a separate interface
// so a backend without a single database file (JetStream) need not pretend.
type Backuper interface {
	// BackupOpen writes a consistent copy of the database, as of one
	// moment, to a new temporary file and returns it open at its start.
	// Every write committed before the call is in the copy; writes running
	// meanwhile are either wholly in it or not at all. The caller must
	// Close the Backup, which deletes the temporary file.
	BackupOpen(ctx context.Context) (*Backup, error)
}

// Backup is a database copy in a temporary file: read it, then Close it,
// which closes and deletes the file.
type Backup struct {
	*os.File
	// SizeBytes is the copy's length, for Content-Length and progress.
	SizeBytes int64
}

// Close closes the file and deletes it; deleting is the point, so an error
// of either is returned.
func (b *Backup) Close() error {
	cerr := b.File.Close()
	rerr := os.Remove(b.File.Name())
	if err := errors.Join(cerr, rerr); err != nil {
		return fmt.Errorf("discard backup %s: %w", b.File.Name(), err)
	}
	return nil
}
