package storagetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// apply runs one DesignApply at now and fails t on an error.
func (fx *fixture) apply(t *testing.T, now time.Time, ops ...storage.DesignOp) design.Design {
	t.Helper()
	d, err := fx.st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: now, Ops: ops})
	if err != nil {
		t.Fatalf("design apply: %v", err)
	}
	return d
}

// load runs DesignLoad and fails t on an error.
func (fx *fixture) load(t *testing.T) design.Design {
	t.Helper()
	d, err := fx.st.DesignLoad(ctx(t))
	if err != nil {
		t.Fatalf("design load: %v", err)
	}
	return d
}

// designApplyCreatesByName: one apply creates apps, their events and the
// subscriptions naming them; the result and DesignLoad agree, with ids and
// names resolved and every field kept.
func (s *suite) designApplyCreatesByName(t *testing.T) {
	fx := s.fixture(t)
	loaded := fx.load(t)
	applied, err := fx.st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: t0})
	if err != nil {
		t.Fatalf("an empty apply: %v", err)
	}
	if !reflect.DeepEqual(canonicalDesign(loaded), canonicalDesign(applied)) {
		t.Fatalf("DesignLoad and DesignApply's result differ:\n load  %+v\n apply %+v", loaded, applied)
	}
	if len(loaded.Apps) != 3 || len(loaded.Events) != 2 || len(loaded.Subscriptions) != 3 {
		t.Fatalf("loaded %d apps, %d events, %d subscriptions; want 3, 2, 3", len(loaded.Apps), len(loaded.Events), len(loaded.Subscriptions))
	}
	if fx.shop.ID == 0 || fx.shop.ID == fx.stock.ID || fx.stock.ID == fx.mail.ID || fx.shop.ID == fx.mail.ID {
		t.Fatalf("app ids %d, %d, %d; want distinct non-zero ids", fx.shop.ID, fx.stock.ID, fx.mail.ID)
	}
	if fx.shop.Description != "the web store" || fx.shop.Color != "#3b82f6" || fx.stock.Concurrency != 5 || fx.mail.Endpoint != "http://mail.example/hooks" {
		t.Fatalf("apps lost fields: %+v %+v %+v", fx.shop, fx.stock, fx.mail)
	}
	if !fx.shop.CreatedAt.Equal(t0) || !fx.shop.UpdatedAt.Equal(t0) {
		t.Fatalf("app times %s, %s; want the apply's Now %s", fx.shop.CreatedAt, fx.shop.UpdatedAt, t0)
	}
	p := fx.placed
	if p.ID == 0 || p.AppID != fx.shop.ID || p.App != "Shop" || !p.Public || p.Description != "an order was placed" {
		t.Fatalf("OrderPlaced loaded as %+v; want its id, its owner's id and name, public", p)
	}
	if !reflect.DeepEqual(p.Parameters, orderParams()) {
		t.Fatalf("OrderPlaced parameters = %+v; want %+v, in order", p.Parameters, orderParams())
	}
	if r := fx.reserved; r.AppID != fx.stock.ID || r.App != "Stock" || len(r.Parameters) != 1 {
		t.Fatalf("Reserved loaded as %+v", r)
	}
	for _, c := range []struct {
		sub   design.Subscription
		app   design.App
		event design.Event
	}{{fx.stockSub, fx.stock, fx.placed}, {fx.mailSub, fx.mail, fx.placed}, {fx.mailReserved, fx.mail, fx.reserved}} {
		if c.sub.ID == 0 || c.sub.AppID != c.app.ID || c.sub.App != c.app.Name || c.sub.EventID != c.event.ID || c.sub.Event != c.event.Ref() {
			t.Fatalf("subscription loaded as %+v; want app %s (%d) handling %s (%d)", c.sub, c.app.Name, c.app.ID, c.event.Ref(), c.event.ID)
		}
	}
	want := fixtureOps()[5].Subscription.Handler
	if !reflect.DeepEqual(fx.stockSub.Handler, want) || !fx.stockSub.Enabled || fx.stockSub.Paused {
		t.Fatalf("Stock's subscription = %+v; want its flow %+v, enabled, not paused", fx.stockSub, want)
	}
	if fx.mailReserved.Handler.Kind != design.KindGo || fx.mailReserved.Handler.Name != "notify" || !fx.mailReserved.Paused {
		t.Fatalf("Mail's Reserved subscription = %+v; want Go handler notify, paused", fx.mailReserved)
	}
}

