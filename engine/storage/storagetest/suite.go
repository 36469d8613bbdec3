// Package storagetest is the conformance suite of the storage seam: every
// backend (SQLite now, NATS JetStream later) runs Run and must pass it. A
// semantic change to the seam lands here first.
//
// storagetest imports only engine packages and the standard library; it
// must never import store, web or a driver.
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// Features says what a backend guarantees beyond the common contract.
type Features struct {
	// Durable: a backend closed and reopened on the same dir keeps
	// everything committed (and its queue counters), so crash and restart
	// tests run.
	Durable bool
}

// Opener opens (or reopens) a backend whose data lives in dir.
type Opener func(t *testing.T, dir string) storage.Storage

// Run runs every conformance test as subtests of t.
func Run(t *testing.T, open Opener, f Features) {
	s := &suite{open: open, f: f}
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"DesignApplyAndLoad", s.designApplyAndLoad},
		{"DesignApplyIsAtomic", s.designApplyIsAtomic},
		{"KeysAndSettings", s.keysAndSettings},
		{"OccurrenceInsert", s.occurrenceInsert},
		{"QueueCapAtTheBoundary", s.queueCap},
		{"ClaimOnlyDueAndExclusive", s.claim},
		{"CompleteRecordsAttemptsOnce", s.complete},
		{"CompleteWithTriggersIsAtomic", s.completeWithTriggers},
		{"ReleaseAndExpiry", s.release},
		{"RetryNowReplayDiscard", s.operations},
		{"Queries", s.queries},
		{"CrashBetweenClaimAndCompletion", s.crash},
	} {
		t.Run(c.name, c.run)
	}
}

type suite struct {
	open Opener
	f    Features
}

// t0 is the suite's time; backends never read a clock, times come in.
var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

var ctx = context.Background()

// fixture is a backend with Shop (public OrderPlaced, own Stock app
// handling it, Mail handling it) and Stock's own Reserved event.
type fixture struct {
	st       storage.Storage
	dir      string
	placed   design.Event
	reserved design.Event
	stockSub design.Subscription
	mailSub  design.Subscription
	shop     design.App
	stock    design.App
}

func (s *suite) fixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st := s.open(t, dir)
	t.Cleanup(func() { _ = st.Close() })
	params := []design.Parameter{{Name: "Sku", Type: design.Text, Mandatory: true}, {Name: "Qty", Type: design.Integer}}
	d, err := st.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: []storage.DesignOp{
		{Kind: storage.AppPut, App: &design.App{Name: "Shop"}},
		{Kind: storage.AppPut, App: &design.App{Name: "Stock", Concurrency: 5}},
		{Kind: storage.AppPut, App: &design.App{Name: "Mail"}},
		{Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OrderPlaced", Public: true, Parameters: params}},
		{Kind: storage.EventPut, Event: &design.Event{App: "Stock", Name: "Reserved", Parameters: params[:1]}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Stock", Event: design.EventRef{App: "Shop", Event: "OrderPlaced"}, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "reserve"}}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "OrderPlaced"}, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "mail"}}},
	}})
	if err != nil {
		t.Fatalf("apply fixture design: %v", err)
	}
	x := design.NewIndex(d)
	fx := &fixture{st: st, dir: dir}
	placed, ok1 := x.Event(design.EventRef{App: "Shop", Event: "OrderPlaced"})
	reserved, ok2 := x.Event(design.EventRef{App: "Stock", Event: "Reserved"})
	stockSub, ok3 := x.SubscriptionFor("Stock", placed.Ref())
	mailSub, ok4 := x.SubscriptionFor("Mail", placed.Ref())
	shop, _ := x.App("Shop")
	stock, _ := x.App("Stock")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatalf("fixture design incomplete after apply: %+v", d)
	}
	fx.placed, fx.reserved, fx.stockSub, fx.mailSub, fx.shop, fx.stock = *placed, *reserved, *stockSub, *mailSub, *shop, *stock
	return fx
}

