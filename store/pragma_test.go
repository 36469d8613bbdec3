package store

import (
	"context"
	"testing"
)

// TestWriterKeepsTempStoreInMemory reads temp_store back on the writer's
// own connection: with it in a file, every page a batch's savepoints
// touch past 64 KiB is also written to a sub-journal file.
func TestWriterKeepsTempStoreInMemory(t *testing.T) {
	s := openStore(t, t.TempDir())
	res, err := s.do(context.Background(), func(w *writer) (any, error) {
		var ts int
		err := w.QueryRowContext(context.Background(), "PRAGMA temp_store").Scan(&ts)
		return ts, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.(int) != 2 {
		t.Fatalf("writer temp_store = %v, want 2 (MEMORY)", res)
	}
}
