package series

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/store/mem"
)

// waitBound bounds each wait on asynchronous work; the work itself moves
// with the fake clock.
const waitBound = 20 * time.Second

// shop is a real engine over the in-memory store on a fake clock: Shop
// owns Placed; Stock handles it and succeeds, Mail handles it and fails
// at once for good (no retries), so each trigger makes one success and
// one dead delivery.
type shop struct {
	clk   *clock.Fake
	eng   *engine.Engine
	notes *notify.Subscriber
	ref   design.EventRef
}

func newShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	sh := &shop{clk: clock.NewFake(t0), ref: design.EventRef{App: "Shop", Event: "Placed"}}
	bus := notify.New()
	sh.notes = bus.Subscribe(10000)
	eng, err := engine.New(ctx, engine.Config{Storage: mem.New(), Clock: sh.clk, Bus: bus, MaxRetries: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handlers: map[string]engine.Handler{
			"ok":   func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil },
			"boom": func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, errors.New("boom") },
		}})
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	sh.eng = eng
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, waitBound)
		defer cancel()
		_ = eng.Close(cctx)
	})
	for _, a := range []string{"Shop", "Stock", "Mail"} {
		if _, err := eng.CreateApp(ctx, design.App{Name: a}); err != nil {
			t.Fatalf("create %s: %v", a, err)
		}
	}
	if _, err := eng.CreateEvent(ctx, "Shop", design.Event{Name: "Placed", Public: true}); err != nil {
		t.Fatalf("create event: %v", err)
	}
	for app, fn := range map[string]string{"Stock": "ok", "Mail": "boom"} {
		if _, err := eng.CreateSubscription(ctx, app, design.Subscription{Event: sh.ref, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: fn}}); err != nil {
			t.Fatalf("subscribe %s: %v", app, err)
		}
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	return sh
}

// trigger triggers Placed once and waits until both its deliveries have
// ended; it returns the last note's number.
func (sh *shop) trigger(t *testing.T) uint64 {
	t.Helper()
	if _, err := sh.eng.Trigger(context.Background(), engine.TriggerRequest{Event: sh.ref}); err != nil {
		t.Fatalf("trigger: %v", err)
	}
	ended, timeout := 0, time.After(waitBound)
	for {
		select {
		case n := <-sh.notes.C():
			if n.Kind == notify.DeliverySucceeded || n.Kind == notify.DeliveryDead {
				if ended++; ended == 2 {
					return n.Seq
				}
			}
		case <-timeout:
			t.Fatalf("the deliveries did not end within %s", waitBound)
		}
	}
}

// TestStartRebuildsHistoryThenCountsLive: what happened before Start is
// read back from storage (Rebuilding until then), what happens after is
// counted from the bus, and nothing is counted twice.
func TestStartRebuildsHistoryThenCountsLive(t *testing.T) {
	sh := newShop(t)
	sh.trigger(t)
	sh.clk.Advance(30 * time.Second)
	sh.trigger(t)
	sh.clk.Advance(time.Second) // the restart: history is what came before it

	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	s := New(Config{})
	s.Start(ctx, sh.eng)
	select {
	case <-s.Rebuilt():
	case <-ctx.Done():
		t.Fatal("the rebuild did not finish")
	}
	st := s.Status()
	if st.Rebuilding || st.Err != "" || st.Read != 6 { // 2 occurrences, 4 attempts
		t.Fatalf("status after the rebuild %+v; want done, no error, 6 records read", st)
	}
	check := func(when string, key Key, accepted, succeeded, dead uint64) {
		t.Helper()
		for _, w := range []Window{Hour, Day} {
			tot := s.Frame(key, w, sh.clk.Now()).Totals
			if tot.Accepted != accepted || tot.Succeeded != succeeded || tot.Dead != dead || tot.Failed != 0 {
				t.Fatalf("%s, %s window of %+v: %+v; want %d accepted, %d succeeded, %d dead", when, w, key, tot, accepted, succeeded, dead)
			}
		}
	}
	check("rebuilt", Total(), 2, 2, 2)
	check("rebuilt", Key{Event: "Shop.Placed"}, 2, 2, 2)
	check("rebuilt", Key{App: "Shop"}, 2, 0, 0)
	check("rebuilt", Key{App: "Stock"}, 0, 2, 0)
	check("rebuilt", Key{App: "Mail"}, 0, 0, 2)
	// The two triggers were 30 s apart: the hour's points keep them apart.
	f := s.Frame(Total(), Hour, sh.clk.Now())
	if n := len(f.Times); f.Accepted[n-1] != 1 || f.Accepted[n-4] != 1 {
		t.Fatalf("rebuilt points %v; want one trigger a second ago and one 30 s before it", f.Accepted[n-4:])
	}
	// Start sampled the queues (both deliveries ended: nothing pending).
	if q := last(f.QueuePending); q == nil || *q != 0 || *last(f.QueueCap) != 10000 {
		t.Fatalf("queue sample %v, want 0 of 10000", q)
	}

	sh.clk.Advance(10 * time.Second)
	seq := sh.trigger(t)
	if err := s.WaitNoted(ctx, seq); err != nil {
		t.Fatal(err)
	}
	check("live", Total(), 3, 3, 3)
	check("live", Key{App: "Mail"}, 0, 0, 3)
	if f := s.Frame(Key{App: "Stock"}, Hour, sh.clk.Now()); last(f.LatencyP50Ms) == nil {
		t.Fatal("a live attempt has no latency (its start note was not paired with its end)")
	}
}

// TestRebuildIsCancelled: a Start whose context ends stops its rebuild and
// still closes Rebuilt, with no error reported for the cancellation.
func TestRebuildIsCancelled(t *testing.T) {
	sh := newShop(t)
	sh.trigger(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(Config{})
	s.Start(ctx, sh.eng)
	select {
	case <-s.Rebuilt():
	case <-time.After(waitBound):
		t.Fatal("a cancelled rebuild did not finish")
	}
	if st := s.Status(); st.Rebuilding || st.Err != "" {
		t.Fatalf("status %+v; want done without an error", st)
	}
}
