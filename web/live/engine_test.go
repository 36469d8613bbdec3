package live_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/store/mem"
	"github.com/eventloom/eventloom/web/live"
)

// noopEngine is a running engine (on the in-memory store) whose Stock
// app handles Shop.Placed with a Go handler that does nothing; notes
// hears its bus.
type noopEngine struct {
	eng   *engine.Engine
	notes *notify.Subscriber
}

func noopServer(t testing.TB) (*noopEngine, design.EventRef) {
	t.Helper()
	noop := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	ctx := context.Background()
	st := mem.New()
	bus := notify.New()
	notes := bus.Subscribe(100000)
	eng, err := engine.New(ctx, engine.Config{Storage: st, Bus: bus, Handlers: map[string]engine.Handler{"noop": noop},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_ = eng.Close(cctx)
		_ = st.Close()
	})
	s := &noopEngine{eng: eng, notes: notes}
	for _, a := range []string{"Shop", "Stock"} {
		if _, err := s.eng.CreateApp(ctx, design.App{Name: a}); err != nil {
			t.Fatal(err)
		}
	}
	ref := design.EventRef{App: "Shop", Event: "Placed"}
	if _, err := s.eng.CreateEvent(ctx, "Shop", design.Event{Name: "Placed", Public: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: ref, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "noop"}}); err != nil {
		t.Fatal(err)
	}
	return s, ref
}

// awaitSuccesses waits for n successful deliveries.
func awaitSuccesses(t testing.TB, s *noopEngine, n int) {
	t.Helper()
	for done := 0; done < n; {
		select {
		case note := <-s.notes.C():
			if note.Kind == notify.DeliverySucceeded {
				done++
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%d of %d deliveries succeeded", done, n)
		}
	}
}

// TestHubSlowViewersDoNotHoldTheEngine runs a load through a real engine
// while 10 viewers never read: every delivery still succeeds, and every
// note is accounted for, kept, lost to the viewer's full buffer or
// skipped by the rate cap, with the gaps in Seq to show it.
func TestHubSlowViewersDoNotHoldTheEngine(t *testing.T) {
	s, ref := noopServer(t)
	h := runHub(t, s.eng.Bus())
	var viewers []*live.Viewer
	for i := 0; i < 10; i++ {
		v := h.Join(2, live.Filter{})
		defer v.Leave()
		viewers = append(viewers, v)
	}
	// extra reads every message, to see the hub's progress, once the load
	// is in: its buffer holds a batch per note (3*total+1), since a busy
	// machine makes many small batches and a full buffer would drop the
	// marker it waits for. It joins last, so the hub offers each batch to
	// the slow viewers before it: once extra has the marker, every slow
	// viewer has been offered it and its counts are final.
	extra := h.Join(4096, live.Filter{})
	defer extra.Leave()
	const total = 500
	for i := 0; i < total; i++ {
		if _, err := s.eng.Trigger(context.Background(), engine.TriggerRequest{Event: ref}); err != nil {
			t.Fatal(err)
		}
	}
	awaitSuccesses(t, s, total)
	// A marker after the load: once it is out, so is every note before
	// it (the rate cap keeps the latest notes of a batch).
	s.eng.Bus().Publish(notify.Note{Kind: notify.FlowLogged, App: "Marker"})
	for marked := false; !marked; {
		got := envelopes(t, extra, 1)
		marked = got[len(got)-1].Note.App == "Marker"
	}
	for i, v := range viewers {
		v.Leave()
		got := drain(v)
		for j := 1; j < len(got); j++ {
			if got[j].Seq <= got[j-1].Seq {
				t.Fatalf("viewer %d: seq %d after %d", i, got[j].Seq, got[j-1].Seq)
			}
		}
		// 1,500 notes (triggered, started, succeeded) and the marker.
		if n := uint64(len(got)) + v.Dropped() + h.Skipped(); n != 3*total+1 {
			t.Fatalf("viewer %d: %d kept + %d dropped + %d skipped, want %d notes", i, len(got), v.Dropped(), h.Skipped(), 3*total+1)
		}
	}
	t.Logf("each slow viewer lost %d envelopes", viewers[0].Dropped())
}

// BenchmarkEngineWithSlowViewers compares the engine's throughput with no
// viewer and with 10 viewers that never read; compare the events/s of the
// two sub-benchmarks.
func BenchmarkEngineWithSlowViewers(b *testing.B) {
	for _, viewers := range []int{0, 10} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) {
			s, ref := noopServer(b)
			var slow []*live.Viewer
			if viewers > 0 {
				h := runHub(b, s.eng.Bus())
				for i := 0; i < viewers; i++ {
					v := h.Join(16, live.Filter{})
					defer v.Leave()
					slow = append(slow, v)
				}
			}
			ctx := context.Background()
			start := time.Now()
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.eng.Trigger(ctx, engine.TriggerRequest{Event: ref}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			awaitSuccesses(b, s, b.N)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			if len(slow) > 0 {
				var lost uint64
				for _, v := range slow {
					lost += v.Dropped()
				}
				b.ReportMetric(float64(lost)/float64(len(slow)), "dropped/viewer")
			}
		})
	}
}
