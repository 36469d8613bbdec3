package store

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestBackupRestores: a backup is a complete database (the restore the
// README describes: put it in an empty data directory as eventloom.db and
// open it), its temporary file is gone once closed, and a copy a crash left
// behind is removed at the next Open.
func TestBackupRestores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	r := f.insert(t, 10, false)

	b, err := f.s.BackupOpen(ctx)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if filepath.Dir(b.Name()) != dir {
		t.Fatalf("backup written to %s; want a temporary file in the data directory %s", b.Name(), dir)
	}
	restored := t.TempDir()
	out, err := os.Create(filepath.Join(restored, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(out, b)
	if cerr := out.Close(); err != nil || cerr != nil || n != b.SizeBytes || n == 0 {
		t.Fatalf("copy %d of %d bytes: %v %v", n, b.SizeBytes, err, cerr)
	}
	name := b.Name()
	if err := b.Close(); err != nil {
		t.Fatalf("close the backup: %v", err)
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("the backup's temporary file %s is still there after Close: %v", name, err)
	}

	s := openStore(t, restored)
	if got := count(t, s, "SELECT count(*) FROM occurrences WHERE id = ?", r.OccurrenceID); got != 1 {
		t.Fatalf("restored database has %d copies of occurrence %d; want 1", got, r.OccurrenceID)
	}
	if got := count(t, s, "SELECT count(*) FROM deliveries"); got != len(r.Deliveries) {
		t.Fatalf("restored database has %d deliveries; want %d", got, len(r.Deliveries))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	stale := filepath.Join(restored, "backup-123.db.tmp")
	if err := os.WriteFile(stale, []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	openStore(t, restored)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a stale backup copy survived Open: %v", err)
	}
}
