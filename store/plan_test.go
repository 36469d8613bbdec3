package store

import (
	"context"
	"strings"
	"testing"
)

// TestCompletePlanLooksUpByID guards the hot completion statement: it must
// drive from the JSON list into the primary key, never scan deliveries by
// status (which made it O(running deliveries) per batch).
func TestCompletePlanLooksUpByID(t *testing.T) {
	f := newFixture(t, t.TempDir())
	rows, err := f.s.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+simpleComplete, "[[1,1,5]]")
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
	if len(plan) != 2 || !strings.HasPrefix(plan[0], "SCAN json_each") || !strings.Contains(plan[1], "INTEGER PRIMARY KEY") {
		t.Fatalf("plan = %q, want json_each driving a primary-key search of deliveries", plan)
	}
}
