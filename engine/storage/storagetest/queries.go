package storagetest

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// history is a small past for the query tests:
//
//	o1 OrderPlaced at t0     to Stock (succeeded, triggered o3) and Mail (dead)
//	o2 OrderPlaced at t0+1m  to Stock (pending)
//	o3 Reserved    at t0+2m  child of o1's Stock delivery, to Mail (pending)
//	o4 OrderPlaced at t0+3m  no deliveries (completed)
//	o5 OrderPlaced at t0+4m  to Stock (retrying, due at t0+1h)
type history struct {
	o1, o2, o3, o4, o5 *storage.OccurrenceInsertResult
}

func (fx *fixture) history(t *testing.T) history {
	t.Helper()
	var h history
	h.o1 = fx.insert(t, fx.order(t0, bigCap, fx.toStock(true), fx.toMail(true)))
	h.o2 = fx.insert(t, fx.order(t0.Add(time.Minute), bigCap, fx.toStock(false)))
	p := completion(h.o1.Deliveries[0], delivery.Succeeded, time.Time{})
	trig := fx.reservedBy(h.o1.Deliveries[0], bigCap, false)
	p.Completion = storage.Succeeded(trig)
	res, err := fx.st.DeliveryComplete(ctx(t), p)
	if err != nil {
		t.Fatalf("complete with a trigger: %v", err)
	}
	h.o3 = &res.Triggered[0]
	fx.complete(t, h.o1.Deliveries[1], delivery.Dead, time.Time{})
	h.o4 = fx.insert(t, fx.order(t0.Add(3*time.Minute), bigCap))
	h.o5 = fx.insert(t, fx.order(t0.Add(4*time.Minute), bigCap, fx.toStock(true)))
	fx.complete(t, h.o5.Deliveries[0], delivery.Retrying, t0.Add(time.Hour))
	return h
}

// occurrenceListFilters: every filter of OccurrenceList, alone and
// combined, newest first.
func (s *suite) occurrenceListFilters(t *testing.T) {
	fx := s.fixture(t)
	h := fx.history(t)
	o1, o2, o3, o4, o5 := h.o1.OccurrenceID, h.o2.OccurrenceID, h.o3.OccurrenceID, h.o4.OccurrenceID, h.o5.OccurrenceID
	cases := []struct {
		name string
		p    storage.OccurrenceListParams
		want []int64
	}{
		{"all", storage.OccurrenceListParams{}, []int64{o5, o4, o3, o2, o1}},
		{"producer Shop", storage.OccurrenceListParams{AppID: fx.shop.ID}, []int64{o5, o4, o2, o1}},
		{"producer Stock", storage.OccurrenceListParams{AppID: fx.stock.ID}, []int64{o3}},
		{"producer Mail", storage.OccurrenceListParams{AppID: fx.mail.ID}, nil},
		{"event Reserved", storage.OccurrenceListParams{EventID: fx.reserved.ID}, []int64{o3}},
		{"event OrderPlaced", storage.OccurrenceListParams{EventID: fx.placed.ID}, []int64{o5, o4, o2, o1}},
		{"pending", storage.OccurrenceListParams{Status: delivery.OccurrencePending}, []int64{o5, o3, o2}},
		{"completed", storage.OccurrenceListParams{Status: delivery.OccurrenceCompleted}, []int64{o4}},
		{"dead", storage.OccurrenceListParams{Status: delivery.OccurrenceDead}, []int64{o1}},
		{"trace of o1", storage.OccurrenceListParams{TraceID: h.o1.TraceID}, []int64{o3, o1}},
		{"trace of o2", storage.OccurrenceListParams{TraceID: h.o2.TraceID}, []int64{o2}},
		{"since", storage.OccurrenceListParams{Since: t0.Add(150 * time.Second)}, []int64{o5, o4}},
		{"until", storage.OccurrenceListParams{Until: t0.Add(90 * time.Second)}, []int64{o2, o1}},
		{"since and until", storage.OccurrenceListParams{Since: t0.Add(30 * time.Second), Until: t0.Add(210 * time.Second)}, []int64{o4, o3, o2}},
		{"until past 2262", storage.OccurrenceListParams{Until: farFuture}, []int64{o5, o4, o3, o2, o1}},
		{"since past 2262", storage.OccurrenceListParams{Since: farFuture}, nil},
		{"since before 1678", storage.OccurrenceListParams{Since: farPast}, []int64{o5, o4, o3, o2, o1}},
		{"until before 1678", storage.OccurrenceListParams{Until: farPast}, nil},
		{"before id", storage.OccurrenceListParams{BeforeID: o3}, []int64{o2, o1}},
		{"limit", storage.OccurrenceListParams{Limit: 2}, []int64{o5, o4}},
		{"producer, status, before id", storage.OccurrenceListParams{AppID: fx.shop.ID, Status: delivery.OccurrencePending, BeforeID: o5}, []int64{o2}},
		{"event and window", storage.OccurrenceListParams{EventID: fx.placed.ID, Since: t0.Add(30 * time.Second), Until: t0.Add(210 * time.Second)}, []int64{o4, o2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fx.list(t, c.p)
			if ids := occIDs(got); !sameIDs(ids, c.want) {
				t.Fatalf("OccurrenceList(%+v) = %v, want %v", c.p, ids, c.want)
			}
		})
	}
	got := fx.list(t, storage.OccurrenceListParams{TraceID: h.o1.TraceID})
	if len(got) != 2 {
		t.Fatalf("trace list = %v", occIDs(got))
	}
	if o := got[0]; o.App != "Stock" || o.Event != "Reserved" || o.EventID != fx.reserved.ID || o.AppID != fx.stock.ID ||
		o.TraceID != h.o1.TraceID || o.ParentDeliveryID != h.o1.Deliveries[0].DeliveryID || o.Status != delivery.OccurrencePending ||
		!o.CreatedAt.Equal(t0.Add(2*time.Minute)) || !sameJSON(o.Parameters, []byte(`{"Sku":"A-1"}`)) {
		t.Fatalf("listed occurrence = %+v", o)
	}
}

