package store

import (
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// undoMigration13 puts back the full indexes migration 13 made partial.
var undoMigration13 = []string{
	"DROP INDEX occurrences_status",
	"CREATE INDEX occurrences_status ON occurrences(status, id)",
	"DROP INDEX occurrences_trace",
	"CREATE INDEX occurrences_trace ON occurrences(trace_id, id)",
	"DROP INDEX deliveries_status",
	"CREATE INDEX deliveries_status ON deliveries(status, id)",
}

// TestMigration13MakesIndexesPartial opens a database at user_version 12
// (full status and trace indexes) holding a trace of a root and a caused
// occurrence and a dead delivery: after the upgrade the three indexes are
// partial, the queries read them, and they find the rows written before.
func TestMigration13MakesIndexesPartial(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	root, child := f.insertTrace(t)
	f.complete(t, root.Deliveries[1], delivery.Dead)
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}

	rollBack(t, dir, 12, append(append(undoMigration15, undoMigration14...), undoMigration13...)...)

	s := openStore(t, dir)
	if v := count(t, s, "PRAGMA user_version"); v != len(migrations) || v < 13 {
		t.Fatalf("user_version = %d after the upgrade, want %d", v, len(migrations))
	}
	for name, term := range map[string]string{
		"occurrences_status": "WHERE status <> 'completed'",
		"occurrences_trace":  "WHERE trace_id <> id",
		"deliveries_status":  "WHERE status NOT IN ('running', 'succeeded')",
	} {
		var def string
		if err := s.rdb.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", name).Scan(&def); err != nil {
			t.Fatalf("index %s after the upgrade: %v", name, err)
		}
		if !strings.HasSuffix(def, term) {
			t.Fatalf("index %s = %q after the upgrade, want it partial: %s", name, def, term)
		}
	}
	tr, err := s.TraceGet(ctx, root.TraceID)
	if err != nil || len(tr) != 2 || tr[0].ID != root.OccurrenceID || tr[1].ID != child.OccurrenceID {
		t.Fatalf("trace %d after the upgrade = %+v, %v; want the root then the child written before it", root.TraceID, tr, err)
	}
	planWants{has: []string{"occurrences_trace (trace_id=? AND id>?)"}}.check(t, "trace page after the upgrade",
		storePlan(t, s, traceQuery, root.TraceID, 0, 10))
	ds, err := s.DeliveryList(ctx, &storage.DeliveryListParams{Status: delivery.Dead, Limit: 10})
	if err != nil || len(ds) != 1 || ds[0].ID != root.Deliveries[1].DeliveryID {
		t.Fatalf("dead deliveries after the upgrade = %+v, %v; want delivery %d", ds, err, root.Deliveries[1].DeliveryID)
	}
	os, err := s.OccurrenceList(ctx, &storage.OccurrenceListParams{Status: delivery.OccurrencePending, Limit: 10})
	if err != nil || len(os) != 2 {
		t.Fatalf("pending occurrences after the upgrade = %+v, %v; want the root and the child", os, err)
	}
	if n := count(t, s, "SELECT count(*) FROM occurrences INDEXED BY occurrences_trace WHERE trace_id = ? AND trace_id <> id", root.TraceID); n != 1 {
		t.Fatalf("the rebuilt trace index holds %d entries of trace %d, want the child's only", n, root.TraceID)
	}
}
