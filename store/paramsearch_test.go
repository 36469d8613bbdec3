package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// TestParamIndexBackfillMatchesWrites: migration 11 indexes the
// occurrences stored before it with exactly the keys the writer gives new
// ones (storage.ParamKey), DateTime padding included, so a search finds
// old and new occurrences alike.
func TestParamIndexBackfillMatchesWrites(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := newFixture(t, dir)
	for _, params := range []string{
		`{"OrderId":"A-1"}`,
		`{"OrderId":"10","Qty":10,"Price":19.99,"Big":123456789012345678901234,"Ok":true,"No":false,"Gone":null}`,
		`{"When":"2026-01-01T10:00:00Z","Then":"2026-01-01T10:00:00.5Z","Exact":"2026-01-01T10:00:00.123456789Z","Date":"2026-01-01","Time":"10:00:00"}`,
		`{"Almost":"2026-01-01T10:00:00","Zed":"2026-01-01 10:00:00Z","Neg":-3,"Exp":1e3}`,
	} {
		p := f.params(1000, false)
		p.Parameters = json.RawMessage(params)
		if _, err := f.s.OccurrenceInsert(ctx, p); err != nil {
			t.Fatalf("insert %s: %v", params, err)
		}
	}
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := func() []string {
		t.Helper()
		r, err := db.QueryContext(ctx, `SELECT event_id, name, typeof(value), value, occurrence_id FROM occurrence_params ORDER BY occurrence_id, name`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var ev, occ int64
			var name, typ string
			var v any
			if err := r.Scan(&ev, &name, &typ, &v, &occ); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %s %v %d", ev, name, typ, v, occ))
		}
		return out
	}
	written := rows()
	if len(written) != 16 {
		t.Fatalf("the writer indexed %d values, want 16 (nulls left out):\n%s", len(written), strings.Join(written, "\n"))
	}
	backfill := migrations[10][strings.Index(migrations[10], "INSERT OR IGNORE"):]
	if _, err := db.ExecContext(ctx, "DELETE FROM occurrence_params"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, backfill); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if got := rows(); !reflect.DeepEqual(got, written) {
		t.Fatalf("backfilled index differs from the written one:\nbackfill:\n%s\nwriter:\n%s", strings.Join(got, "\n"), strings.Join(written, "\n"))
	}
}

// TestParamPlansAgree: a payload search answers the same whichever plan
// it takes (driven by the ids of a selective condition, index
// subqueries, or each row's JSON tested while walking), for every kind
// of condition, on occurrences and deliveries.
func TestParamPlansAgree(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	var ps []*storage.OccurrenceInsertParams
	for i := range 300 {
		p := f.params(0, false)
		p.CreatedAt = t0.Add(time.Duration(i) * time.Second)
		p.Parameters = json.RawMessage(fmt.Sprintf(`{"OrderId":"o%d","Qty":%d,"Price":%d.5,"Ok":%t,"When":%q}`,
			i%7, i%50, i%20, i%3 == 0, t0.Add(time.Duration(i)*time.Second+time.Duration(i%2)*time.Millisecond*500).Format(time.RFC3339Nano)))
		ps = append(ps, p)
	}
	if _, err := f.s.OccurrenceInsertBatch(ctx, ps); err != nil {
		t.Fatal(err)
	}
	k := func(v any) any { x, _ := storage.ParamKey(v); return x }
	ev := []int64{f.event}
	cases := map[string][]storage.ParamCond{
		"text":       {{Name: "OrderId", Op: storage.ParamEq, Value: "o3"}},
		"number":     {{Name: "Qty", Op: storage.ParamGE, Value: int64(10)}, {Name: "Qty", Op: storage.ParamLE, Value: 12.0, EventIDs: ev}},
		"fraction":   {{Name: "Price", Op: storage.ParamEq, Value: 7.5}},
		"boolean":    {{Name: "Ok", Op: storage.ParamEq, Value: int64(1)}},
		"date-time":  {{Name: "When", Op: storage.ParamGE, Value: k(t0.Add(100 * time.Second).Format(time.RFC3339Nano))}, {Name: "When", Op: storage.ParamLE, Value: k(t0.Add(110 * time.Second).Format(time.RFC3339Nano))}},
		"two names":  {{Name: "OrderId", Op: storage.ParamEq, Value: "o1"}, {Name: "Qty", Op: storage.ParamLE, Value: int64(25)}},
		"mixed kind": {{Name: "OrderId", Op: storage.ParamLE, Value: int64(3)}},
		"no event":   {{Name: "Qty", Op: storage.ParamEq, Value: int64(4), EventIDs: []int64{-1}}},
	}
	run := func(t *testing.T, lim paramLimits, conds []storage.ParamCond) (occ, del []int64, n int) {
		f.s.paramLimits = lim
		os, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{Params: conds, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := f.s.DeliveryList(ctx, &storage.DeliveryListParams{Params: conds, SubscriptionID: f.subs[1], Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		n, err = f.s.DeliveryCount(ctx, &storage.DeliveryListParams{Params: conds})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			occ = append(occ, o.ID)
		}
		for _, d := range ds {
			del = append(del, d.ID)
		}
		return occ, del, n
	}
	for name, conds := range cases {
		t.Run(name, func(t *testing.T) {
			o1, d1, n1 := run(t, defaultParamLimits, conds)
			for _, lim := range []paramLimits{{driven: -1, walk: 1 << 30}, {driven: -1, walk: 0}} {
				o2, d2, n2 := run(t, lim, conds)
				if !reflect.DeepEqual(o1, o2) || !reflect.DeepEqual(d1, d2) || n1 != n2 {
					t.Fatalf("driven: %d occurrences %v, deliveries %v, count %d\nwith %+v: %d occurrences %v, deliveries %v, count %d",
						len(o1), o1, d1, n1, lim, len(o2), o2, d2, n2)
				}
			}
			if name != "mixed kind" && name != "no event" && len(o1) == 0 {
				t.Fatalf("the case matches nothing, so it proves nothing")
			}
		})
	}
}