// sameIDs compares id lists, treating nil and empty alike.
func sameIDs(a, b []int64) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// occurrenceListPaging: pages of Limit (50 when zero) newest first; the
// last id of a page as BeforeID gives the next, and the pages together
// are every occurrence once.
func (s *suite) occurrenceListPaging(t *testing.T) {
	fx := s.fixture(t)
	const total = 120
	var want []int64
	for i := range total {
		r := fx.insert(t, fx.order(t0.Add(time.Duration(i)*time.Second), bigCap, fx.toStock(false)))
		want = append(want, r.OccurrenceID)
	}
	sort.Slice(want, func(i, j int) bool { return want[i] > want[j] })
	for _, limit := range []int{0, 7, 50} {
		size := limit
		if size == 0 {
			size = 50
		}
		var got []int64
		before := int64(0)
		for pages := 0; ; pages++ {
			page := fx.list(t, storage.OccurrenceListParams{BeforeID: before, Limit: limit})
			if len(page) == 0 {
				break
			}
			if pages > total {
				t.Fatal("paging does not end")
			}
			if len(page) > size || len(page) < size && len(got)+len(page) != total {
				t.Fatalf("limit %d: a page of %d before id %d; want %d (or the rest)", limit, len(page), before, size)
			}
			got = append(got, occIDs(page)...)
			before = page[len(page)-1].ID
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("limit %d: pages together = %v, want every occurrence newest first %v", limit, got, want)
		}
	}
}

// deliveryListFilters: every filter of DeliveryList, newest first.
func (s *suite) deliveryListFilters(t *testing.T) {
	fx := s.fixture(t)
	h := fx.history(t)
	o1s, o1m := h.o1.Deliveries[0].DeliveryID, h.o1.Deliveries[1].DeliveryID
	o2s, o3m, o5s := h.o2.Deliveries[0].DeliveryID, h.o3.Deliveries[0].DeliveryID, h.o5.Deliveries[0].DeliveryID
	desc := func(ids ...int64) []int64 {
		sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
		return ids
	}
	cases := []struct {
		name string
		p    storage.DeliveryListParams
		want []int64
	}{
		{"all", storage.DeliveryListParams{}, desc(o1s, o1m, o2s, o3m, o5s)},
		{"dead", storage.DeliveryListParams{Status: delivery.Dead}, []int64{o1m}},
		{"until past 2262", storage.DeliveryListParams{Until: farFuture}, desc(o1s, o1m, o2s, o3m, o5s)},
		{"since past 2262", storage.DeliveryListParams{Since: farFuture}, nil},
		{"succeeded", storage.DeliveryListParams{Status: delivery.Succeeded}, []int64{o1s}},
		{"pending", storage.DeliveryListParams{Status: delivery.Pending}, desc(o2s, o3m)},
		{"retrying", storage.DeliveryListParams{Status: delivery.Retrying}, []int64{o5s}},
		{"running", storage.DeliveryListParams{Status: delivery.Running}, nil},
		{"handled by Mail", storage.DeliveryListParams{AppID: fx.mail.ID}, desc(o1m, o3m)},
		{"handled by Shop", storage.DeliveryListParams{AppID: fx.shop.ID}, nil},
		{"of Reserved", storage.DeliveryListParams{EventID: fx.reserved.ID}, []int64{o3m}},
		{"of o1", storage.DeliveryListParams{OccurrenceID: h.o1.OccurrenceID}, desc(o1s, o1m)},
		{"Stock's pending", storage.DeliveryListParams{AppID: fx.stock.ID, Status: delivery.Pending}, []int64{o2s}},
		{"before id", storage.DeliveryListParams{BeforeID: desc(o1s, o1m, o2s, o3m, o5s)[1]}, desc(o1s, o1m, o2s, o3m, o5s)[2:]},
		{"limit", storage.DeliveryListParams{Limit: 2}, desc(o1s, o1m, o2s, o3m, o5s)[:2]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := fx.st.DeliveryList(ctx(t), &c.p)
			if err != nil {
				t.Fatalf("delivery list: %v", err)
			}
			if ids := delIDs(got); !sameIDs(ids, c.want) {
				t.Fatalf("DeliveryList(%+v) = %v, want %v", c.p, ids, c.want)
			}
		})
	}
	dead, _ := fx.st.DeliveryList(ctx(t), &storage.DeliveryListParams{Status: delivery.Dead})
	if d := dead[0]; d.App != "Mail" || d.AppID != fx.mail.ID || d.OccurrenceID != h.o1.OccurrenceID || d.SubscriptionID != fx.mailSub.ID ||
		d.EventID != fx.placed.ID || d.Attempts != 1 || d.LastError != "boom" {
		t.Fatalf("listed dead delivery = %+v", d)
	}
}

