package store

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// undoMigration14 puts back the full deliveries_updated migration 14 made
// partial.
var undoMigration14 = []string{
	"DROP INDEX deliveries_updated",
	"CREATE INDEX deliveries_updated ON deliveries(updated_at, status)",
}

// touchedFixture stores two occurrences with three running deliveries
// each (created at t0) and finishes one as succeeded and one as dead (at
// t0+1s): the running ones are in deliveries_lease only.
func touchedFixture(t *testing.T, f *fixture) (running, finished []int64) {
	t.Helper()
	for range 2 {
		r := f.insert(t, 0, true)
		for _, c := range r.Deliveries {
			running = append(running, c.DeliveryID)
		}
	}
	f.complete(t, storage.Claim{DeliveryID: running[0], Token: 1}, delivery.Succeeded)
	f.complete(t, storage.Claim{DeliveryID: running[4], Token: 1}, delivery.Dead)
	finished = []int64{running[0], running[4]}
	running = slices.DeleteFunc(running, func(id int64) bool { return slices.Contains(finished, id) })
	return running, finished
}

// checkTouched asserts what the three updated-since reads answer for
// touchedFixture's deliveries.
func checkTouched(t *testing.T, s *Store, running, finished []int64) {
	t.Helper()
	ctx := context.Background()
	counts, err := s.DeliveryCounts(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[delivery.Status]int{delivery.Running: len(running), delivery.Succeeded: 1, delivery.Dead: 1}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("counts since t0 = %v, want %v", counts, want)
	}
	counts, err = s.DeliveryCounts(ctx, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[delivery.Status]int{delivery.Succeeded: 1, delivery.Dead: 1}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("counts since t0+1s = %v, want %v (the running ones were last updated at t0)", counts, want)
	}
	ds, err := s.DeliveryListTouched(ctx, &storage.DeliveryTouchedParams{Since: t0, Until: t0.Add(time.Hour), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	if want := slices.Sorted(slices.Values(append(append([]int64(nil), running...), finished...))); !reflect.DeepEqual(ids, want) {
		t.Fatalf("deliveries touched since t0 = %v, want every one, running included, oldest first: %v", ids, want)
	}
	page, err := s.AttemptFinishedList(ctx, &storage.AttemptFinishedListParams{Since: t0, Until: t0.Add(time.Hour), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Attempts) != 2 {
		t.Fatalf("attempts finished since t0 = %+v, want the two finished deliveries' attempts", page.Attempts)
	}
}

// TestUpdatedSinceReadsRunningFromTheLease: deliveries_updated leaves
// running deliveries out, and every read of "updated since" still finds
// them, through deliveries_lease, without walking the table.
func TestUpdatedSinceReadsRunningFromTheLease(t *testing.T) {
	f := newFixture(t, t.TempDir())
	running, finished := touchedFixture(t, f)
	if n := count(t, f.s, "SELECT count(*) FROM deliveries INDEXED BY deliveries_updated WHERE updated_at >= 0 AND status <> 'running'"); n != len(finished) {
		t.Fatalf("deliveries_updated holds %d entries, want the %d finished deliveries only", n, len(finished))
	}
	checkTouched(t, f.s, running, finished)
	want := planWants{has: []string{"deliveries_updated", "deliveries_lease"}, hasNot: []string{"SCAN deliveries;", "SCAN d;"}}
	want.check(t, "counts since", storePlan(t, f.s, countsSince, 0, 0))
	want.check(t, "touched since", storePlan(t, f.s, "SELECT min(id) FROM ("+touchedSince+")", 0, 0))
}

// TestMigration14MakesUpdatedPartial upgrades a database at user_version
// 13 (a full deliveries_updated) with running and finished deliveries.
func TestMigration14MakesUpdatedPartial(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	running, finished := touchedFixture(t, f)
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	rollBack(t, dir, 13, append(undoMigration15, undoMigration14...)...)
	s := openStore(t, dir)
	var def string
	if err := s.rdb.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_updated'").Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(def, "WHERE status <> 'running'") {
		t.Fatalf("deliveries_updated = %q after the upgrade, want it partial", def)
	}
	checkTouched(t, s, running, finished)
}
