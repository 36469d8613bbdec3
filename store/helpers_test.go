package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	shift := testBucketShift
	if _, ok := t.(*testing.B); ok {
		shift = 0 // benchmarks measure the production layout
	}
	s, err := Open(context.Background(), Config{Dir: dir, bucketShift: shift})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testBucketShift puts every two occurrences in a bucket of their own in
// the payload search index, so searches in tests seek across many
// buckets, as they do past 4,096 occurrences. Benchmarks keep the
// default.
const testBucketShift = 1

// fixture is a design of two apps: Shop owns OnOrder (public) and
// Billing, Shop and Mail subscribe to it.
type fixture struct {
	s      *Store
	d      design.Design
	event  int64
	shop   int64
	subs   []int64 // subscriptions to OnOrder, by app name order
	subApp []int64
}

func newFixture(t testing.TB, dir string) *fixture {
	t.Helper()
	s := openStore(t, dir)
	ctx := context.Background()
	d, err := s.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: []storage.DesignOp{
		{Kind: storage.AppPut, App: &design.App{Name: "Shop"}},
		{Kind: storage.AppPut, App: &design.App{Name: "Billing"}},
		{Kind: storage.AppPut, App: &design.App{Name: "Mail"}},
		{Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OnOrder", Public: true,
			Parameters: []design.Parameter{{Name: "OrderId", Type: design.Identifier, Mandatory: true}}}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Billing", Event: design.EventRef{App: "Shop", Event: "OnOrder"}, Handler: design.Handler{Kind: design.KindGo, Name: "bill"}, Enabled: true}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "OnOrder"}, Handler: design.Handler{Kind: design.KindGo, Name: "mail"}, Enabled: true}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Shop", Event: design.EventRef{App: "Shop", Event: "OnOrder"}, Handler: design.Handler{Kind: design.KindGo, Name: "shop"}, Enabled: true}},
	}})
	if err != nil {
		t.Fatalf("design apply: %v", err)
	}
	return fixtureFrom(t, s, d)
}

func fixtureFrom(t testing.TB, s *Store, d design.Design) *fixture {
	t.Helper()
	f := &fixture{s: s, d: d}
	x := design.NewIndex(d)
	ev, ok := x.Event(design.EventRef{App: "Shop", Event: "OnOrder"})
	if !ok {
		t.Fatalf("no Shop.OnOrder in %+v", d)
	}
	f.event, f.shop = ev.ID, ev.AppID
	for _, sub := range x.SubscriptionsOf(ev.ID) {
		f.subs = append(f.subs, sub.ID)
		f.subApp = append(f.subApp, sub.AppID)
	}
	return f
}

// params is an insert of one OnOrder occurrence with a delivery per
// subscription (claimed when claim is true).
func (f *fixture) params(cap int, claim bool) *storage.OccurrenceInsertParams {
	p := &storage.OccurrenceInsertParams{
		EventID: f.event, AppID: f.shop, Parameters: json.RawMessage(`{"OrderId":"42"}`),
		CreatedAt: t0, QueueCap: cap, LeaseUntil: t0.Add(time.Minute),
	}
	for i, id := range f.subs {
		p.Deliveries = append(p.Deliveries, storage.NewDelivery{SubscriptionID: id, AppID: f.subApp[i], Claim: claim})
	}
	return p
}

func (f *fixture) insert(t testing.TB, cap int, claim bool) *storage.OccurrenceInsertResult {
	t.Helper()
	r, err := f.s.OccurrenceInsert(context.Background(), f.params(cap, claim))
	if err != nil {
		t.Fatalf("occurrence insert: %v", err)
	}
	return r
}

// finish is the completion of claim c with status (Succeeded, Retrying
// two minutes after t0, or Dead).
func finish(c storage.Claim, status delivery.Status) *storage.DeliveryCompleteParams {
	p := &storage.DeliveryCompleteParams{
		DeliveryID: c.DeliveryID, Token: c.Token, Completion: storage.Succeeded(),
		Attempt: delivery.Attempt{Number: c.Attempts + 1, StartedAt: t0, FinishedAt: t0.Add(time.Second), Outcome: delivery.OutcomeSucceeded},
	}
	if status != delivery.Succeeded {
		p.Attempt.Outcome, p.Attempt.Error = delivery.OutcomeFailed, "boom"
		p.Completion = storage.Dead()
		if status == delivery.Retrying {
			p.Completion = storage.Retrying(t0.Add(2 * time.Minute))
		}
	}
	return p
}

func (f *fixture) complete(t testing.TB, c storage.Claim, status delivery.Status) *storage.DeliveryCompleteResult {
	t.Helper()
	r, err := f.s.DeliveryComplete(context.Background(), finish(c, status))
	if err != nil {
		t.Fatalf("complete %d as %s: %v", c.DeliveryID, status, err)
	}
	return r
}

// count runs a count query on the reader pool.
func count(t testing.TB, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func depth(t testing.TB, s *Store, event int64) int {
	t.Helper()
	m, err := s.QueueDepths(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m[event]
}

func (f *fixture) delivery(t testing.TB, id int64) delivery.Delivery {
	t.Helper()
	d, err := f.s.DeliveryGet(context.Background(), id)
	if err != nil {
		t.Fatalf("delivery get %d: %v", id, err)
	}
	return d
}

func (f *fixture) occurrence(t testing.TB, id int64) delivery.Occurrence {
	t.Helper()
	o, err := f.s.OccurrenceGet(context.Background(), id)
	if err != nil {
		t.Fatalf("occurrence get %d: %v", id, err)
	}
	return o
}

// wantKind fails unless err is a *fault.Error of kind.
func wantKind(t testing.TB, err error, kind error) *fault.Error {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, kind) {
		t.Fatalf("err = %v, want a *fault.Error of kind %v", err, kind)
	}
	return fe
}

// expired reclaims leases ended before now, with no attempt limit.
func expired(now time.Time) *storage.DeliveryReleaseExpiredParams {
	return &storage.DeliveryReleaseExpiredParams{Now: now, Error: "lost"}
}