// designApplyRefusals: a refused apply changes nothing, not even by its
// ops before the refused one, and says why with the fault kind.
func (s *suite) designApplyRefusals(t *testing.T) {
	billing := storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Billing"}}
	placed := design.EventRef{App: "Shop", Event: "OrderPlaced"}
	goHandler := design.Handler{Kind: design.KindGo, Name: "x"}
	cases := []struct {
		name string
		ops  func(fx *fixture) []storage.DesignOp
		kind error
	}{
		{"duplicate app name", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.AppPut, App: &design.App{Name: "Shop"}}}
		}, fault.ErrConflict},
		{"duplicate app name within the apply", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.AppPut, App: &design.App{Name: "Billing"}}}
		}, fault.ErrConflict},
		{"app renamed onto another", func(fx *fixture) []storage.DesignOp {
			a := fx.mail
			a.Name = "Shop"
			return []storage.DesignOp{billing, {Kind: storage.AppPut, App: &a}}
		}, fault.ErrConflict},
		{"duplicate event name in an app", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OrderPlaced"}}}
		}, fault.ErrConflict},
		{"event renamed onto another of its app", func(fx *fixture) []storage.DesignOp {
			return []storage.DesignOp{billing,
				{Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OrderPaid"}},
				{Kind: storage.EventPut, Event: func() *design.Event { e := fx.placed; e.Name = "OrderPaid"; return &e }()}}
		}, fault.ErrConflict},
		{"second subscription for (event, app)", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: placed, Handler: goHandler}}}
		}, fault.ErrConflict},
		{"subscription moved onto an existing (event, app)", func(fx *fixture) []storage.DesignOp {
			x := fx.mailReserved
			x.Event = placed
			return []storage.DesignOp{billing, {Kind: storage.SubscriptionPut, Subscription: &x}}
		}, fault.ErrConflict},
		{"event of an unknown app", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.EventPut, Event: &design.Event{App: "Nope", Name: "X"}}}
		}, fault.ErrNotFound},
		{"subscription of an unknown app", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Nope", Event: placed, Handler: goHandler}}}
		}, fault.ErrNotFound},
		{"subscription to an unknown app's event", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Nope", Event: "OrderPlaced"}, Handler: goHandler}}}
		}, fault.ErrNotFound},
		{"subscription to an unknown event", func(*fixture) []storage.DesignOp {
			return []storage.DesignOp{billing, {Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "Nope"}, Handler: goHandler}}}
		}, fault.ErrNotFound},
		{"subscription delete before a refusal", func(fx *fixture) []storage.DesignOp {
			return []storage.DesignOp{{Kind: storage.SubscriptionDelete, ID: fx.mailSub.ID}, billing, {Kind: storage.AppPut, App: &design.App{Name: "Stock"}}}
		}, fault.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := s.fixture(t)
			// A pending delivery shows that no runtime side effect (a
			// subscription delete's discards) survives the refusal either.
			r := fx.orderBoth(t, false)
			before := fx.state(t)
			_, err := fx.st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: t0.Add(time.Hour), Ops: c.ops(fx)})
			wantKind(t, err, c.kind, c.name)
			fx.sameState(t, before, "a refused apply")
			if got := fx.claim(t, fx.mailSub, 10, t0); len(got) != 1 || got[0].DeliveryID != r.Deliveries[1].DeliveryID {
				t.Fatalf("after a refused apply Mail claimed %+v; want its pending delivery", got)
			}
		})
	}
}

