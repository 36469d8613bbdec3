package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store/jetstream"
	"github.com/eventloom/eventloom/store/jetstream/natscluster"
)

// bound is how long a cluster test waits for asynchronous work before it
// fails; the work is driven by commands and the fake clock, not by time.
// Generous: at a high load (a CI run beside a 1M-row benchmark) a dying
// node's ten deliveries once took over 60 s to start.
const bound = 3 * time.Minute

var (
	t0          = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	orderPlaced = design.EventRef{App: "Shop", Event: "OrderPlaced"}
)

// node is one Eventloom node of a test: an engine on its own JetStream
// store (its own connection) of the test's stream.
type node struct {
	st  *jetstream.Store
	eng *engine.Engine
	bus *notify.Bus
}

// nodes is a test's Eventloom cluster on the shared NATS cluster.
type nodes struct {
	t      *testing.T
	c      *natscluster.Cluster
	stream string
	clk    *clock.Fake
	// cfg is node i's engine configuration.
	cfg func(i int) engine.Config
	all []*node
}

func newNodes(t *testing.T, c *natscluster.Cluster, n int, cfg func(i int) engine.Config) *nodes {
	ns := &nodes{t: t, c: c, stream: "C" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), clk: clock.NewFake(t0), cfg: cfg}
	for range n {
		ns.add()
	}
	return ns
}

// add opens one more node on the stream (a node that starts, or
// restarts, replays the whole log first) and starts its engine.
func (ns *nodes) add() *node {
	t := ns.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	st, err := jetstream.Open(ctx, jetstream.Config{URL: ns.c.URL(), Stream: ns.stream})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ns.cfg(len(ns.all))
	cfg.Storage, cfg.Clock, cfg.Bus = st, ns.clk, notify.New()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	n := &node{st: st, eng: eng, bus: cfg.Bus}
	ns.all = append(ns.all, n)
	t.Cleanup(func() { n.stop() })
	return n
}

// same gives every node cfg.
func same(cfg engine.Config) func(int) engine.Config { return func(int) engine.Config { return cfg } }

// stop closes the node's engine and store; calling it again is harmless.
func (n *node) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	_ = n.eng.Close(ctx)
	_ = n.st.Close()
}

// eventually waits until cond holds, re-checking whenever the clock or
// the cluster may have moved; it fails the test after bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, bound)
		}
		<-tick.C
	}
}

// shop creates the test design through one node: Shop owns public
// OrderPlaced and private Audit, Stock handles OrderPlaced with Go
// handler "stock" and owns StockReserved (what the handler triggers).
func shop(t *testing.T, eng *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"Shop", "Stock", "Mail"} {
		must(eng.CreateApp(ctx, design.App{Name: a}))
	}
	must(eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true}, {Name: "Qty", Type: design.Integer, Mandatory: true}}}))
	must(eng.CreateEvent(ctx, "Shop", design.Event{Name: "Audit", Parameters: []design.Parameter{{Name: "Sku", Type: design.Text}}}))
	must(eng.CreateEvent(ctx, "Stock", design.Event{Name: "StockReserved", Parameters: []design.Parameter{{Name: "Sku", Type: design.Text}}}))
	must(eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true}))
}

func order(sku string, qty int) engine.TriggerRequest {
	return engine.TriggerRequest{Caller: "Shop", Event: orderPlaced, Values: map[string]any{"Sku": sku, "Qty": qty}}
}

// runs records which deliveries a handler ran, on any node.
type runs struct {
	mu   sync.Mutex
	runs map[int64]int
}

func (r *runs) add(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = map[int64]int{}
	}
	r.runs[id]++
}

func (r *runs) count() (deliveries, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.runs {
		total += n
	}
	return len(r.runs), total
}