// insert stores one OrderPlaced with deliveries to Stock and Mail.
func (fx *fixture) insert(t *testing.T, cap int, claim bool) (*storage.OccurrenceInsertResult, error) {
	t.Helper()
	return fx.st.OccurrenceInsert(ctx, &storage.OccurrenceInsertParams{
		EventID: fx.placed.ID, AppID: fx.placed.AppID, Parameters: json.RawMessage(`{"Sku":"A-1","Qty":2}`),
		CreatedAt: t0, QueueCap: cap, LeaseUntil: t0.Add(time.Minute),
		Deliveries: []storage.NewDelivery{
			{SubscriptionID: fx.stockSub.ID, AppID: fx.stockSub.AppID, Claim: claim},
			{SubscriptionID: fx.mailSub.ID, AppID: fx.mailSub.AppID, Claim: claim},
		},
	})
}

func (fx *fixture) mustInsert(t *testing.T, claim bool) *storage.OccurrenceInsertResult {
	t.Helper()
	r, err := fx.insert(t, 10000, claim)
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	return r
}

func (fx *fixture) claim(t *testing.T, sub design.Subscription, limit int, now time.Time) []storage.Claim {
	t.Helper()
	c, err := fx.st.DeliveryClaim(ctx, &storage.DeliveryClaimParams{SubscriptionID: sub.ID, Limit: limit, Now: now, LeaseUntil: now.Add(time.Minute)})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return c
}

func (fx *fixture) finish(t *testing.T, c storage.Claim, status delivery.Status, next time.Time) (*storage.DeliveryCompleteResult, error) {
	t.Helper()
	outcome, msg := delivery.OutcomeSucceeded, ""
	if status != delivery.Succeeded {
		outcome, msg = delivery.OutcomeFailed, "boom"
	}
	return fx.st.DeliveryComplete(ctx, &storage.DeliveryCompleteParams{
		DeliveryID: c.DeliveryID, Token: c.Token, Status: status, NextAttemptAt: next,
		Attempt: delivery.Attempt{Number: c.Attempts + 1, StartedAt: t0, FinishedAt: t0.Add(time.Second), Outcome: outcome, Error: msg},
	})
}

func wantKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want %v", what, err, kind)
	}
}

func (s *suite) designApplyAndLoad(t *testing.T) {
	fx := s.fixture(t)
	d, err := fx.st.DesignLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Apps) != 3 || len(d.Events) != 2 || len(d.Subscriptions) != 2 {
		t.Fatalf("loaded %d apps, %d events, %d subscriptions; want 3, 2, 2", len(d.Apps), len(d.Events), len(d.Subscriptions))
	}
	x := design.NewIndex(d)
	ev, _ := x.Event(fx.placed.Ref())
	if ev.ID == 0 || ev.AppID == 0 || ev.App != "Shop" || len(ev.Parameters) != 2 || ev.Parameters[0].Name != "Sku" || ev.Parameters[1].Name != "Qty" {
		t.Fatalf("event loaded as %+v; want ids, owner name and parameters in order", ev)
	}
	sub, _ := x.SubscriptionFor("Mail", fx.placed.Ref())
	if sub.AppID == 0 || sub.EventID != ev.ID || sub.Handler.Name != "mail" || !sub.Enabled {
		t.Fatalf("subscription loaded as %+v", sub)
	}
	// Update by id, then delete a subscription: its unfinished deliveries
	// are discarded with it.
	r := fx.mustInsert(t, false)
	upd := fx.stock
	upd.Concurrency = 9
	upd.Description = "reserves stock"
	d, err = fx.st.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: []storage.DesignOp{
		{Kind: storage.AppPut, App: &upd},
		{Kind: storage.SubscriptionDelete, ID: fx.mailSub.ID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	x = design.NewIndex(d)
	if a, _ := x.App("Stock"); a.Concurrency != 9 || a.Description != "reserves stock" || a.ID != fx.stock.ID {
		t.Fatalf("updated app = %+v", a)
	}
	if _, ok := x.SubscriptionFor("Mail", fx.placed.Ref()); ok || len(d.Subscriptions) != 1 {
		t.Fatal("deleted subscription still loaded")
	}
	if dl, _ := fx.st.DeliveryGet(ctx, r.Deliveries[1].DeliveryID); dl.Status != delivery.Discarded {
		t.Fatalf("a deleted subscription's pending delivery is %s, want discarded", dl.Status)
	}
	if got := fx.claim(t, fx.mailSub, 10, t0.Add(time.Hour)); len(got) != 0 {
		t.Fatal("a deleted subscription's delivery was claimable")
	}
}

func (s *suite) designApplyIsAtomic(t *testing.T) {
	fx := s.fixture(t)
	cases := []struct {
		name string
		ops  []storage.DesignOp
		kind error
	}{
		{"duplicate app", []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: "Billing"}}, {Kind: storage.AppPut, App: &design.App{Name: "Shop"}}}, fault.ErrConflict},
		{"duplicate event in an app", []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: "Billing"}}, {Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OrderPlaced"}}}, fault.ErrConflict},
		{"second subscription for (event, app)", []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: "Billing"}}, {Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: fx.placed.Ref(), Handler: design.Handler{Kind: design.KindGo, Name: "x"}}}}, fault.ErrConflict},
		{"unknown app", []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: "Billing"}}, {Kind: storage.EventPut, Event: &design.Event{App: "Nope", Name: "X"}}}, fault.ErrNotFound},
		{"unknown event", []storage.DesignOp{{Kind: storage.AppPut, App: &design.App{Name: "Billing"}}, {Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "Nope"}, Handler: design.Handler{Kind: design.KindGo, Name: "x"}}}}, fault.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := fx.st.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: c.ops})
			wantKind(t, err, c.kind, c.name)
			d, _ := fx.st.DesignLoad(ctx)
			if _, ok := design.NewIndex(d).App("Billing"); ok {
				t.Fatal("a refused apply left its first op behind")
			}
		})
	}
}

