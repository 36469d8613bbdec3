package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

func TestDesignApply(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	apply := func(ops ...storage.DesignOp) (design.Design, error) {
		return f.s.DesignApply(ctx, &storage.DesignApplyParams{Now: t0, Ops: ops})
	}
	d := f.d
	if len(d.Apps) != 3 || d.Apps[0].Name != "Billing" || d.Apps[2].Name != "Shop" || d.Apps[0].ID == 0 {
		t.Fatalf("apps = %+v", d.Apps)
	}
	if len(d.Subscriptions) != 3 || d.Subscriptions[0].App != "Billing" || d.Subscriptions[0].Event.String() != "Shop.OnOrder" ||
		d.Subscriptions[0].Handler.Name != "bill" || !d.Subscriptions[0].Enabled {
		t.Fatalf("subscriptions = %+v", d.Subscriptions)
	}
	if e := d.Events[0]; e.App != "Shop" || len(e.Parameters) != 1 || e.Parameters[0].Type != design.Identifier || !e.CreatedAt.Equal(t0) {
		t.Fatalf("event = %+v", e)
	}

	// Uniqueness, all or nothing.
	_, err := apply(storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Extra"}},
		storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Mail"}})
	fe := wantKind(t, err, fault.ErrConflict)
	if fe.Code != "exists" || !strings.Contains(fe.Message, `"Mail"`) {
		t.Errorf("conflict = %+v", fe)
	}
	_, err = apply(storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OnOrder"}})
	wantKind(t, err, fault.ErrConflict)
	_, err = apply(storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "OnOrder"}}})
	wantKind(t, err, fault.ErrConflict)
	// Unknown names and ids.
	_, err = apply(storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Nope", Name: "X"}})
	wantKind(t, err, fault.ErrNotFound)
	_, err = apply(storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Shop", Event: "Nope"}}})
	wantKind(t, err, fault.ErrNotFound)
	_, err = apply(storage.DesignOp{Kind: storage.AppDelete, ID: 999})
	wantKind(t, err, fault.ErrNotFound)
	// Deleting a part still used by others.
	_, err = apply(storage.DesignOp{Kind: storage.EventDelete, ID: f.event})
	if fe := wantKind(t, err, fault.ErrConflict); fe.Code != "in_use" || len(fe.Refs) != 3 {
		t.Errorf("in use = %+v", fe)
	}
	if d2, _ := f.s.DesignLoad(ctx); len(d2.Apps) != 3 {
		t.Errorf("a refused apply left %d apps", len(d2.Apps))
	}

	// Names refer to parts created earlier in the same apply.
	d, err = apply(
		storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Warehouse", Color: "#123456", Concurrency: 5}},
		storage.DesignOp{Kind: storage.EventPut, Event: &design.Event{App: "Warehouse", Name: "OnShipped"}},
		storage.DesignOp{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: design.EventRef{App: "Warehouse", Event: "OnShipped"}, Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepLog, Message: "hi"}}}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	x := design.NewIndex(d)
	wh, ok := x.App("Warehouse")
	if !ok || wh.Color != "#123456" || wh.Concurrency != 5 {
		t.Fatalf("warehouse = %+v", wh)
	}
	sub, ok := x.SubscriptionFor("Mail", design.EventRef{App: "Warehouse", Event: "OnShipped"})
	if !ok || len(sub.Handler.Steps) != 1 || sub.Enabled {
		t.Fatalf("subscription = %+v", sub)
	}

	// Deleting a subscription discards its unfinished deliveries; history
	// keeps the names of deleted parts; a deleted name can be reused.
	r := f.insert(t, 0, false)
	mailSub, _ := x.SubscriptionFor("Mail", design.EventRef{App: "Shop", Event: "OnOrder"})
	ev, _ := x.Event(design.EventRef{App: "Warehouse", Event: "OnShipped"})
	_, err = apply(
		storage.DesignOp{Kind: storage.SubscriptionDelete, ID: mailSub.ID},
		storage.DesignOp{Kind: storage.SubscriptionDelete, ID: sub.ID},
		storage.DesignOp{Kind: storage.EventDelete, ID: ev.ID},
		storage.DesignOp{Kind: storage.AppDelete, ID: wh.ID},
	)
	if err != nil {
		t.Fatal(err)
	}
	o := f.occurrence(t, r.OccurrenceID)
	var discarded int
	for _, dl := range o.Deliveries {
		if dl.Status == delivery.Discarded {
			discarded++
			if dl.App != "Mail" {
				t.Errorf("discarded delivery app = %q", dl.App)
			}
		}
	}
	if discarded != 1 || o.Status != delivery.OccurrencePending {
		t.Errorf("after subscription delete: %d discarded, status %s", discarded, o.Status)
	}
	d, err = apply(storage.DesignOp{Kind: storage.AppPut, App: &design.App{Name: "Warehouse"}})
	if err != nil {
		t.Fatalf("reusing a deleted name: %v", err)
	}
	if len(d.Apps) != 4 {
		t.Errorf("apps = %d, want 4", len(d.Apps))
	}
	// Renaming an app shows in history under the new name.
	shop, _ := design.NewIndex(d).App("Shop")
	renamed := *shop
	renamed.Name = "Store"
	if _, err := apply(storage.DesignOp{Kind: storage.AppPut, App: &renamed}); err != nil {
		t.Fatal(err)
	}
	if o := f.occurrence(t, r.OccurrenceID); o.App != "Store" || o.Event != "OnOrder" {
		t.Errorf("occurrence names = %s.%s", o.App, o.Event)
	}
}

