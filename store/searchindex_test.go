package store

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/eventloom/eventloom/engine/storage"
)

// insertK stores an occurrence of f's event whose parameter K is k.
func insertK(t *testing.T, f *fixture, s *Store, k string) int64 {
	t.Helper()
	p := f.params(0, false)
	p.Parameters = json.RawMessage(`{"K":"` + k + `"}`)
	r, err := s.OccurrenceInsert(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return r.OccurrenceID
}

// findK is the ids of the occurrences whose K is k, newest first.
func findK(t *testing.T, s *Store, k string) []int64 {
	t.Helper()
	os, err := s.OccurrenceList(context.Background(), &storage.OccurrenceListParams{
		Params: []storage.ParamCond{{Name: "K", Op: storage.ParamEq, Value: k}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, o := range os {
		ids = append(ids, o.ID)
	}
	return ids
}

// moveFile replaces to with from, dropping to's WAL and shared memory.
func moveFile(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(to + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// TestSearchIndexRebuildsForAnotherDatabase: an index file left beside
// another database (same ids, other payloads) is rebuilt, not read.
func TestSearchIndexRebuildsForAnotherDatabase(t *testing.T) {
	ctx := context.Background()
	a, b := t.TempDir(), t.TempDir()
	fa := newFixture(t, a)
	insertK(t, fa, fa.s, "a")
	if err := fa.s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	fa.s.Close()
	fb := newFixture(t, b)
	first := insertK(t, fb, fb.s, "b")
	insertK(t, fb, fb.s, "b2")
	fb.s.Close()
	moveFile(t, filepath.Join(a, SearchIndexFile), filepath.Join(b, SearchIndexFile))

	s := openStore(t, b)
	if got := findK(t, s, "a"); got != nil {
		t.Fatalf("K=a found %v in a database that never stored it", got)
	}
	if got := findK(t, s, "b"); !reflect.DeepEqual(got, []int64{first}) {
		t.Fatalf("K=b found %v, want [%d]", got, first)
	}
	if err := s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM search.occurrence_params"); n != 2 {
		t.Fatalf("the rebuilt index holds %d values, want this database's 2", n)
	}
}

// TestSearchIndexRebuildsAfterAnOlderCopy: a database replaced by an
// older copy of itself hands the ids the index already covers to new
// occurrences, so the index is rebuilt.
func TestSearchIndexRebuildsAfterAnOlderCopy(t *testing.T) {
	ctx := context.Background()
	dir, keep := t.TempDir(), t.TempDir()
	f := newFixture(t, dir)
	insertK(t, f, f.s, "a")
	f.s.Close()
	db := filepath.Join(dir, DatabaseFile)
	copyFile(t, db, filepath.Join(keep, DatabaseFile))

	s := openStore(t, dir)
	reused := insertK(t, f, s, "b")
	insertK(t, f, s, "c")
	if err := s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	moveFile(t, filepath.Join(keep, DatabaseFile), db)

	s = openStore(t, dir)
	if id := insertK(t, f, s, "d"); id != reused {
		t.Fatalf("the restored copy gave the new occurrence id %d, want the reused %d (the case this test is about)", id, reused)
	}
	if got := findK(t, s, "b"); got != nil {
		t.Fatalf("K=b found %v after the database went back to before it", got)
	}
	if got := findK(t, s, "d"); !reflect.DeepEqual(got, []int64{reused}) {
		t.Fatalf("K=d found %v, want [%d]", got, reused)
	}
}

// TestSearchIndexRebuildsForAnotherBucketWidth: an index whose buckets
// are of another width than the store's is rebuilt with the store's, and
// searches find what they found before.
func TestSearchIndexRebuildsForAnotherBucketWidth(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	var ids []int64
	for range 9 {
		ids = append([]int64{insertK(t, f, f.s, "a")}, ids...)
	}
	if err := f.s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.s, "SELECT count(DISTINCT bucket) FROM search.occurrence_params"); n != 5 {
		t.Fatalf("9 occurrences from id 1 are in %d buckets of 2, want 5", n)
	}
	f.s.Close()

	s, err := Open(ctx, Config{Dir: dir, bucketShift: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(DISTINCT bucket) FROM search.occurrence_params"); n != 2 {
		t.Fatalf("9 occurrences from id 1 are in %d buckets of 8, want 2 (ids 1-7 and 8-9)", n)
	}
	if got := findK(t, s, "a"); !reflect.DeepEqual(got, ids) {
		t.Fatalf("K=a found %v, want %v", got, ids)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSearchIndexDamagedIsRebuilt: an index file that is not a database
// is deleted and built again; the store opens and searches find what it
// holds.
func TestSearchIndexDamagedIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir)
	id := insertK(t, f, f.s, "a")
	f.s.Close()
	if err := os.WriteFile(filepath.Join(dir, SearchIndexFile), []byte("not a database, not at all, no page header here"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	if err := s.search.catchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM search.occurrence_params"); n != 1 {
		t.Fatalf("the rebuilt index holds %d values, want 1", n)
	}
	if got := findK(t, s, "a"); !reflect.DeepEqual(got, []int64{id}) {
		t.Fatalf("K=a found %v, want [%d]", got, id)
	}
}

// TestSearchIndexLagCountsWhatItHasYetToReach: the lag is the occurrences
// committed past the index, down to 0 once it caught up, and it is known
// again after a restart that left some behind.
func TestSearchIndexLagCountsWhatItHasYetToReach(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	stopIndexLoop(t, f.s)
	for _, k := range []string{"a", "b", "c"} {
		insertK(t, f, f.s, k)
	}
	if lag := f.s.SearchIndexLag(); lag != 3 {
		t.Fatalf("lag = %d with 3 occurrences unindexed, want 3", lag)
	}
	if err := f.s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if lag := f.s.SearchIndexLag(); lag != 0 {
		t.Fatalf("lag = %d after catching up, want 0", lag)
	}
	newest := insertK(t, f, f.s, "d")
	var lineage string
	if err := f.s.rdb.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = ?", lineageSetting).Scan(&lineage); err != nil {
		t.Fatal(err)
	}
	f.s.Close()

	// The index as the next Open finds it, before its loop starts.
	x, err := openSearchIndex(ctx, filepath.Join(dir, SearchIndexFile), filepath.Join(dir, DatabaseFile), lineage, newest, testBucketShift, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	if lag := x.lag(); lag != 1 {
		t.Fatalf("lag = %d on opening with 1 occurrence unindexed, want 1", lag)
	}
}