// traceGet: a trace is its occurrences oldest first, each with its
// deliveries and their attempts; an unknown trace is fault.ErrNotFound.
func (s *suite) traceGet(t *testing.T) {
	fx := s.fixture(t)
	h := fx.history(t)
	// A second child of o1's Stock delivery, created claimed and failed
	// once.
	second := fx.reservedBy(h.o1.Deliveries[0], bigCap, true)
	second.CreatedAt = t0.Add(5 * time.Minute)
	c2 := fx.insert(t, &second)
	fx.complete(t, c2.Deliveries[0], delivery.Retrying, t0.Add(time.Hour))
	trace, err := fx.st.TraceGet(ctx(t), h.o1.TraceID)
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	if ids := occIDs(trace); !reflect.DeepEqual(ids, []int64{h.o1.OccurrenceID, h.o3.OccurrenceID, c2.OccurrenceID}) {
		t.Fatalf("trace = %v; want the root then its two children, oldest first", ids)
	}
	root := trace[0]
	if root.TraceID != h.o1.TraceID || root.ParentDeliveryID != 0 || root.Status != delivery.OccurrenceDead || len(root.Deliveries) != 2 {
		t.Fatalf("trace root = %+v", root)
	}
	for _, d := range root.Deliveries {
		if len(d.AttemptList) != 1 || d.Attempts != 1 {
			t.Fatalf("root delivery %+v; want its one attempt", d)
		}
		if d.Status == delivery.Dead && (d.AttemptList[0].Error != "boom" || d.AttemptList[0].Outcome != delivery.OutcomeFailed) {
			t.Fatalf("dead delivery's attempt = %+v", d.AttemptList[0])
		}
	}
	for _, o := range trace[1:] {
		if o.TraceID != h.o1.TraceID || o.ParentDeliveryID != h.o1.Deliveries[0].DeliveryID || len(o.Deliveries) != 1 {
			t.Fatalf("trace child = %+v", o)
		}
	}
	if d := trace[2].Deliveries[0]; d.Status != delivery.Retrying || len(d.AttemptList) != 1 || !d.NextAttemptAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("second child's delivery = %+v", d)
	}
	if tr, err := fx.st.TraceGet(ctx(t), h.o2.TraceID); err != nil || len(tr) != 1 || tr[0].ID != h.o2.OccurrenceID || len(tr[0].Deliveries) != 1 {
		t.Fatalf("a trace of one = %+v %v", tr, err)
	}
	_, err = fx.st.TraceGet(ctx(t), 1<<40)
	wantKind(t, err, fault.ErrNotFound, "an unknown trace")
	_, err = fx.st.TraceGet(ctx(t), h.o3.OccurrenceID)
	wantKind(t, err, fault.ErrNotFound, "a child's id as a trace")
}

