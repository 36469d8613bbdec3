package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// TestParamIndexAndTailAgree: the index holds exactly the keys of
// storage.ParamKey (DateTime padding included, nulls left out), and a
// search finds the same occurrences whether the index covers them or
// tests their JSON because it has not got to them yet (the tail).
func TestParamIndexAndTailAgree(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	stopIndexLoop(t, f.s)
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
	if err := f.s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := f.s.rdb.QueryContext(ctx, `SELECT name, typeof(value), value, occurrence_id FROM search.occurrence_params ORDER BY occurrence_id, name`)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		name, typ string
		value     any
		occ       int64
	}
	var entries []entry
	for r.Next() {
		var e entry
		if err := r.Scan(&e.name, &e.typ, &e.value, &e.occ); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	r.Close()
	if len(entries) != 16 {
		t.Fatalf("the index holds %d values, want 16 (nulls left out): %v", len(entries), entries)
	}
	for _, e := range entries {
		if want, _ := storage.ParamKey(e.value); e.name == "Then" && e.value != "2026-01-01T10:00:00.500000000Z" || !reflect.DeepEqual(want, e.value) {
			t.Fatalf("index entry %+v is not its own storage.ParamKey (%v), or a DateTime is not padded", e, want)
		}
	}
	search := func() [][]int64 {
		var out [][]int64
		for _, e := range entries {
			os, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{Params: []storage.ParamCond{{Name: e.name, Op: storage.ParamEq, Value: e.value}}})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, o := range os {
				ids = append(ids, o.ID)
			}
			if !slices.Contains(ids, e.occ) {
				t.Fatalf("%s = %v (%s) found %v, not occurrence %d", e.name, e.value, e.typ, ids, e.occ)
			}
			out = append(out, ids)
		}
		return out
	}
	indexed := search()
	if _, err := f.s.search.conn.ExecContext(ctx, "DELETE FROM occurrence_params; UPDATE progress SET upto = 0"); err != nil {
		t.Fatal(err)
	}
	if tail := search(); !reflect.DeepEqual(tail, indexed) {
		t.Fatalf("searching the tail found %v, the index %v", tail, indexed)
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
	long := strings.Repeat("x", maxIndexedText+6)
	for i := range 300 {
		p := f.params(0, false)
		p.CreatedAt = t0.Add(time.Duration(i) * time.Second)
		// Notes longer than the index keeps share their cut: the
		// index alone cannot tell them apart.
		note := long + strconv.Itoa(i%5)
		if i%6 == 0 {
			note = "short"
		}
		p.Parameters = json.RawMessage(fmt.Sprintf(`{"OrderId":"o%d","Qty":%d,"Price":%d.5,"Ok":%t,"When":%q,"Note":%q}`,
			i%7, i%50, i%20, i%3 == 0, t0.Add(time.Duration(i)*time.Second+time.Duration(i%2)*time.Millisecond*500).Format(time.RFC3339Nano), note))
		ps = append(ps, p)
	}
	// The index covers the first half; the second half is its tail.
	stopIndexLoop(t, f.s)
	if _, err := f.s.OccurrenceInsertBatch(ctx, ps[:150]); err != nil {
		t.Fatal(err)
	}
	if err := f.s.search.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.OccurrenceInsertBatch(ctx, ps[150:]); err != nil {
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
		"long text":  {{Name: "Note", Op: storage.ParamEq, Value: long + "3"}},
		"long range": {{Name: "Note", Op: storage.ParamGE, Value: long + "1"}, {Name: "Note", Op: storage.ParamLE, Value: long + "2"}},
		"cut bound":  {{Name: "Note", Op: storage.ParamLE, Value: long[:maxIndexedText]}},
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
	type answer struct {
		occ, del []int64
		n        int
	}
	// Every plan, with the index covering half, all, then none of the
	// occurrences, gives the first answer.
	want := map[string]answer{}
	for _, state := range []string{"half indexed", "indexed", "not indexed"} {
		switch state {
		case "half indexed":
			if got := count(t, f.s, "SELECT count(DISTINCT occurrence_id) FROM search.occurrence_params"); got != 150 {
				t.Fatalf("the index covers %d occurrences, want the first 150", got)
			}
		case "indexed":
			if err := f.s.search.catchUp(ctx); err != nil {
				t.Fatal(err)
			}
		case "not indexed":
			if _, err := f.s.search.conn.ExecContext(ctx, "DELETE FROM occurrence_params; UPDATE progress SET upto = 0"); err != nil {
				t.Fatal(err)
			}
		}
		for name, conds := range cases {
			t.Run(state+"/"+name, func(t *testing.T) {
				for _, lim := range []paramLimits{defaultParamLimits, {driven: -1, walk: 1 << 30}, {driven: -1, walk: 0}} {
					o, d, n := run(t, lim, conds)
					w, ok := want[name]
					if !ok {
						want[name] = answer{o, d, n}
						if name != "mixed kind" && name != "no event" && len(o) == 0 {
							t.Fatalf("the case matches nothing, so it proves nothing")
						}
						continue
					}
					if !reflect.DeepEqual(w.occ, o) || !reflect.DeepEqual(w.del, d) || w.n != n {
						t.Fatalf("first: %d occurrences %v, deliveries %v, count %d\nwith %+v: %d occurrences %v, deliveries %v, count %d",
							len(w.occ), w.occ, w.del, w.n, lim, len(o), o, d, n)
					}
				}
			})
		}
	}
}

// stopIndexLoop stops s's payload search indexing loop, so the test moves
// the index with catchUp alone.
func stopIndexLoop(t testing.TB, s *Store) {
	t.Helper()
	s.search.stopLoop()
}
