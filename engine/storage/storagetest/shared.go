package storagetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// sharedAcrossProcesses: two backends open on one dir at once are one
// store. What one writes the other reads at once (design, settings,
// sessions, occurrences); the queue cap counts the pending occurrences
// both stored; concurrent claimers on both never receive the same
// delivery; a claim taken through one completes through the other, after
// which its token completes nothing through either.
func (s *suite) sharedAcrossProcesses(t *testing.T) {
	if !s.f.SharedAcrossProcesses {
		t.Skip("the backend's opens of one dir are separate stores (Features.SharedAcrossProcesses)")
	}
	fx := s.fixture(t)
	a, b := fx.st, s.open(t, fx.dir)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close the second backend: %v", err)
		}
	})

	db, err := b.DesignLoad(ctx(t))
	if err != nil {
		t.Fatalf("design load through the second backend: %v", err)
	}
	if got, want := canonicalDesign(db), canonicalDesign(fx.load(t)); !reflect.DeepEqual(got, want) {
		t.Fatalf("the second backend's design:\n got %+v\nwant %+v", got, want)
	}
	if err := a.SettingPut(ctx(t), fx.id("admin"), "h"); err != nil {
		t.Fatalf("put setting: %v", err)
	}
	if v, err := b.SettingGet(ctx(t), fx.id("admin")); err != nil || v != "h" {
		t.Fatalf("setting through the second backend = %q %v; want h", v, err)
	}
	if err := a.SessionPut(ctx(t), &storage.SessionPutParams{Hash: fx.key("s"), ExpiresAt: t0.Add(time.Hour), Now: t0}); err != nil {
		t.Fatalf("put session: %v", err)
	}
	if exp, err := b.SessionGet(ctx(t), fx.key("s")); err != nil || !exp.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("session through the second backend = %v %v; want t0+1h", exp, err)
	}

	// The cap of 2 counts one pending occurrence from each backend.
	if _, err := a.OccurrenceInsert(ctx(t), fx.order(t0, 2, fx.toStock(false))); err != nil {
		t.Fatalf("insert through the first backend: %v", err)
	}
	if _, err := b.OccurrenceInsert(ctx(t), fx.order(t0, 2, fx.toStock(false))); err != nil {
		t.Fatalf("insert through the second backend: %v", err)
	}
	_, err = a.OccurrenceInsert(ctx(t), fx.order(t0, 2, fx.toStock(false)))
	wantKind(t, err, fault.ErrQueueFull, "a third insert under a cap of 2, the other two through another backend")
	if depths, err := b.QueueDepths(ctx(t)); err != nil || depths[fx.placed.ID] != 2 {
		t.Fatalf("depths through the second backend = %v %v; want 2 for OrderPlaced", depths, err)
	}

	// Claimers on both backends share the deliveries out, each once; each
	// completes through the other backend.
	const total = 60
	for range total - 2 {
		if _, err := a.OccurrenceInsert(ctx(t), fx.order(t0, bigCap, fx.toStock(false))); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for i := range 6 {
		claimer, completer := a, b
		if i%2 == 1 {
			claimer, completer = b, a
		}
		wg.Go(func() {
			for {
				got, err := claimer.DeliveryClaim(ctx(t), &storage.DeliveryClaimParams{SubscriptionID: fx.stockSub.ID, Limit: 4, Now: t0, LeaseUntil: t0.Add(lease)})
				if err != nil {
					t.Errorf("claim: %v", err)
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
				for _, c := range got {
					if _, err := completer.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{})); err != nil {
						t.Errorf("complete delivery %d through the other backend: %v", c.DeliveryID, err)
					}
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(seen) != total {
		t.Fatalf("claimers on two backends took %d deliveries, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d was claimed %d times across two backends", id, n)
		}
	}
	counts, err := a.DeliveryCounts(ctx(t), time.Time{})
	if err != nil || counts[delivery.Succeeded] != total {
		t.Fatalf("counts = %v %v; want %d succeeded", counts, err, total)
	}

	// A token spent through one backend completes nothing through either.
	r := fx.insert(t, fx.order(t0, bigCap, fx.toStock(true)))
	c := r.Deliveries[0]
	if _, err := b.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{})); err != nil {
		t.Fatalf("complete through the second backend a delivery created claimed through the first: %v", err)
	}
	for name, st := range map[string]storage.Storage{"first": a, "second": b} {
		_, err := st.DeliveryComplete(ctx(t), completion(c, delivery.Succeeded, time.Time{}))
		wantKind(t, err, fault.ErrLeaseLost, "completing a finished delivery again through the "+name+" backend")
	}
}
