package engine

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// Backup takes a consistent copy of the whole database while the engine
// runs: every occurrence acknowledged before the call is in it. The caller
// reads the returned Backup and must Close it, which deletes the copy. A
// storage backend without online backups is refused with fault.ErrConflict
// saying so.
func (e *Engine) Backup(ctx context.Context) (*storage.Backup, error) {
	b, ok := e.st.(storage.Backuper)
	if !ok {
		return nil, fault.New(fault.ErrConflict, "backup_unsupported",
			fmt.Sprintf("this server's storage (%T) cannot take an online backup; back up that storage with its own tools", e.st))
	}
	bk, err := b.BackupOpen(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return bk, nil
}