// designUpdatesByID: a put with an id changes that part in place, keeping
// its id and creation time; names may change, and what references the
// part follows it.
func (s *suite) designUpdatesByID(t *testing.T) {
	fx := s.fixture(t)
	later := t0.Add(time.Hour)
	app := fx.stock
	app.Name, app.Description, app.Color, app.Concurrency, app.Endpoint = "Warehouse", "reserves stock", "#ff0000", 9, "http://wh.example"
	ev := fx.placed
	ev.Name, ev.Public, ev.Description = "OrderCreated", false, "renamed"
	ev.Parameters = []design.Parameter{{Name: "Qty", Type: design.LongInteger, Mandatory: true}, {Name: "Sku", Type: design.Identifier}}
	sub := fx.mailSub
	sub.Handler = design.Handler{Kind: design.KindGo, Name: "mail2"}
	sub.Enabled, sub.Paused, sub.Filter = false, true, `Qty > 2`
	// Puts name what they reference as the ops before them left it: the
	// subscription goes first, while its event is still OrderPlaced.
	d := fx.apply(t, later,
		storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &sub},
		storage.DesignOp{Kind: storage.AppPut, App: &app},
		storage.DesignOp{Kind: storage.EventPut, Event: &ev},
	)
	if !reflect.DeepEqual(canonicalDesign(d), canonicalDesign(fx.load(t))) {
		t.Fatal("DesignApply's result differs from DesignLoad after it")
	}
	if len(d.Apps) != 3 || len(d.Events) != 2 || len(d.Subscriptions) != 3 {
		t.Fatalf("after updates: %d apps, %d events, %d subscriptions; want 3, 2, 3 (updates add nothing)", len(d.Apps), len(d.Events), len(d.Subscriptions))
	}
	x := design.NewIndex(d)
	if _, ok := x.App("Stock"); ok {
		t.Fatal("the old app name is still loaded")
	}
	a, ok := x.AppByID(fx.stock.ID)
	if !ok || a.Name != "Warehouse" || a.Description != "reserves stock" || a.Color != "#ff0000" || a.Concurrency != 9 || a.Endpoint != "http://wh.example" {
		t.Fatalf("updated app = %+v", a)
	}
	if !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(later) {
		t.Fatalf("updated app's times %s, %s; want created %s, updated %s", a.CreatedAt, a.UpdatedAt, t0, later)
	}
	e, ok := x.EventByID(fx.placed.ID)
	if !ok || e.Name != "OrderCreated" || e.Public || e.Description != "renamed" || !reflect.DeepEqual(e.Parameters, ev.Parameters) || e.AppID != fx.shop.ID {
		t.Fatalf("updated event = %+v; want %+v", e, ev)
	}
	// Names resolve through the renames.
	r, _ := x.EventByID(fx.reserved.ID)
	if r.App != "Warehouse" {
		t.Fatalf("an event of the renamed app names its owner %q", r.App)
	}
	st, _ := x.Subscription(fx.stockSub.ID)
	if st.App != "Warehouse" || st.Event != (design.EventRef{App: "Shop", Event: "OrderCreated"}) {
		t.Fatalf("a subscription of renamed parts = %+v", st)
	}
	m, ok := x.Subscription(fx.mailSub.ID)
	if !ok || m.Handler.Name != "mail2" || m.Enabled || !m.Paused || m.Filter != `Qty > 2` || m.EventID != fx.placed.ID || m.AppID != fx.mail.ID {
		t.Fatalf("updated subscription = %+v", m)
	}
	// A subscription may move to another event by name.
	m2 := *m
	m2.Event = design.EventRef{App: "Warehouse", Event: "Reserved"}
	m2.App = "Shop"
	d = fx.apply(t, later, storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &m2})
	if got, _ := design.NewIndex(d).Subscription(fx.mailSub.ID); got.EventID != fx.reserved.ID || got.AppID != fx.shop.ID {
		t.Fatalf("moved subscription = %+v; want Shop handling Reserved", got)
	}
}

