package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eventloom/eventloom/engine/storage"
)

var _ storage.Backuper = (*Store)(nil)

// backupPattern names the temporary copies BackupOpen writes into the data
// directory (on the database's own file system, which has room for a copy
// of it more surely than /tmp does). Open deletes those a crash left.
const backupPattern = "backup-*.db.tmp"

// BackupOpen copies the live database with VACUUM INTO on a connection of
// its own: it reads one WAL snapshot, so the copy holds every committed
// write up to its start and none half done, and the writer goes on
// meanwhile. The copy is compacted and has no -wal file: it is a complete
// eventloom.db by itself.
func (s *Store) BackupOpen(ctx context.Context) (*storage.Backup, error) {
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, backupPattern)
	if err != nil {
		return nil, fmt.Errorf("make a temporary file in %s: %w", dir, err)
	}
	name := tmp.Name()
	// VACUUM INTO accepts an existing file only when it is empty, as this one is.
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return nil, fmt.Errorf("database copy: %w", err)
	}
	if err := s.vacuumInto(ctx, name); err != nil {
		_ = os.Remove(name)
		return nil, fmt.Errorf("copy the database into %s: %w", name, err)
	}
	f, err := os.Open(name)
	if err != nil {
		_ = os.Remove(name)
		return nil, fmt.Errorf("database copy: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		_ = os.Remove(name)
		return nil, fmt.Errorf("database copy: %w", err)
	}
	return &storage.Backup{File: f, SizeBytes: fi.Size()}, nil
}

// removeStaleBackups deletes the temporary copies a crash during a backup
// left in dir; it runs at Open, when no backup can be under way.
func removeStaleBackups(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, backupPattern))
	if err != nil {
		return fmt.Errorf("find stale backups: %w", err)
	}
	for _, n := range names {
		if err := os.Remove(n); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove stale backup: %w", err)
		}
	}
	return nil
}

// vacuumInto runs VACUUM INTO on a connection opened for it alone: the
// reader pool's connections are read-only, and SQLite opens the target with
// the flags of the connection, so they cannot write it; the writer's one
// connection must stay free for triggers. VACUUM INTO only reads the main
// database, in one read transaction, so it takes no write lock.
func (s *Store) vacuumInto(ctx context.Context, target string) error {
	db, err := sql.Open("sqlite", dsn(s.path, s.cfg.Synchronous, false))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, target)
	return errors.Join(err, db.Close())
}