// deliveryCounts: deliveries by status, all of them or those updated at
// or after since.
func (s *suite) deliveryCounts(t *testing.T) {
	fx := s.fixture(t)
	if counts, err := fx.st.DeliveryCounts(ctx(t), time.Time{}); err != nil || nonZero(counts) != 0 {
		t.Fatalf("counts of an empty backend = %v %v", counts, err)
	}
	for _, st := range statuses {
		fx.deliveryIn(t, st)
	}
	fx.deliveryIn(t, delivery.Dead)
	counts, err := fx.st.DeliveryCounts(ctx(t), time.Time{})
	want := map[delivery.Status]int{delivery.Pending: 1, delivery.Running: 1, delivery.Retrying: 1, delivery.Succeeded: 1, delivery.Dead: 2, delivery.Discarded: 1}
	if err != nil || !sameCounts(counts, want) {
		t.Fatalf("counts = %v %v, want %v", counts, err, want)
	}
	// Every write happened at t0 or later: since t0 counts them all.
	if counts, err := fx.st.DeliveryCounts(ctx(t), t0); err != nil || !sameCounts(counts, want) {
		t.Fatalf("counts since t0 = %v %v, want %v", counts, err, want)
	}
	// Only the completions (their attempts ran at t0+1m) are newer than
	// t0+30s; the inserts, the claim and the discard were at t0.
	newer := map[delivery.Status]int{delivery.Retrying: 1, delivery.Succeeded: 1, delivery.Dead: 2}
	if counts, err := fx.st.DeliveryCounts(ctx(t), t0.Add(30*time.Second)); err != nil || !sameCounts(counts, newer) {
		t.Fatalf("counts since t0+30s = %v %v, want %v", counts, err, newer)
	}
	if counts, err := fx.st.DeliveryCounts(ctx(t), t0.Add(time.Hour)); err != nil || nonZero(counts) != 0 {
		t.Fatalf("counts since after every write = %v %v, want none", counts, err)
	}
}

func nonZero(m map[delivery.Status]int) int {
	n := 0
	for _, v := range m {
		if v != 0 {
			n++
		}
	}
	return n
}

// sameCounts compares counts, an absent status counting as zero.
func sameCounts(got, want map[delivery.Status]int) bool {
	for k, v := range got {
		if want[k] != v {
			return false
		}
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// deliveryNextDue: the earliest NextAttemptAt among a subscription's
// Pending and Retrying deliveries; false when it has none.
func (s *suite) deliveryNextDue(t *testing.T) {
	fx := s.fixture(t)
	want := func(sub int64, at time.Time, ok bool, what string) {
		t.Helper()
		next, got, err := fx.st.DeliveryNextDue(ctx(t), sub)
		if err != nil || got != ok || ok && !next.Equal(at) {
			t.Fatalf("%s: next due = %s %v %v; want %s %v", what, next, got, err, at, ok)
		}
	}
	want(fx.stockSub.ID, time.Time{}, false, "no deliveries")
	fx.orderStock(t, t0.Add(5*time.Minute), false)
	fx.orderStock(t, t0.Add(3*time.Minute), false)
	want(fx.stockSub.ID, t0.Add(3*time.Minute), true, "two pending")
	want(fx.mailSub.ID, time.Time{}, false, "another subscription")
	c := fx.claimOne(t, fx.stockSub, t0.Add(3*time.Minute))
	want(fx.stockSub.ID, t0.Add(5*time.Minute), true, "one claimed")
	fx.complete(t, c, delivery.Retrying, t0.Add(4*time.Minute))
	want(fx.stockSub.ID, t0.Add(4*time.Minute), true, "a retry before the pending one")
	for _, c := range fx.claim(t, fx.stockSub, 10, t0.Add(10*time.Minute)) {
		fx.complete(t, c, delivery.Succeeded, time.Time{})
	}
	want(fx.stockSub.ID, time.Time{}, false, "everything finished")
	fx.orderStock(t, t0.Add(20*time.Minute), true)
	want(fx.stockSub.ID, time.Time{}, false, "only a running delivery")
}

// unknownIDs: reads and operations on ids that never existed are
// fault.ErrNotFound.
func (s *suite) unknownIDs(t *testing.T) {
	fx := s.fixture(t)
	fx.orderBoth(t, false)
	const id = 1 << 40
	_, err := fx.st.OccurrenceGet(ctx(t), id)
	wantKind(t, err, fault.ErrNotFound, "OccurrenceGet")
	_, err = fx.st.DeliveryGet(ctx(t), id)
	wantKind(t, err, fault.ErrNotFound, "DeliveryGet")
	_, err = fx.st.TraceGet(ctx(t), id)
	wantKind(t, err, fault.ErrNotFound, "TraceGet")
	wantKind(t, fx.st.KeyDelete(ctx(t), fx.shop.ID, id), fault.ErrNotFound, "KeyDelete")
}

// farFuture and farPast lie outside the range of int64 nanoseconds
// (1678-2262), where a naive conversion wraps round; a filter there
// must still mean "everything before" or "everything after".
var (
	farFuture = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	farPast   = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
)