func (s *suite) keysAndSettings(t *testing.T) {
	fx := s.fixture(t)
	k, err := fx.st.KeyInsert(ctx, &storage.KeyInsertParams{AppID: fx.shop.ID, Prefix: "elk_abc", Hash: []byte("hash-1"), CreatedAt: t0})
	if err != nil || k.ID == 0 {
		t.Fatalf("insert key: %v %+v", err, k)
	}
	got, err := fx.st.KeyLookup(ctx, []byte("hash-1"))
	if err != nil || got.AppID != fx.shop.ID || got.ID != k.ID {
		t.Fatalf("lookup = %+v %v", got, err)
	}
	_, err = fx.st.KeyLookup(ctx, []byte("other"))
	wantKind(t, err, fault.ErrNotFound, "lookup of an unknown hash")
	keys, err := fx.st.KeyList(ctx, fx.shop.ID)
	if err != nil || len(keys) != 1 || len(keys[0].Hash) != 0 || keys[0].Prefix != "elk_abc" {
		t.Fatalf("list = %+v %v; want one key without its hash", keys, err)
	}
	wantKind(t, fx.st.KeyDelete(ctx, fx.stock.ID, k.ID), fault.ErrNotFound, "deleting another app's key")
	if err := fx.st.KeyDelete(ctx, fx.shop.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = fx.st.KeyLookup(ctx, []byte("hash-1"))
	wantKind(t, err, fault.ErrNotFound, "lookup of a revoked key")

	_, err = fx.st.SettingGet(ctx, "admin")
	wantKind(t, err, fault.ErrNotFound, "unset setting")
	for _, v := range []string{"one", "two"} {
		if err := fx.st.SettingPut(ctx, "admin", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := fx.st.SettingGet(ctx, "admin"); err != nil || v != "two" {
		t.Fatalf("setting = %q %v, want the last value", v, err)
	}
}

func (s *suite) occurrenceInsert(t *testing.T) {
	fx := s.fixture(t)
	root := fx.mustInsert(t, false)
	if root.OccurrenceID == 0 || root.TraceID != root.OccurrenceID || len(root.Deliveries) != 2 {
		t.Fatalf("root = %+v; want its own id as trace and 2 deliveries", root)
	}
	o, err := fx.st.OccurrenceGet(ctx, root.OccurrenceID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != delivery.OccurrencePending || o.App != "Shop" || o.Event != "OrderPlaced" || string(o.Parameters) != `{"Sku":"A-1","Qty":2}` || !o.CreatedAt.Equal(t0) {
		t.Fatalf("occurrence = %+v", o)
	}
	for _, d := range o.Deliveries {
		if d.Status != delivery.Pending || !d.NextAttemptAt.Equal(t0) || d.Attempts != 0 {
			t.Fatalf("delivery = %+v; want pending, due at creation", d)
		}
	}
	claimed := fx.mustInsert(t, true)
	c := claimed.Deliveries[0]
	if c.Token == 0 || !c.LeaseUntil.Equal(t0.Add(time.Minute)) || c.TraceID != claimed.TraceID || string(c.Parameters) != `{"Sku":"A-1","Qty":2}` || c.SubscriptionID != fx.stockSub.ID {
		t.Fatalf("claim at insert = %+v", c)
	}
	d, _ := fx.st.DeliveryGet(ctx, c.DeliveryID)
	if d.Status != delivery.Running {
		t.Fatalf("claimed at insert is %s, want running", d.Status)
	}
	child, err := fx.st.OccurrenceInsert(ctx, &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID,
		Parameters: json.RawMessage(`{"Sku":"A-1"}`), TraceID: root.TraceID, ParentDeliveryID: root.Deliveries[0].DeliveryID, CreatedAt: t0, QueueCap: 10})
	if err != nil {
		t.Fatal(err)
	}
	co, _ := fx.st.OccurrenceGet(ctx, child.OccurrenceID)
	if co.TraceID != root.TraceID || co.ParentDeliveryID != root.Deliveries[0].DeliveryID || co.Status != delivery.OccurrenceCompleted {
		t.Fatalf("child = %+v; want the root's trace, its parent, and completed (no subscribers)", co)
	}
}

func (s *suite) queueCap(t *testing.T) {
	fx := s.fixture(t)
	const cap = 3
	var first *storage.OccurrenceInsertResult
	for i := 0; i < cap; i++ {
		r, err := fx.insert(t, cap, false)
		if err != nil {
			t.Fatalf("insert %d of cap %d: %v", i+1, cap, err)
		}
		if first == nil {
			first = r
		}
	}
	_, err := fx.insert(t, cap, false)
	wantKind(t, err, fault.ErrQueueFull, "insert past the cap")
	list, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{Limit: 100})
	depths, _ := fx.st.QueueDepths(ctx)
	if len(list) != cap || depths[fx.placed.ID] != cap {
		t.Fatalf("after a refusal: %d stored, depth %d; want %d and %d", len(list), depths[fx.placed.ID], cap, cap)
	}
	// Another event type has its own queue.
	if _, err := fx.st.OccurrenceInsert(ctx, &storage.OccurrenceInsertParams{EventID: fx.reserved.ID, AppID: fx.reserved.AppID, Parameters: json.RawMessage(`{}`), CreatedAt: t0, QueueCap: cap}); err != nil {
		t.Fatalf("another event's queue: %v", err)
	}
	if s.f.Durable {
		_ = fx.st.Close()
		fx.st = s.open(t, fx.dir)
		t.Cleanup(func() { _ = fx.st.Close() })
		_, err := fx.insert(t, cap, false)
		wantKind(t, err, fault.ErrQueueFull, "insert past the cap after reopening")
	}
	// Finishing one occurrence's deliveries makes room for exactly one.
	for _, sub := range []design.Subscription{fx.stockSub, fx.mailSub} {
		for _, c := range fx.claim(t, sub, 1, t0) {
			if _, err := fx.finish(t, c, delivery.Succeeded, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := fx.insert(t, cap, false); err != nil {
		t.Fatalf("insert after one occurrence completed: %v", err)
	}
	_, err = fx.insert(t, cap, false)
	wantKind(t, err, fault.ErrQueueFull, "insert past the cap again")
}

func (s *suite) claim(t *testing.T) {
	fx := s.fixture(t)
	const total = 300
	for i := 0; i < total; i++ {
		fx.mustInsert(t, false)
	}
	if got := fx.claim(t, fx.stockSub, 7, t0); len(got) != 7 {
		t.Fatalf("claimed %d with limit 7", len(got))
	}
	if got := fx.claim(t, fx.stockSub, 5, t0.Add(-time.Second)); len(got) != 0 {
		t.Fatalf("claimed %d deliveries not yet due", len(got))
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := fx.st.DeliveryClaim(ctx, &storage.DeliveryClaimParams{SubscriptionID: fx.stockSub.ID, Limit: 4, Now: t0, LeaseUntil: t0.Add(time.Minute)})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					seen[c.DeliveryID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != total-7 {
		t.Fatalf("concurrent claimers took %d deliveries, want %d", len(seen), total-7)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d claimed %d times", id, n)
		}
	}
	// Mail's deliveries were untouched by Stock's claims.
	if got := fx.claim(t, fx.mailSub, total+1, t0); len(got) != total {
		t.Fatalf("Mail claimed %d, want %d", len(got), total)
	}
}

func (s *suite) complete(t *testing.T) {
	fx := s.fixture(t)
	r := fx.mustInsert(t, true)
	stock, mail := r.Deliveries[0], r.Deliveries[1]

	wrong := stock
	wrong.Token += 1000
	_, err := fx.finish(t, wrong, delivery.Succeeded, time.Time{})
	wantKind(t, err, fault.ErrLeaseLost, "completion with another token")

	next := t0.Add(2 * time.Minute)
	if _, err := fx.finish(t, stock, delivery.Retrying, next); err != nil {
		t.Fatal(err)
	}
	d, _ := fx.st.DeliveryGet(ctx, stock.DeliveryID)
	if d.Status != delivery.Retrying || d.Attempts != 1 || !d.NextAttemptAt.Equal(next) || d.LastError != "boom" || len(d.AttemptList) != 1 ||
		d.AttemptList[0].Outcome != delivery.OutcomeFailed || d.AttemptList[0].Number != 1 || d.AttemptList[0].Duration() != time.Second {
		t.Fatalf("after a failure: %+v", d)
	}
	_, err = fx.finish(t, stock, delivery.Succeeded, time.Time{})
	wantKind(t, err, fault.ErrLeaseLost, "completing a delivery no longer running")
	if got := fx.claim(t, fx.stockSub, 10, next.Add(-time.Second)); len(got) != 0 {
		t.Fatal("a retry was claimable before its time")
	}
	again := fx.claim(t, fx.stockSub, 10, next)
	if len(again) != 1 || again[0].Attempts != 1 || again[0].Token == stock.Token {
		t.Fatalf("retry claim = %+v; want one with 1 attempt and a new token", again)
	}
	res, err := fx.finish(t, again[0], delivery.Succeeded, time.Time{})
	if err != nil || res.OccurrenceStatus != delivery.OccurrencePending {
		t.Fatalf("success = %+v %v; want the occurrence still pending (Mail is running)", res, err)
	}
	_, err = fx.finish(t, again[0], delivery.Succeeded, time.Time{})
	wantKind(t, err, fault.ErrLeaseLost, "completing twice")
	res, err = fx.finish(t, mail, delivery.Dead, time.Time{})
	if err != nil || res.OccurrenceStatus != delivery.OccurrenceDead {
		t.Fatalf("dead = %+v %v; want the occurrence dead", res, err)
	}
	o, _ := fx.st.OccurrenceGet(ctx, r.OccurrenceID)
	if o.Status != delivery.OccurrenceDead {
		t.Fatalf("occurrence %s, want dead", o.Status)
	}
	d, _ = fx.st.DeliveryGet(ctx, stock.DeliveryID)
	if d.Status != delivery.Succeeded || d.Attempts != 2 || len(d.AttemptList) != 2 {
		t.Fatalf("succeeded delivery = %+v", d)
	}
	if got := fx.claim(t, fx.stockSub, 10, t0.Add(time.Hour)); len(got) != 0 {
		t.Fatal("a succeeded delivery was claimable again")
	}
}

func (s *suite) completeWithTriggers(t *testing.T) {
	fx := s.fixture(t)
	r := fx.mustInsert(t, true)
	c := r.Deliveries[0]
	trig := func(cap int) []storage.OccurrenceInsertParams {
		return []storage.OccurrenceInsertParams{{EventID: fx.reserved.ID, AppID: fx.reserved.AppID, Parameters: json.RawMessage(`{"Sku":"A-1"}`),
			TraceID: c.TraceID, ParentDeliveryID: c.DeliveryID, CreatedAt: t0.Add(time.Second), QueueCap: cap}}
	}
	// Stock handles its own Reserved, so an occurrence of Reserved stays
	// pending; one such occurrence fills a queue capped at 1.
	d, err := fx.st.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: []storage.DesignOp{
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Stock", Event: fx.reserved.Ref(), Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "x"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	own, _ := design.NewIndex(d).SubscriptionFor("Stock", fx.reserved.Ref())
	withDelivery := func(cap int) []storage.OccurrenceInsertParams {
		p := trig(cap)
		p[0].Deliveries = []storage.NewDelivery{{SubscriptionID: own.ID, AppID: own.AppID}}
		return p
	}
	filler := withDelivery(1)[0]
	filler.TraceID, filler.ParentDeliveryID = 0, 0
	if _, err := fx.st.OccurrenceInsert(ctx, &filler); err != nil {
		t.Fatal(err)
	}
	_, err = fx.st.DeliveryComplete(ctx, &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Status: delivery.Succeeded,
		Attempt: delivery.Attempt{Number: 1, StartedAt: t0, FinishedAt: t0, Outcome: delivery.OutcomeSucceeded}, Triggered: withDelivery(1)})
	wantKind(t, err, fault.ErrQueueFull, "completion whose trigger's queue is full")
	if dl, _ := fx.st.DeliveryGet(ctx, c.DeliveryID); dl.Status != delivery.Running || dl.Attempts != 0 {
		t.Fatalf("after a refused completion the delivery is %s with %d attempts; want running, 0", dl.Status, dl.Attempts)
	}
	res, err := fx.st.DeliveryComplete(ctx, &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Status: delivery.Succeeded,
		Attempt: delivery.Attempt{Number: 1, StartedAt: t0, FinishedAt: t0, Outcome: delivery.OutcomeSucceeded}, Triggered: withDelivery(10)})
	if err != nil || len(res.Triggered) != 1 || res.Triggered[0].TraceID != c.TraceID {
		t.Fatalf("completion with a trigger = %+v %v", res, err)
	}
	trace, err := fx.st.TraceGet(ctx, c.TraceID)
	if err != nil || len(trace) != 2 || trace[1].ParentDeliveryID != c.DeliveryID || trace[1].Event != "Reserved" {
		t.Fatalf("trace = %+v %v; want the root and its one child", trace, err)
	}
	// A second completion (a replayed claim) cannot trigger again.
	_, err = fx.st.DeliveryComplete(ctx, &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Status: delivery.Succeeded,
		Attempt: delivery.Attempt{Number: 2, StartedAt: t0, FinishedAt: t0, Outcome: delivery.OutcomeSucceeded}, Triggered: withDelivery(10)})
	wantKind(t, err, fault.ErrLeaseLost, "a second completion")
	if trace, _ := fx.st.TraceGet(ctx, c.TraceID); len(trace) != 2 {
		t.Fatalf("trace has %d occurrences after a duplicate completion, want 2", len(trace))
	}
}

func (s *suite) release(t *testing.T) {
	fx := s.fixture(t)
	r := fx.mustInsert(t, true)
	c := r.Deliveries[0]
	if err := fx.st.DeliveryRelease(ctx, &storage.DeliveryReleaseParams{Claims: []storage.Claim{c}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	d, _ := fx.st.DeliveryGet(ctx, c.DeliveryID)
	if d.Status != delivery.Pending || d.Attempts != 0 {
		t.Fatalf("released = %s with %d attempts; want pending, 0", d.Status, d.Attempts)
	}
	again := fx.claim(t, fx.stockSub, 1, t0)
	if len(again) != 1 {
		t.Fatal("a released delivery was not claimable")
	}
	// Releasing with the old token leaves the new claim alone.
	if err := fx.st.DeliveryRelease(ctx, &storage.DeliveryReleaseParams{Claims: []storage.Claim{c}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if d, _ := fx.st.DeliveryGet(ctx, c.DeliveryID); d.Status != delivery.Running {
		t.Fatalf("an old token released a new claim: %s", d.Status)
	}
	// Expiry: nothing before the lease ends, everything after.
	if n, err := fx.st.DeliveryReleaseExpired(ctx, again[0].LeaseUntil.Add(-time.Second)); err != nil || n != 0 {
		t.Fatalf("released %d (%v) before the lease ended", n, err)
	}
	n, err := fx.st.DeliveryReleaseExpired(ctx, again[0].LeaseUntil.Add(time.Second))
	if err != nil || n != 2 {
		t.Fatalf("released %d (%v) after the leases ended, want 2 (Stock's and Mail's)", n, err)
	}
	_, err = fx.finish(t, again[0], delivery.Succeeded, time.Time{})
	wantKind(t, err, fault.ErrLeaseLost, "completing an expired claim")
}

func (s *suite) operations(t *testing.T) {
	fx := s.fixture(t)
	r := fx.mustInsert(t, true)
	stock, mail := r.Deliveries[0], r.Deliveries[1]
	later := t0.Add(time.Hour)
	if _, err := fx.finish(t, stock, delivery.Retrying, later); err != nil {
		t.Fatal(err)
	}
	d, err := fx.st.DeliveryRetryNow(ctx, stock.DeliveryID, t0.Add(time.Minute))
	if err != nil || !d.NextAttemptAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("retry now = %+v %v", d, err)
	}
	_, err = fx.st.DeliveryReplay(ctx, stock.DeliveryID, t0)
	wantKind(t, err, fault.ErrConflict, "replaying a delivery that is not dead")
	if _, err := fx.finish(t, mail, delivery.Dead, time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = fx.st.DeliveryRetryNow(ctx, mail.DeliveryID, t0)
	wantKind(t, err, fault.ErrConflict, "retry-now of a dead delivery")
	d, err = fx.st.DeliveryReplay(ctx, mail.DeliveryID, t0.Add(time.Minute))
	if err != nil || d.Status != delivery.Pending || d.Attempts != 1 {
		t.Fatalf("replay = %+v %v; want pending with its attempt kept", d, err)
	}
	if o, _ := fx.st.OccurrenceGet(ctx, r.OccurrenceID); o.Status != delivery.OccurrencePending {
		t.Fatalf("occurrence after replay is %s, want pending", o.Status)
	}
	d, err = fx.st.DeliveryDiscard(ctx, mail.DeliveryID, t0)
	if err != nil || d.Status != delivery.Discarded {
		t.Fatalf("discard = %+v %v", d, err)
	}
	_, err = fx.st.DeliveryDiscard(ctx, mail.DeliveryID, t0)
	wantKind(t, err, fault.ErrConflict, "discarding twice")
	ok := fx.claim(t, fx.stockSub, 1, t0.Add(time.Minute))
	if _, err := fx.finish(t, ok[0], delivery.Succeeded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = fx.st.DeliveryDiscard(ctx, stock.DeliveryID, t0)
	wantKind(t, err, fault.ErrConflict, "discarding a succeeded delivery")
	if o, _ := fx.st.OccurrenceGet(ctx, r.OccurrenceID); o.Status != delivery.OccurrenceCompleted {
		t.Fatalf("occurrence with one succeeded and one discarded delivery is %s, want completed", o.Status)
	}
}

func (s *suite) queries(t *testing.T) {
	fx := s.fixture(t)
	var ids []int64
	for i := 0; i < 5; i++ {
		r, err := fx.st.OccurrenceInsert(ctx, &storage.OccurrenceInsertParams{EventID: fx.placed.ID, AppID: fx.placed.AppID,
			Parameters: json.RawMessage(fmt.Sprintf(`{"Sku":"S-%d"}`, i)), CreatedAt: t0.Add(time.Duration(i) * time.Minute), QueueCap: 100,
			Deliveries: []storage.NewDelivery{{SubscriptionID: fx.stockSub.ID, AppID: fx.stockSub.AppID}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.OccurrenceID)
	}
	page, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{Limit: 2})
	if len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
		t.Fatalf("first page = %v, want the two newest", occIDs(page))
	}
	next, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{Limit: 2, BeforeID: page[1].ID})
	if len(next) != 2 || next[0].ID != ids[2] {
		t.Fatalf("second page = %v", occIDs(next))
	}
	since, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)})
	if len(since) != 2 {
		t.Fatalf("since/until window = %v, want 2 occurrences", occIDs(since))
	}
	byApp, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{AppID: fx.stock.ID})
	byEvent, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{EventID: fx.placed.ID})
	byTrace, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{TraceID: ids[1]})
	if len(byApp) != 0 || len(byEvent) != 5 || len(byTrace) != 1 {
		t.Fatalf("filters: app %d, event %d, trace %d; want 0, 5, 1", len(byApp), len(byEvent), len(byTrace))
	}
	c := fx.claim(t, fx.stockSub, 1, t0.Add(time.Hour))
	if _, err := fx.finish(t, c[0], delivery.Dead, time.Time{}); err != nil {
		t.Fatal(err)
	}
	dead, _ := fx.st.DeliveryList(ctx, &storage.DeliveryListParams{Status: delivery.Dead})
	if len(dead) != 1 || dead[0].ID != c[0].DeliveryID || dead[0].App != "Stock" {
		t.Fatalf("dead deliveries = %+v", dead)
	}
	deadOcc, _ := fx.st.OccurrenceList(ctx, &storage.OccurrenceListParams{Status: delivery.OccurrenceDead})
	if len(deadOcc) != 1 {
		t.Fatalf("%d dead occurrences, want 1", len(deadOcc))
	}
	counts, _ := fx.st.DeliveryCounts(ctx, time.Time{})
	if counts[delivery.Dead] != 1 || counts[delivery.Pending] != 4 {
		t.Fatalf("counts = %v, want 1 dead and 4 pending", counts)
	}
	_, err := fx.st.OccurrenceGet(ctx, 999999)
	wantKind(t, err, fault.ErrNotFound, "unknown occurrence")
	_, err = fx.st.DeliveryGet(ctx, 999999)
	wantKind(t, err, fault.ErrNotFound, "unknown delivery")
	_, err = fx.st.TraceGet(ctx, 999999)
	wantKind(t, err, fault.ErrNotFound, "unknown trace")
	// The oldest (due at t0) is dead now; the next waits since t0+1m.
	if next, ok, err := fx.st.DeliveryNextDue(ctx, fx.stockSub.ID); err != nil || !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("next due = %s %v %v, want the oldest pending at %s", next, ok, err, t0.Add(time.Minute))
	}
	if _, ok, _ := fx.st.DeliveryNextDue(ctx, fx.mailSub.ID); ok {
		t.Fatal("next due reported for a subscription with nothing waiting")
	}
}

func occIDs(os []delivery.Occurrence) []int64 {
	out := make([]int64, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

func (s *suite) crash(t *testing.T) {
	if !s.f.Durable {
		t.Skip("backend is not durable across reopen")
	}
	fx := s.fixture(t)
	r := fx.mustInsert(t, true)
	stock, mail := r.Deliveries[0], r.Deliveries[1]
	if _, err := fx.finish(t, mail, delivery.Succeeded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The process dies holding Stock's claim: nothing completes it.
	if err := fx.st.Close(); err != nil {
		t.Fatal(err)
	}
	fx.st = s.open(t, fx.dir)
	t.Cleanup(func() { _ = fx.st.Close() })
	if got := fx.claim(t, fx.stockSub, 10, t0); len(got) != 0 {
		t.Fatal("a leased delivery was claimable before its lease expired")
	}
	n, err := fx.st.DeliveryReleaseExpired(ctx, stock.LeaseUntil.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("released %d (%v) after restart, want 1", n, err)
	}
	again := fx.claim(t, fx.stockSub, 10, stock.LeaseUntil.Add(time.Second))
	if len(again) != 1 || again[0].Token == stock.Token || again[0].Attempts != 0 {
		t.Fatalf("reclaimed = %+v; want a new token and no attempt counted", again)
	}
	_, err = fx.finish(t, stock, delivery.Succeeded, time.Time{})
	wantKind(t, err, fault.ErrLeaseLost, "completion with the dead process's token")
	if got := fx.claim(t, fx.mailSub, 10, t0.Add(time.Hour)); len(got) != 0 {
		t.Fatal("a delivery that succeeded before the crash was claimable after it")
	}
	if _, err := fx.finish(t, again[0], delivery.Succeeded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	o, _ := fx.st.OccurrenceGet(ctx, r.OccurrenceID)
	if o.Status != delivery.OccurrenceCompleted {
		t.Fatalf("occurrence %s after both succeeded, want completed", o.Status)
	}
	depths, _ := fx.st.QueueDepths(ctx)
	if depths[fx.placed.ID] != 0 {
		t.Fatalf("queue depth %d after completion, want 0", depths[fx.placed.ID])
	}
}