// designDeletes: deleted parts are absent; an app goes with its events
// and subscriptions deleted before it in the same apply; a deleted name
// may be used again.
func (s *suite) designDeletes(t *testing.T) {
	fx := s.fixture(t)
	d := fx.apply(t, t0,
		storage.DesignOp{Kind: storage.SubscriptionDelete, ID: fx.mailReserved.ID},
		storage.DesignOp{Kind: storage.SubscriptionDelete, ID: fx.stockSub.ID},
		storage.DesignOp{Kind: storage.EventDelete, ID: fx.reserved.ID},
		storage.DesignOp{Kind: storage.AppDelete, ID: fx.stock.ID},
	)
	x := design.NewIndex(d)
	if _, ok := x.AppByID(fx.stock.ID); ok || len(d.Apps) != 2 {
		t.Fatalf("deleted app still loaded: %+v", d.Apps)
	}
	if _, ok := x.EventByID(fx.reserved.ID); ok || len(d.Events) != 1 {
		t.Fatalf("deleted event still loaded: %+v", d.Events)
	}
	if len(d.Subscriptions) != 1 || d.Subscriptions[0].ID != fx.mailSub.ID {
		t.Fatalf("subscriptions after deletes = %+v; want only Mail's OrderPlaced", d.Subscriptions)
	}
	if !reflect.DeepEqual(canonicalDesign(d), canonicalDesign(fx.load(t))) {
		t.Fatal("DesignApply's result differs from DesignLoad after deletes")
	}
	// The names are free again.
	d = fx.apply(t, t0.Add(time.Hour),
		storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Stock"}},
		storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Stock", Name: "Reserved"}},
		storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Stock", Event: fx.placed.Ref(), Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "reserve"}}},
	)
	x = design.NewIndex(d)
	a, ok := x.App("Stock")
	if !ok || a.ID == fx.stock.ID {
		t.Fatalf("re-created app = %+v; want a new app with a new id", a)
	}
	if sub, ok := x.SubscriptionFor("Stock", fx.placed.Ref()); !ok || sub.ID == fx.stockSub.ID {
		t.Fatalf("re-created subscription = %+v; want a new one", sub)
	}
}

// subscriptionDeleteDiscards: deleting a subscription discards its
// unfinished deliveries (pending, running, retrying), keeps its finished
// ones, settles their occurrences and frees their queue room.
func (s *suite) subscriptionDeleteDiscards(t *testing.T) {
	fx := s.fixture(t)
	occs := map[delivery.Status]int64{}
	claims := map[delivery.Status]storage.Claim{}
	for _, st := range statuses {
		occs[st], claims[st] = fx.deliveryIn(t, st)
	}
	mixed := fx.orderBoth(t, false) // Stock's and Mail's: only Stock's goes
	if n := fx.depth(t, fx.placed.ID); n != 4 {
		t.Fatalf("set-up: depth %d, want 4 (pending, running, retrying, mixed)", n)
	}
	fx.apply(t, t0.Add(time.Hour), storage.DesignOp{Kind: storage.SubscriptionDelete, ID: fx.stockSub.ID})
	want := map[delivery.Status]delivery.Status{
		delivery.Pending: delivery.Discarded, delivery.Running: delivery.Discarded, delivery.Retrying: delivery.Discarded,
		delivery.Succeeded: delivery.Succeeded, delivery.Dead: delivery.Dead, delivery.Discarded: delivery.Discarded,
	}
	wantOcc := map[delivery.Status]delivery.OccurrenceStatus{
		delivery.Pending: delivery.OccurrenceCompleted, delivery.Running: delivery.OccurrenceCompleted, delivery.Retrying: delivery.OccurrenceCompleted,
		delivery.Succeeded: delivery.OccurrenceCompleted, delivery.Dead: delivery.OccurrenceDead, delivery.Discarded: delivery.OccurrenceCompleted,
	}
	for _, st := range statuses {
		if d := fx.delivery(t, claims[st].DeliveryID); d.Status != want[st] {
			t.Errorf("a %s delivery of a deleted subscription is %s, want %s", st, d.Status, want[st])
		}
		if o := fx.occurrence(t, occs[st]); o.Status != wantOcc[st] {
			t.Errorf("the occurrence of a %s delivery of a deleted subscription is %s, want %s", st, o.Status, wantOcc[st])
		}
	}
	if d := fx.delivery(t, mixed.Deliveries[1].DeliveryID); d.Status != delivery.Pending {
		t.Fatalf("another subscription's delivery is %s, want pending", d.Status)
	}
	if o := fx.occurrence(t, mixed.OccurrenceID); o.Status != delivery.OccurrencePending {
		t.Fatalf("an occurrence with another pending delivery is %s, want pending", o.Status)
	}
	if n := fx.depth(t, fx.placed.ID); n != 1 {
		t.Fatalf("depth %d after the delete, want 1 (Mail's delivery still pending)", n)
	}
	if got := fx.claim(t, fx.stockSub, 10, t0.Add(24*time.Hour)); len(got) != 0 {
		t.Fatalf("claimed %d deliveries of a deleted subscription", len(got))
	}
	_, err := fx.st.DeliveryComplete(ctx(t), completion(claims[delivery.Running], delivery.Succeeded, time.Time{}))
	wantKind(t, err, fault.ErrLeaseLost, "completing a claim its subscription's delete discarded")
}

