package storagetest

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// chainOf builds a chain of n occurrences in one trace: a root OrderPlaced,
// then Reserved occurrences each triggered by the previous one's
// delivery. It returns their ids, root first.
func (fx *fixture) chainOf(t *testing.T, n int) []int64 {
	t.Helper()
	r := fx.orderStock(t, t0, true)
	ids := []int64{r.OccurrenceID}
	c := r.Deliveries[0]
	for len(ids) < n {
		p := completion(c, delivery.Succeeded, time.Time{})
		p.Completion = storage.Succeeded(fx.reservedBy(c, bigCap, true))
		res, err := fx.st.DeliveryComplete(ctx(t), p)
		if err != nil {
			t.Fatalf("chain link %d: %v", len(ids)+1, err)
		}
		ids = append(ids, res.Triggered[0].OccurrenceID)
		c = res.Triggered[0].Deliveries[0]
	}
	return ids
}

// occurrenceDepth: the depth of an occurrence counts its chain from the
// root (1), and stops counting past the limit; an unknown id is
// fault.ErrNotFound.
func (s *suite) occurrenceDepth(t *testing.T) {
	fx := s.fixture(t)
	ids := fx.chainOf(t, 5)
	for i, id := range ids {
		if d, err := fx.st.OccurrenceDepth(ctx(t), id, 10); err != nil || d != i+1 {
			t.Fatalf("depth of link %d = %d %v, want %d", i+1, d, err, i+1)
		}
	}
	if d, err := fx.st.OccurrenceDepth(ctx(t), ids[4], 3); err != nil || d != 4 {
		t.Fatalf("depth of link 5 with limit 3 = %d %v, want 4 (the limit + 1)", d, err)
	}
	_, err := fx.st.OccurrenceDepth(ctx(t), 1<<40, 10)
	wantKind(t, err, fault.ErrNotFound, "OccurrenceDepth of an unknown occurrence")
}

// traceList: a trace is read a page at a time, oldest first, each page
// after the last id of the one before; past the end is an empty page; an
// unknown trace is fault.ErrNotFound.
func (s *suite) traceList(t *testing.T) {
	fx := s.fixture(t)
	ids := fx.chainOf(t, 5)
	var got []int64
	after := int64(0)
	for pages := 0; ; pages++ {
		page, err := fx.st.TraceList(ctx(t), &storage.TraceListParams{TraceID: ids[0], AfterID: after, Limit: 2})
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 2 || pages > 3 {
			t.Fatalf("page %d has %d occurrences (limit 2)", pages+1, len(page))
		}
		for _, o := range page {
			if len(o.Deliveries) != 1 {
				t.Fatalf("occurrence %d on a page has %d deliveries, want its 1", o.ID, len(o.Deliveries))
			}
			got = append(got, o.ID)
		}
		after = page[len(page)-1].ID
	}
	if len(got) != len(ids) {
		t.Fatalf("pages gave %v, want %v", got, ids)
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("pages gave %v, want %v oldest first", got, ids)
		}
	}
	_, err := fx.st.TraceList(ctx(t), &storage.TraceListParams{TraceID: 1 << 40, Limit: 2})
	wantKind(t, err, fault.ErrNotFound, "TraceList of an unknown trace")
}
