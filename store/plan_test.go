package store

import (
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// TestCompletePlanLooksUpByID guards the hot completion statement: it must
// drive from its list of rows into the primary key, never scan deliveries
// by status (which made it O(running deliveries) per batch).
func TestCompletePlanLooksUpByID(t *testing.T) {
	plan := queryPlan(t, newSimpleComplete().sql(1), 1, 1, 5, 0, 2, 1, 5, 0)
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "SCAN c; SEARCH deliveries USING INTEGER PRIMARY KEY") || strings.Contains(joined, "SCAN deliveries") {
		t.Fatalf("plan = %q, want the listed rows driving a primary-key search of deliveries", plan)
	}
}

// TestSettlePlanLooksUpByID guards the statement settling finished
// occurrences: a primary-key search per listed id.
func TestSettlePlanLooksUpByID(t *testing.T) {
	plan := queryPlan(t, newSettle(delivery.OccurrenceCompleted).sql(1), 1, 2)
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "SEARCH occurrences USING INTEGER PRIMARY KEY") || strings.Contains(joined, "SCAN occurrences") {
		t.Fatalf("plan = %q, want a primary-key search of occurrences", plan)
	}
}

// TestAppLeasedPlanReadsRunningIndex guards the count a claim under an
// app-wide limit makes: it must reach deliveries by status = 'running'
// (the partial lease index; running deliveries are not in the partial
// status index), never by app (every delivery the app ever had) nor by
// a scan.
func TestAppLeasedPlanReadsRunningIndex(t *testing.T) {
	plan := queryPlan(t, appLeasedQuery, 1, 0)
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "deliveries USING INDEX deliveries_lease") || strings.Contains(joined, "SCAN deliveries") {
		t.Fatalf("plan = %q, want deliveries searched by the lease index, never scanned", plan)
	}
}

// queryPlan returns the details of SQLite's plan for q on a fresh store.
func queryPlan(t *testing.T, q string, args ...any) []string {
	t.Helper()
	return storePlan(t, newFixture(t, t.TempDir()).s, q, args...)
}

// storePlan returns the details of SQLite's plan for q on s.
func storePlan(t *testing.T, s *Store, q string, args ...any) []string {
	t.Helper()
	rows, err := s.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestParamIndexPlanSeeksEachBucket guards the payload index's reads: a
// search must seek its value in each bucket (the key's third column),
// never read every entry of the parameter's name.
func TestParamIndexPlanSeeksEachBucket(t *testing.T) {
	s := newFixture(t, t.TempDir()).s
	for want, c := range map[string]storage.ParamCond{
		"bucket=? AND value=?": {Name: "K", Op: storage.ParamEq, Value: "a"},
		"bucket=? AND value>?": {Name: "K", Op: storage.ParamGE, Value: 3.5},
	} {
		q, args := paramGroup{name: "K", conds: []storage.ParamCond{c}, events: []int64{1}}.indexSQL()
		plan := storePlan(t, s, q, args...)
		if !strings.Contains(plan[0], "USING PRIMARY KEY (event_id=? AND name=? AND "+want) {
			t.Fatalf("plan of %s = %q, want a search of occurrence_params by event, name, %s", q, plan, want)
		}
	}
}

// TestAttemptsPlanLooksUpByDelivery guards the attempts readers: both the
// attempts rows and the attempts kept on delivery rows are found by the
// listed ids, never by a scan of either table.
func TestAttemptsPlanLooksUpByDelivery(t *testing.T) {
	for _, window := range []bool{false, true} {
		plan := queryPlan(t, attemptsSQL(!window, window), "[1,2]", 0, 1)
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "SEARCH attempts USING PRIMARY KEY (delivery_id=?)") ||
			!strings.Contains(joined, "SEARCH deliveries USING INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(joined, "SCAN attempts") || strings.Contains(joined, "SCAN deliveries") {
			t.Fatalf("plan (window %v) = %q, want attempts and deliveries searched by id", window, plan)
		}
	}
}