// keysAndSettings: keys round trip by app and by hash, another app cannot
// revoke them; settings replace.
func (s *suite) keysAndSettings(t *testing.T) {
	fx := s.fixture(t)
	k1, err := fx.st.KeyInsert(ctx(t), &storage.KeyInsertParams{AppID: fx.shop.ID, Prefix: "elk_abc", Hash: fx.key("hash-1"), CreatedAt: t0})
	if err != nil || k1.ID == 0 {
		t.Fatalf("insert key: %v %+v", err, k1)
	}
	k2, err := fx.st.KeyInsert(ctx(t), &storage.KeyInsertParams{AppID: fx.shop.ID, Prefix: "elk_def", Hash: fx.key("hash-2"), CreatedAt: t0.Add(time.Minute)})
	if err != nil || k2.ID == 0 || k2.ID == k1.ID {
		t.Fatalf("insert a second key: %v %+v", err, k2)
	}
	got, err := fx.st.KeyLookup(ctx(t), fx.key("hash-1"))
	if err != nil || got.ID != k1.ID || got.AppID != fx.shop.ID || got.App != "Shop" || got.Prefix != "elk_abc" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("lookup = %+v %v; want key %d of Shop", got, err, k1.ID)
	}
	_, err = fx.st.KeyLookup(ctx(t), fx.key("other"))
	wantKind(t, err, fault.ErrNotFound, "lookup of an unknown hash")
	keys, err := fx.st.KeyList(ctx(t), fx.shop.ID)
	if err != nil || len(keys) != 2 || keys[0].ID != k2.ID || keys[1].ID != k1.ID {
		t.Fatalf("list = %+v %v; want both keys, newest first", keys, err)
	}
	for _, k := range keys {
		if len(k.Hash) != 0 || k.App != "Shop" || k.AppID != fx.shop.ID {
			t.Fatalf("listed key %+v; want its app and no hash", k)
		}
	}
	if keys, err := fx.st.KeyList(ctx(t), fx.stock.ID); err != nil || len(keys) != 0 {
		t.Fatalf("another app's keys = %+v %v; want none", keys, err)
	}
	wantKind(t, fx.st.KeyDelete(ctx(t), fx.stock.ID, k1.ID), fault.ErrNotFound, "deleting another app's key")
	if got, err := fx.st.KeyLookup(ctx(t), fx.key("hash-1")); err != nil || got.ID != k1.ID {
		t.Fatalf("a refused delete revoked the key: %+v %v", got, err)
	}
	if err := fx.st.KeyDelete(ctx(t), fx.shop.ID, k1.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	_, err = fx.st.KeyLookup(ctx(t), fx.key("hash-1"))
	wantKind(t, err, fault.ErrNotFound, "lookup of a revoked key")
	wantKind(t, fx.st.KeyDelete(ctx(t), fx.shop.ID, k1.ID), fault.ErrNotFound, "revoking twice")
	if got, err := fx.st.KeyLookup(ctx(t), fx.key("hash-2")); err != nil || got.ID != k2.ID {
		t.Fatalf("the other key after a revoke = %+v %v", got, err)
	}

	keyIDsNeverReused(t, fx)

	_, err = fx.st.SettingGet(ctx(t), fx.id("admin"))
	wantKind(t, err, fault.ErrNotFound, "an unset setting")
	for _, v := range []string{"one", "two"} {
		if err := fx.st.SettingPut(ctx(t), fx.id("admin"), v); err != nil {
			t.Fatalf("put setting: %v", err)
		}
	}
	if err := fx.st.SettingPut(ctx(t), fx.id("other"), "x"); err != nil {
		t.Fatalf("put setting: %v", err)
	}
	if v, err := fx.st.SettingGet(ctx(t), fx.id("admin")); err != nil || v != "two" {
		t.Fatalf("setting = %q %v; want the last value put", v, err)
	}
}

