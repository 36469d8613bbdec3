package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

// TestMigrationKeepsVersionOneData opens a database written before
// migration 2 (attempt logs, the retry schedule's base): its rows read as
// attempts without a log and a schedule counted from the first attempt,
// and both new fields work on them afterwards.
func TestMigrationKeepsVersionOneData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	r := f.insert(t, 10, true)
	c := r.Deliveries[0]
	f.complete(t, c, delivery.Dead)
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}

	// Take the database back to schema version 1, as an older program left it.
	rollBack(t, dir, 1, append(append(append(undoMigration15,
		"ALTER TABLE attempts DROP COLUMN log",
		"ALTER TABLE deliveries DROP COLUMN schedule_base",
		"DROP TABLE sessions",
		"ALTER TABLE keys DROP COLUMN revoked_at",
		"DROP TABLE audit",
		"ALTER TABLE subscriptions DROP COLUMN filter",
		"DROP TABLE design_versions",
		"DROP TABLE app_secrets",
		"ALTER TABLE attempts DROP COLUMN response",
		"ALTER TABLE occurrences DROP COLUMN traceparent",
		"DROP TABLE user_tokens",
		"DROP TABLE users",
		// Migration 12's lineage; the payload search index file stays
		// behind, built from what is now another database.
		"DELETE FROM settings WHERE name = 'store.lineage'",
	), undoMigration14...), undoMigration13...)...)

	s := openStore(t, dir)
	if v := count(t, s, "PRAGMA user_version"); v != len(migrations) {
		t.Fatalf("user_version = %d after the upgrade, want %d", v, len(migrations))
	}
	if err := s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM search.occurrence_params"); n != 1 {
		t.Fatalf("the upgraded database's payload search index holds %d parameter values, want the one of the stored occurrence", n)
	}
	d, err := s.DeliveryGet(ctx, c.DeliveryID)
	if err != nil {
		t.Fatalf("read an upgraded delivery: %v", err)
	}
	if d.Status != delivery.Dead || d.ScheduleBase != 0 || len(d.AttemptList) != 1 || d.AttemptList[0].Log != nil || d.AttemptList[0].Error != "boom" || d.AttemptList[0].Response != nil {
		t.Fatalf("upgraded delivery = %+v; want dead, schedule base 0, one attempt with no log and no response", d)
	}
	d, err = s.DeliveryReplay(ctx, c.DeliveryID, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("replay an upgraded delivery: %v", err)
	}
	if d.ScheduleBase != 1 || d.Status != delivery.Pending {
		t.Fatalf("replayed = %+v; want pending with schedule base 1", d)
	}
}

// rollBack takes the closed database in dir back to schema version by
// running undo, as an older program would have left it.
func rollBack(t *testing.T, dir string, version int, undo ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append(undo, fmt.Sprintf("PRAGMA user_version = %d", version)) {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
