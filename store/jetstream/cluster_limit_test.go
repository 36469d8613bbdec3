package jetstream_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
)

// TestClusterAppConcurrencyLimitAcrossNodes: Stock, with a concurrency
// limit of 2, handles two events; 20 triggers go through the three
// nodes. Its handler blocks until the test lets one run finish; one run
// is let go at a time, and only once the cluster has refilled the place
// it freed. However many nodes race for a freed place, at most 2 runs
// are in progress across all three nodes together (the high-water mark,
// counted by the handler on every node, is exactly 2: reached, never
// exceeded), and each of the 20 deliveries runs once.
func TestClusterAppConcurrencyLimitAcrossNodes(t *testing.T) {
	const (
		limit = 2
		total = 20
	)
	var (
		running, highWater atomic.Int32
		r                  runs
		byNode             [3]atomic.Int32
	)
	release, quit := make(chan struct{}), make(chan struct{})
	handler := func(i int) engine.Handler {
		return func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
			n := running.Add(1)
			for hw := highWater.Load(); n > hw && !highWater.CompareAndSwap(hw, n); hw = highWater.Load() {
			}
			byNode[i].Add(1)
			select {
			case <-release:
			case <-quit:
				running.Add(-1)
				return nil, fmt.Errorf("the test ended before delivery %d was let go", d.ID)
			case <-ctx.Done():
				running.Add(-1)
				return nil, ctx.Err()
			}
			// Out of the count before it is counted as finished, so the
			// test, seeing it finished, waits for the refill.
			running.Add(-1)
			r.add(d.ID)
			return nil, nil
		}
	}
	ns := newNodes(t, cluster, 3, func(i int) engine.Config {
		return engine.Config{Handlers: map[string]engine.Handler{"stock": handler(i)}}
	})
	// Registered after the nodes, so it runs before they stop: a run
	// still blocked then ends instead of holding up the engine's close.
	t.Cleanup(func() { close(quit) })
	a := ns.all[0].eng
	shop(t, a)
	ctx := context.Background()
	stock, err := a.App("Stock")
	if err != nil {
		t.Fatal(err)
	}
	stock.Concurrency = limit
	if _, err := a.UpdateApp(ctx, "Stock", stock); err != nil {
		t.Fatal(err)
	}
	reserved := design.EventRef{App: "Stock", Event: "StockReserved"}
	if _, err := a.CreateSubscription(ctx, "Stock", design.Subscription{Event: reserved,
		Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.all {
		eventually(t, "the design (Stock's limit, its two subscriptions) reaches every node", func() bool {
			d := n.eng.Design()
			for _, app := range d.Apps {
				if app.Name == "Stock" {
					return app.Concurrency == limit && len(d.Subscriptions) == 2
				}
			}
			return false
		})
	}

	var wg sync.WaitGroup
	errs := make(chan error, total)
	for i, n := range ns.all {
		wg.Go(func() {
			for j := i; j < total; j += len(ns.all) {
				req := order(fmt.Sprintf("L-%d", j), j+1)
				if j%2 == 1 {
					req = engine.TriggerRequest{Caller: "Stock", Event: reserved, Values: map[string]any{"Sku": req.Values["Sku"]}}
				}
				if _, err := n.eng.Trigger(ctx, req); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("trigger: %v", err)
	}

	for released := 0; released < total; released++ {
		want := int32(min(limit, total-released))
		eventually(t, fmt.Sprintf("after %d runs let go, %d runs in progress across the nodes", released, want), func() bool {
			if hw := highWater.Load(); hw > limit {
				t.Fatalf("%d of Stock's runs were in progress at once across the three nodes; its limit is %d", hw, limit)
			}
			_, finished := r.count()
			return finished == released && running.Load() == want
		})
		release <- struct{}{}
	}
	eventually(t, "every delivery handled", func() bool { d, _ := r.count(); return d == total })
	if d, runs := r.count(); d != total || runs != total {
		t.Fatalf("%d runs of %d deliveries; want each of the %d deliveries run once", runs, d, total)
	}
	if hw := highWater.Load(); hw != limit {
		t.Fatalf("at most %d of Stock's runs were in progress at once across the three nodes; want exactly its limit, %d", hw, limit)
	}
	for i, n := range ns.all {
		eventually(t, fmt.Sprintf("node %d's history shows the %d deliveries succeeded", i, total), func() bool {
			counts, err := n.st.DeliveryCounts(ctx, time.Time{})
			return err == nil && counts[delivery.Succeeded] == total
		})
	}
	t.Logf("runs per node: %d, %d, %d", byNode[0].Load(), byNode[1].Load(), byNode[2].Load())
}