// keyIDsNeverReused: revoking the newest key and creating another gives the
// new key an id larger than every earlier one (an id in a log names one key
// forever), and a revoked key neither authenticates nor is listed.
func keyIDsNeverReused(t *testing.T, fx *fixture) {
	t.Helper()
	seen := map[int64]bool{}
	var largest int64
	for _, k := range mustKeys(t, fx) {
		seen[k.ID] = true
		largest = max(largest, k.ID)
	}
	newest, err := fx.st.KeyInsert(ctx(t), &storage.KeyInsertParams{AppID: fx.shop.ID, Prefix: "elk_new", Hash: fx.key("hash-newest"), CreatedAt: t0})
	if err != nil || newest.ID <= largest {
		t.Fatalf("insert key = %+v %v; want an id above %d", newest, err, largest)
	}
	largest = newest.ID
	for i := range 3 {
		if err := fx.st.KeyDelete(ctx(t), fx.shop.ID, largest); err != nil {
			t.Fatalf("revoke the newest key %d: %v", largest, err)
		}
		_, err := fx.st.KeyLookup(ctx(t), fx.key(fmt.Sprintf("hash-r%d", i-1)))
		if i > 0 {
			wantKind(t, err, fault.ErrNotFound, "lookup of a revoked newest key")
		}
		for _, k := range mustKeys(t, fx) {
			if k.ID == largest {
				t.Fatalf("revoked key %d is still listed: %+v", largest, k)
			}
		}
		k, err := fx.st.KeyInsert(ctx(t), &storage.KeyInsertParams{AppID: fx.shop.ID, Prefix: "elk_r", Hash: fx.key(fmt.Sprintf("hash-r%d", i)), CreatedAt: t0})
		if err != nil {
			t.Fatalf("insert after a revoke: %v", err)
		}
		if k.ID <= largest || seen[k.ID] {
			t.Fatalf("key created after revoking %d got id %d; want an id larger than every earlier one", largest, k.ID)
		}
		seen[k.ID] = true
		largest = k.ID
	}
	_, err = fx.st.KeyLookup(ctx(t), fx.key("hash-newest"))
	wantKind(t, err, fault.ErrNotFound, "lookup of a revoked key")
	wantKind(t, fx.st.KeyDelete(ctx(t), fx.shop.ID, newest.ID), fault.ErrNotFound, "revoking a revoked key again")
}

func mustKeys(t *testing.T, fx *fixture) []storage.Key {
	t.Helper()
	keys, err := fx.st.KeyList(ctx(t), fx.shop.ID)
	if err != nil {
		t.Fatalf("list keys: %v", err)
	}
	return keys
}
