package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// planWants is what a plan (its details joined by "; ") must and must
// not contain.
type planWants struct {
	has, hasNot []string
}

func (w planWants) check(t *testing.T, what string, plan []string) {
	t.Helper()
	joined := strings.Join(plan, "; ") + ";" // so "SCAN d;" matches a last line too
	for _, s := range w.has {
		if !strings.Contains(joined, s) {
			t.Errorf("%s: plan = %q, want %q in it", what, joined, s)
		}
	}
	for _, s := range w.hasNot {
		if strings.Contains(joined, s) {
			t.Errorf("%s: plan = %q, want no %q in it", what, joined, s)
		}
	}
}

// tableScan is the plan line of a full walk of a table by rowid (an
// index scan reads "SCAN o USING ...").
func tableScan(alias string) string { return "SCAN " + alias + ";" }

// TestOccurrenceListPlansUsePartialIndexes guards the queries migration
// 12's partial indexes serve: a pending or dead filter reads the partial
// status index, a trace filter reads the root by rowid and the caused
// occurrences by the partial trace index, and completed (not in any
// status index) walks the table newest first without sorting it.
func TestOccurrenceListPlansUsePartialIndexes(t *testing.T) {
	f := newFixture(t, t.TempDir())
	cases := []struct {
		name string
		p    storage.OccurrenceListParams
		want planWants
	}{
		{"pending", storage.OccurrenceListParams{Status: delivery.OccurrencePending},
			planWants{has: []string{"SEARCH o USING INDEX occurrences_status (status=?)"}, hasNot: []string{"TEMP B-TREE"}}},
		{"dead", storage.OccurrenceListParams{Status: delivery.OccurrenceDead},
			planWants{has: []string{"SEARCH o USING INDEX occurrences_status (status=?)"}, hasNot: []string{"TEMP B-TREE"}}},
		{"completed", storage.OccurrenceListParams{Status: delivery.OccurrenceCompleted},
			planWants{has: []string{tableScan("o")}, hasNot: []string{"TEMP B-TREE", "occurrences_status"}}},
		{"trace", storage.OccurrenceListParams{TraceID: 7},
			planWants{has: []string{"SEARCH o USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH o USING INDEX occurrences_trace (trace_id=?)"},
				hasNot: []string{tableScan("o")}}},
	}
	for _, c := range cases {
		w, err := occurrenceWhere(context.Background(), f.s.rdb, &c.p, f.s.paramLimits)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		c.want.check(t, c.name, storePlan(t, f.s, occurrenceListQuery(w)+";", append(w.args, 50)...))
	}
}

