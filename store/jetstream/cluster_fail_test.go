package jetstream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
)

// reserving is the "stock" handler of the failure tests: it records the
// run and triggers one StockReserved (the flow effect that must happen
// exactly once per delivery).
func reserving(r *runs) engine.Handler {
	return func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		r.add(d.ID)
		return []engine.Trigger{{Event: "StockReserved", Values: map[string]any{"Sku": "x"}}}, nil
	}
}

// effectsOnce checks, through n, that every order was handled (its
// occurrence succeeded) and that the flow effects are exactly one
// StockReserved per order delivery.
func effectsOnce(t *testing.T, n *node, orders int) {
	t.Helper()
	ctx := context.Background()
	eventually(t, "every order handled", func() bool {
		list, err := n.eng.Occurrences(ctx, engine.OccurrenceFilter{Event: orderPlaced, Status: delivery.OccurrenceCompleted, Limit: 500})
		return err == nil && len(list) == orders
	})
	effects, err := n.eng.Occurrences(ctx, engine.OccurrenceFilter{Event: design.EventRef{App: "Stock", Event: "StockReserved"}, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	parents := map[int64]bool{}
	for _, o := range effects {
		if parents[o.ParentDeliveryID] {
			t.Fatalf("delivery %d triggered its effect twice", o.ParentDeliveryID)
		}
		parents[o.ParentDeliveryID] = true
	}
	if len(effects) != orders {
		t.Fatalf("%d flow effects for %d orders; want one each", len(effects), orders)
	}
}

// TestClusterNodeDiesUnderLoad: node A claims and starts deliveries,
// then dies while the other nodes are still triggering (its connection
// and engine gone, its leases left behind). Once the leases lapse on the
// fake clock, the other nodes' sweeps take the deliveries over: no
// acknowledged trigger is lost and no flow effect happens twice.
//
// Which node claims which delivery is a race on a shared backend (every
// claim goes through the cluster's count of the app's places), so the
// test waits for A to hold at least one, not a fixed number.
func TestClusterNodeDiesUnderLoad(t *testing.T) {
	var r runs
	started := make(chan struct{}, 100)
	hang := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ns := newNodes(t, cluster, 3, func(i int) engine.Config {
		if i == 0 {
			return engine.Config{Handlers: map[string]engine.Handler{"stock": hang}}
		}
		return engine.Config{Handlers: map[string]engine.Handler{"stock": reserving(&r)}}
	})
	a, b := ns.all[0], ns.all[1]
	shop(t, a.eng)
	eventually(t, "the design reaches the other nodes", func() bool {
		return len(b.eng.Design().Subscriptions) == 1 && len(ns.all[2].eng.Design().Subscriptions) == 1
	})
	ctx := context.Background()
	triggerAll := func(i int, n *node) {
		for j := range 10 {
			if _, err := n.eng.Trigger(ctx, order(fmt.Sprintf("N%d-%d", i, j), 1)); err != nil {
				t.Errorf("trigger through node %d: %v", i, err)
			}
		}
	}
	triggerAll(0, a)
	select {
	case <-started:
	case <-time.After(bound):
		t.Fatal("node A started none of the deliveries of its triggers")
	}
	var wg sync.WaitGroup
	for i, n := range ns.all[1:] {
		wg.Go(func() { triggerAll(i+1, n) })
	}
	// A dies: its store goes first, so nothing it does afterwards (the
	// failed attempts of its cancelled handlers, the release of its
	// claims) reaches the cluster.
	_ = a.st.Close()
	dead, cancel := context.WithCancel(ctx)
	cancel() // its running handlers are cancelled at once
	_ = a.eng.Close(dead)
	wg.Wait()
	eventually(t, "the other nodes take A's deliveries over after the lease", func() bool {
		ns.clk.Advance(30 * time.Second)
		d, _ := r.count()
		return d == 30
	})
	effectsOnce(t, b, 30)
	effectsOnce(t, ns.all[2], 30)
}

// TestClusterNATSServerStopsUnderLoad: one NATS server of three stops
// while every node triggers; every trigger is still acknowledged (only
// slower), every order is handled once with one flow effect, and the
// server comes back.
func TestClusterNATSServerStopsUnderLoad(t *testing.T) {
	var r runs
	ns := newNodes(t, cluster, 3, same(engine.Config{Handlers: map[string]engine.Handler{"stock": reserving(&r)}}))
	shop(t, ns.all[0].eng)
	for _, n := range ns.all {
		eventually(t, "the design reaches every node", func() bool { return len(n.eng.Design().Subscriptions) == 1 })
	}
	ctx := context.Background()
	const perNode = 20
	var wg sync.WaitGroup
	halfway := make(chan struct{}, 3)
	for i, n := range ns.all {
		wg.Go(func() {
			for j := range perNode {
				if j == perNode/2 {
					halfway <- struct{}{}
				}
				if _, err := n.eng.Trigger(ctx, order(fmt.Sprintf("N%d-%d", i, j), 1)); err != nil {
					t.Errorf("trigger through node %d with a NATS server down: %v", i, err)
				}
			}
		})
	}
	<-halfway
	cluster.Stop(0)
	wg.Wait()
	effectsOnce(t, ns.all[1], 3*perNode)
	if d, total := r.count(); d != 3*perNode || total != d {
		t.Fatalf("%d runs for %d deliveries; want %d deliveries run once each", total, d, 3*perNode)
	}
	if err := cluster.Restart(0); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	if err := cluster.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
}