// TestClusterRulesHoldAcrossNodes: three nodes on one stream. A design
// made on one node reaches the others (their refusals prove it: owner
// only, private events, payload sizes); triggers through every node are
// each handled exactly once, on whichever node; a node that starts later
// replays the log and has the same design and history.
func TestClusterRulesHoldAcrossNodes(t *testing.T) {
	var r runs
	stock := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		r.add(d.ID)
		return []engine.Trigger{{Event: "StockReserved", Values: map[string]any{"Sku": "x"}}}, nil
	}
	ns := newNodes(t, cluster, 3, same(engine.Config{Handlers: map[string]engine.Handler{"stock": stock}}))
	a, b, c := ns.all[0], ns.all[1], ns.all[2]
	shop(t, a.eng)
	eventually(t, "the design reaches the other nodes", func() bool {
		return len(b.eng.Design().Subscriptions) == 1 && len(c.eng.Design().Subscriptions) == 1
	})
	ctx := context.Background()

	req := order("A-1", 1)
	req.Caller = "Stock"
	if _, err := c.eng.Trigger(ctx, req); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("Stock triggering Shop.OrderPlaced through another node = %v; want forbidden (owner only)", err)
	}
	_, err := b.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: design.EventRef{App: "Shop", Event: "Audit"},
		Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true})
	if !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("Mail handling private Shop.Audit through another node = %v; want forbidden", err)
	}
	if _, err := c.eng.Trigger(ctx, order(strings.Repeat("x", 2001), 1)); !errors.Is(err, fault.ErrInvalid) && !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("a Text of 2,001 characters through another node = %v; want refused", err)
	}

	const perNode = 10
	var wg sync.WaitGroup
	errs := make(chan error, 3*perNode)
	for i, n := range ns.all {
		wg.Go(func() {
			for j := range perNode {
				if _, err := n.eng.Trigger(ctx, order(fmt.Sprintf("N%d-%d", i, j), j+1)); err != nil {
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
	eventually(t, "every delivery handled", func() bool { d, _ := r.count(); return d == 3*perNode })
	if d, total := r.count(); total != d {
		t.Fatalf("%d runs for %d deliveries; each must run once", total, d)
	}
	reserved := design.EventRef{App: "Stock", Event: "StockReserved"}
	for _, n := range ns.all {
		eventually(t, "every node's history shows every flow effect once", func() bool {
			list, err := n.eng.Occurrences(ctx, engine.OccurrenceFilter{Event: reserved, Limit: 500})
			return err == nil && len(list) == 3*perNode
		})
	}

	d := ns.add()
	if got, want := len(d.eng.Design().Subscriptions), 1; got != want {
		t.Fatalf("a node started later has %d subscriptions; want %d", got, want)
	}
	list, err := d.eng.Occurrences(ctx, engine.OccurrenceFilter{Event: orderPlaced, Limit: 500})
	if err != nil || len(list) != 3*perNode {
		t.Fatalf("a node started later lists %d orders (%v); want %d", len(list), err, 3*perNode)
	}
}

// TestClusterQueueCapExactlyAcrossNodes: three nodes fill one event's
// queue at once with batches; exactly the cap (10,000) is stored, every
// node then refuses the next trigger with queue_full, and nothing was
// stored past the cap.
func TestClusterQueueCapExactlyAcrossNodes(t *testing.T) {
	ns := newNodes(t, cluster, 3, same(engine.Config{QueueCap: 10000, Handlers: map[string]engine.Handler{
		"stock": func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }}}))
	shop(t, ns.all[0].eng)
	ctx := context.Background()
	if _, err := ns.all[0].eng.PauseSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.all {
		eventually(t, "the pause reaches every node", func() bool {
			s := n.eng.Design().Subscriptions
			return len(s) == 1 && s[0].Paused
		})
	}
	batch := make([]engine.TriggerRequest, engine.MaxTriggerBatch)
	for i := range batch {
		batch[i] = order("S", i+1)
	}
	var mu sync.Mutex
	accepted, refused := 0, 0
	var wg sync.WaitGroup
	for _, n := range ns.all {
		wg.Go(func() {
			for {
				out, err := n.eng.TriggerBatch(ctx, batch)
				if err != nil {
					t.Errorf("batch: %v", err)
					return
				}
				full := 0
				mu.Lock()
				for _, o := range out {
					switch {
					case o.Err == nil:
						accepted++
					case errors.Is(o.Err, fault.ErrQueueFull):
						refused++
						full++
					default:
						t.Errorf("batch item: %v", o.Err)
					}
				}
				mu.Unlock()
				if full > 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if accepted != 10000 || refused == 0 {
		t.Fatalf("accepted %d, refused %d; want exactly 10000 accepted and the rest refused", accepted, refused)
	}
	for i, n := range ns.all {
		if _, err := n.eng.Trigger(ctx, order("over", 1)); !errors.Is(err, fault.ErrQueueFull) {
			t.Fatalf("node %d: a trigger past the cap = %v; want queue_full", i, err)
		}
		depths, err := n.st.QueueDepths(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, d := range depths {
			total += d
		}
		if total != 10000 {
			t.Fatalf("node %d: %d pending occurrences; want 10000", i, total)
		}
		newest, err := n.st.OccurrenceList(ctx, &storage.OccurrenceListParams{Limit: 1})
		if err != nil || len(newest) != 1 || newest[0].ID != 10000 {
			t.Fatalf("node %d: newest occurrence %+v (%v); want id 10000: nothing stored past the cap", i, newest, err)
		}
	}
}