// TestDeliveryListPlansUsePartialIndexes: the states kept in the partial
// deliveries_status index read it (for a page and for a count), running
// reads deliveries_lease, succeeded walks the table newest first, and a
// trace filter reaches the trace's occurrences by rowid and the partial
// trace index.
func TestDeliveryListPlansUsePartialIndexes(t *testing.T) {
	f := newFixture(t, t.TempDir())
	type probe struct {
		p    storage.DeliveryListParams
		want planWants
	}
	var cases []probe
	for _, s := range []delivery.Status{delivery.Pending, delivery.Retrying, delivery.Dead, delivery.Discarded} {
		cases = append(cases, probe{storage.DeliveryListParams{Status: s},
			planWants{has: []string{"SEARCH d USING INDEX deliveries_status (status=?)"}, hasNot: []string{"TEMP B-TREE"}}})
	}
	cases = append(cases,
		probe{storage.DeliveryListParams{Status: delivery.Running},
			planWants{has: []string{"deliveries_lease"}, hasNot: []string{tableScan("d")}}},
		probe{storage.DeliveryListParams{Status: delivery.Succeeded},
			planWants{has: []string{tableScan("d")}, hasNot: []string{"TEMP B-TREE", "deliveries_status"}}},
		probe{storage.DeliveryListParams{TraceID: 7},
			planWants{has: []string{"SEARCH occurrences USING INTEGER PRIMARY KEY (rowid=?)", "occurrences_trace (trace_id=?)"},
				hasNot: []string{tableScan("d"), "SCAN occurrences"}}},
	)
	for _, c := range cases {
		name := string(c.p.Status)
		if name == "" {
			name = "trace"
		}
		w, err := deliveryWhere(context.Background(), f.s.rdb, &c.p, f.s.paramLimits, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.want.check(t, name, storePlan(t, f.s, deliveryListQuery(w)+";", append(w.args, 50)...))
	}
	w, err := deliveryWhere(context.Background(), f.s.rdb, &storage.DeliveryListParams{Status: delivery.Dead}, f.s.paramLimits, false)
	if err != nil {
		t.Fatal(err)
	}
	planWants{has: []string{"SEARCH d USING COVERING INDEX deliveries_status (status=?)"}}.check(t, "dead count",
		storePlan(t, f.s, "SELECT count(*) FROM deliveries d"+w.String(), w.args...))
}

// TestTracePlanMergesRootAndIndex: a trace page reads its root by rowid
// and its caused occurrences in the partial trace index's order, merged,
// so a page of a large trace neither scans nor sorts.
func TestTracePlanMergesRootAndIndex(t *testing.T) {
	planWants{
		has:    []string{"MERGE (UNION ALL)", "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH o USING INDEX occurrences_trace (trace_id=? AND id>?)"},
		hasNot: []string{"TEMP B-TREE", tableScan("o")},
	}.check(t, "trace page", queryPlan(t, traceQuery, 7, 0, 10))
}

// TestDiscardSubscriptionPlanReadsPartialIndexes: deleting a subscription
// finds its unfinished deliveries by the due and lease indexes; running
// ones are no longer in deliveries_status, so a plain status filter would
// scan every delivery.
func TestDiscardSubscriptionPlanReadsPartialIndexes(t *testing.T) {
	planWants{
		has:    []string{"deliveries_due (subscription_id=?)", "deliveries_lease"},
		hasNot: []string{"SCAN deliveries;"},
	}.check(t, "discard subscription", queryPlan(t, discardSubscriptionQuery+";", 1, 2))
}

// TestStatusFilterRefusesUnknownState: a status is written into the SQL
// as a literal, so only the enum's values pass, with an error naming
// the valid ones.
func TestStatusFilterRefusesUnknownState(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	_, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{Status: "done' OR 1=1 --", Limit: 5})
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "pending, completed or dead") {
		t.Fatalf("occurrence list by an unknown status: err = %v, want invalid naming pending, completed or dead", err)
	}
	_, err = f.s.DeliveryList(ctx, &storage.DeliveryListParams{Status: "finished", Limit: 5})
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "succeeded, dead or discarded") {
		t.Fatalf("delivery list by an unknown status: err = %v, want invalid naming the states", err)
	}
	if _, err = f.s.DeliveryCount(ctx, &storage.DeliveryListParams{Status: "finished"}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("delivery count by an unknown status: err = %v, want invalid", err)
	}
}

// TestTraceFilterIsByTraceNotByID: the trace filter reads the root by its
// id, but the id of a caused occurrence names no trace: filtering by it
// finds nothing (not that occurrence), while its root's trace holds both.
func TestTraceFilterIsByTraceNotByID(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	root, child := f.insertTrace(t)
	os, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{TraceID: child.OccurrenceID, Limit: 10})
	if err != nil || len(os) != 0 {
		t.Fatalf("occurrences of trace %d (a caused occurrence's id) = %+v, %v; want none", child.OccurrenceID, os, err)
	}
	ds, err := f.s.DeliveryList(ctx, &storage.DeliveryListParams{TraceID: child.OccurrenceID, Limit: 10})
	if err != nil || len(ds) != 0 {
		t.Fatalf("deliveries of trace %d (a caused occurrence's id) = %+v, %v; want none", child.OccurrenceID, ds, err)
	}
	if _, err := f.s.TraceGet(ctx, child.OccurrenceID); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("TraceGet(%d), a caused occurrence's id: err = %v, want not found", child.OccurrenceID, err)
	}
	os, err = f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{TraceID: root.TraceID, Limit: 10})
	if err != nil || len(os) != 2 || os[0].ID != child.OccurrenceID || os[1].ID != root.OccurrenceID {
		t.Fatalf("occurrences of trace %d = %+v, %v; want the child then the root", root.TraceID, os, err)
	}
	n, err := f.s.DeliveryCount(ctx, &storage.DeliveryListParams{TraceID: root.TraceID})
	if want := 2 * len(f.subs); err != nil || n != want {
		t.Fatalf("deliveries of trace %d = %d, %v; want %d", root.TraceID, n, err, want)
	}
}

// insertTrace inserts a root occurrence (its deliveries claimed) and one
// occurrence caused by the root's first delivery.
func (f *fixture) insertTrace(t *testing.T) (root, child *storage.OccurrenceInsertResult) {
	t.Helper()
	root = f.insert(t, 10, true)
	p := f.params(10, false)
	p.TraceID, p.ParentDeliveryID = root.TraceID, root.Deliveries[0].DeliveryID
	child, err := f.s.OccurrenceInsert(context.Background(), p)
	if err != nil {
		t.Fatalf("insert a caused occurrence: %v", err)
	}
	return root, child
}