func TestKeysAndSettings(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	_, err := f.s.SettingGet(ctx, "admin")
	wantKind(t, err, fault.ErrNotFound)
	for _, v := range []string{"a", "b"} {
		if err := f.s.SettingPut(ctx, "admin", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := f.s.SettingGet(ctx, "admin"); v != "b" || err != nil {
		t.Errorf("setting = %q %v", v, err)
	}
	k1, err := f.s.KeyInsert(ctx, &storage.KeyInsertParams{AppID: f.shop, Prefix: "el_1", Hash: []byte("h1"), CreatedAt: t0})
	if err != nil || k1.App != "Shop" || k1.ID == 0 {
		t.Fatalf("key insert = %+v %v", k1, err)
	}
	if _, err := f.s.KeyInsert(ctx, &storage.KeyInsertParams{AppID: f.shop, Prefix: "el_2", Hash: []byte("h2"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.KeyInsert(ctx, &storage.KeyInsertParams{AppID: 999, Prefix: "x", Hash: []byte("h3")})
	wantKind(t, err, fault.ErrNotFound)
	keys, err := f.s.KeyList(ctx, f.shop)
	if err != nil || len(keys) != 2 || keys[0].Prefix != "el_2" || keys[0].Hash != nil {
		t.Fatalf("key list = %+v %v", keys, err)
	}
	k, err := f.s.KeyLookup(ctx, []byte("h1"))
	if err != nil || k.ID != k1.ID || k.App != "Shop" || !k.CreatedAt.Equal(t0) {
		t.Errorf("key lookup = %+v %v", k, err)
	}
	if err := f.s.KeyDelete(ctx, f.shop, k1.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, f.s.KeyDelete(ctx, f.shop, k1.ID), fault.ErrNotFound)
	_, err = f.s.KeyLookup(ctx, []byte("h1"))
	wantKind(t, err, fault.ErrNotFound)
}

func TestListsAndCounts(t *testing.T) {
	f := newFixture(t, t.TempDir())
	ctx := context.Background()
	var ids []int64
	for i := range 7 {
		p := f.params(0, i%2 == 0)
		p.CreatedAt = t0.Add(time.Duration(i) * time.Second)
		p.Parameters = json.RawMessage(fmt.Sprintf(`{"OrderId":"%d"}`, i))
		r, err := f.s.OccurrenceInsert(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.OccurrenceID)
		if i == 0 {
			for _, c := range r.Deliveries {
				f.complete(t, c, delivery.Succeeded)
			}
		}
	}
	list := func(p storage.OccurrenceListParams) []int64 {
		os, err := f.s.OccurrenceList(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	if got := list(storage.OccurrenceListParams{Limit: 3}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[6], ids[5], ids[4]}) {
		t.Errorf("first page = %v", got)
	}
	if got := list(storage.OccurrenceListParams{Limit: 3, BeforeID: ids[4]}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[3], ids[2], ids[1]}) {
		t.Errorf("second page = %v", got)
	}
	if got := list(storage.OccurrenceListParams{Status: delivery.OccurrenceCompleted}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[0]}) {
		t.Errorf("completed = %v", got)
	}
	if got := list(storage.OccurrenceListParams{Since: t0.Add(2 * time.Second), Until: t0.Add(4 * time.Second), EventID: f.event, AppID: f.shop}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[3], ids[2]}) {
		t.Errorf("time window = %v", got)
	}
	if got := list(storage.OccurrenceListParams{TraceID: ids[1]}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[1]}) {
		t.Errorf("trace = %v", got)
	}
	if got := list(storage.OccurrenceListParams{AppID: 999}); len(got) != 0 {
		t.Errorf("other app = %v", got)
	}

	ds, err := f.s.DeliveryList(ctx, &storage.DeliveryListParams{Status: delivery.Running})
	if err != nil || len(ds) != 9 { // occurrences 2, 4, 6 claimed at insert
		t.Fatalf("running deliveries = %d %v", len(ds), err)
	}
	ds, err = f.s.DeliveryList(ctx, &storage.DeliveryListParams{OccurrenceID: ids[0], AppID: f.subApp[0], EventID: f.event})
	if err != nil || len(ds) != 1 || ds[0].Status != delivery.Succeeded || ds[0].App == "" {
		t.Fatalf("deliveries = %+v %v", ds, err)
	}
	ds, err = f.s.DeliveryList(ctx, &storage.DeliveryListParams{Limit: 4, BeforeID: 10})
	if err != nil || len(ds) != 4 || ds[0].ID != 9 || ds[3].ID != 6 {
		t.Fatalf("delivery page = %+v %v", ds, err)
	}
	counts, err := f.s.DeliveryCounts(ctx, time.Time{})
	if err != nil || counts[delivery.Succeeded] != 3 || counts[delivery.Running] != 9 || counts[delivery.Pending] != 9 {
		t.Errorf("counts = %v %v", counts, err)
	}
	counts, err = f.s.DeliveryCounts(ctx, t0.Add(time.Hour))
	if err != nil || counts[delivery.Succeeded] != 0 || counts[delivery.Pending] != 0 {
		t.Errorf("counts since later = %v %v", counts, err) // successes were updated at t0+1s
	}
	o := f.occurrence(t, ids[3])
	if string(o.Parameters) != `{"OrderId":"3"}` || !o.CreatedAt.Equal(t0.Add(3*time.Second)) || o.CreatedAt.Location() != time.UTC {
		t.Errorf("occurrence = %+v", o)
	}
}
