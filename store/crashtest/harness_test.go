package crashtest_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/store"
)

// waitBound bounds how long a test waits for asynchronous work before it
// fails; the work itself is driven by the fake clock, not by time passing.
const waitBound = 20 * time.Second

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// harness is a real engine over a real SQLite store in a temp dir, driven
// by a fake clock, with a bus subscriber to wait on. A test crashes it by
// closing h.st under a running handler and restarts it with open.
type harness struct {
	t     *testing.T
	dir   string
	clk   *clock.Fake
	st    *store.Store
	eng   *engine.Engine
	notes *notify.Subscriber
	cfg   engine.Config
}

func newHarness(t *testing.T, cfg engine.Config) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clk: clock.NewFake(start), cfg: cfg}
	h.open()
	return h
}

// open opens the store and an engine on h.dir (again, after a crash).
func (h *harness) open() {
	h.t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Dir: h.dir})
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	cfg := h.cfg
	cfg.Storage = st
	cfg.Clock = h.clk
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Bus = notify.New()
	h.notes = cfg.Bus.Subscribe(100000)
	eng, err := engine.New(ctx, cfg)
	if err != nil {
		h.t.Fatalf("new engine: %v", err)
	}
	h.st, h.eng = st, eng
	h.t.Cleanup(h.close)
}

func (h *harness) start() {
	h.t.Helper()
	if err := h.eng.Start(context.Background()); err != nil {
		h.t.Fatalf("start: %v", err)
	}
}

// close stops the engine and the store; safe to call twice.
func (h *harness) close() {
	if h.eng != nil {
		ctx, cancel := context.WithTimeout(context.Background(), waitBound)
		defer cancel()
		_ = h.eng.Close(ctx)
		h.eng = nil
	}
	if h.st != nil {
		_ = h.st.Close()
		h.st = nil
	}
}

// waitNote returns the first note (from now on) that match accepts.
func (h *harness) waitNote(what string, match func(notify.Note) bool) notify.Note {
	h.t.Helper()
	deadline := time.NewTimer(waitBound)
	defer deadline.Stop()
	for {
		select {
		case n := <-h.notes.C():
			if match(n) {
				return n
			}
		case <-deadline.C:
			h.t.Fatalf("no %s within %s", what, waitBound)
		}
	}
}

// waitTimer waits until a callback is scheduled at exactly at, so moving
// the clock to at fires it.
func (h *harness) waitTimer(at time.Time) {
	h.t.Helper()
	deadline := time.NewTimer(waitBound)
	defer deadline.Stop()
	for {
		changed := h.clk.Changed()
		for _, x := range h.clk.Scheduled() {
			if x.Equal(at) {
				return
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			next, _ := h.clk.Next()
			h.t.Fatalf("no timer scheduled by %s within %s (now %s, %d pending, next %s)", at, waitBound, h.clk.Now(), h.clk.Pending(), next)
		}
	}
}

func kind(k notify.Kind) func(notify.Note) bool {
	return func(n notify.Note) bool { return n.Kind == k }
}

// shopDesign is Shop owning public OrderPlaced, Stock handling it with the
// Go handler "stock".
func (h *harness) shopDesign() {
	h.t.Helper()
	ctx := context.Background()
	must := func(err error) {
		h.t.Helper()
		if err != nil {
			h.t.Fatal(err)
		}
	}
	for _, a := range []string{"Shop", "Stock"} {
		_, err := h.eng.CreateApp(ctx, design.App{Name: a})
		must(err)
	}
	_, err := h.eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true},
		{Name: "Qty", Type: design.Integer, Mandatory: true},
	}})
	must(err)
	_, err = h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true})
	must(err)
}

var orderPlaced = design.EventRef{App: "Shop", Event: "OrderPlaced"}

func order(sku string, qty int) engine.TriggerRequest {
	return engine.TriggerRequest{Event: orderPlaced, Values: map[string]any{"Sku": sku, "Qty": qty}}
}
