package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web"
)

func runHub(t testing.TB, bus *notify.Bus) *web.Hub {
	return startHub(t, web.NewHub(bus))
}

// startHub runs h until the test ends.
func startHub(t testing.TB, h *web.Hub) *web.Hub {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func TestHubFiltersAndNumbersEnvelopes(t *testing.T) {
	bus := notify.New()
	h := runHub(t, bus)
	all := h.Join(100, web.Filter{})
	one := h.Join(100, web.Filter{TraceID: 7})
	slow := h.Join(2, web.Filter{Apps: []string{"Mail"}})
	defer all.Leave()
	defer one.Leave()
	defer slow.Leave()
	// One note at a time, each read before the next is published: each
	// goes out in a message of its own, so the slow viewer's two places
	// hold two of ten.
	for i := 0; i < 10; i++ {
		bus.Publish(notify.Note{Kind: notify.DeliveryStarted, TraceID: int64(i%2 + 6), App: "Mail"})
		recv(t, all, 1)
	}
	bus.Publish(notify.Note{Kind: notify.OccurrenceTriggered, TraceID: 99, App: "Shop"}) // a marker
	last := recv(t, all, 1)
	if last.Note.TraceID != 99 || last.Seq != 11 || last.Dropped != 0 {
		t.Fatalf("last envelope to the unfiltered viewer = %+v", last)
	}
	got := drain(one)
	if len(got) != 5 {
		t.Fatalf("trace filter passed %d notes, want 5", len(got))
	}
	for i, e := range got {
		if e.Note.TraceID != 7 || e.Seq != uint64(i+1) {
			t.Fatalf("envelope %d = %+v", i, e)
		}
	}
	if slow.Dropped() != 8 {
		t.Fatalf("slow viewer dropped %d, want 8 of 10", slow.Dropped())
	}
	if kept := drain(slow); len(kept) != 2 || kept[0].Seq != 1 || kept[1].Seq != 2 {
		t.Fatalf("slow viewer kept %+v, want seq 1 and 2", kept)
	}
}

// TestHubCountsPerAppAndSubscription: the totals the designer's numbers
// come from, per handling app and per subscription (edge).
func TestHubCountsPerAppAndSubscription(t *testing.T) {
	bus := notify.New()
	h := runHub(t, bus)
	v := h.Join(100, web.Filter{})
	defer v.Leave()
	notes := []notify.Note{
		{Kind: notify.OccurrenceTriggered, App: "Shop", Event: "Shop.Placed"},
		{Kind: notify.DeliveryStarted, App: "Mail", Event: "Shop.Placed"},
		{Kind: notify.DeliveryFailed, App: "Mail", Event: "Shop.Placed"},
		{Kind: notify.DeliveryStarted, App: "Mail", Event: "Shop.Placed"},
		{Kind: notify.DeliveryDead, App: "Mail", Event: "Shop.Placed"},
		{Kind: notify.DeliveryStarted, App: "Mail", Event: "Stock.Reserved"},
		{Kind: notify.DeliverySucceeded, App: "Mail", Event: "Stock.Reserved"},
	}
	for _, n := range notes {
		bus.Publish(n)
	}
	recv(t, v, len(notes)) // counted before fanned out
	c := h.Counts()
	if c.Triggered["Shop.Placed"] != 1 {
		t.Fatalf("triggered = %v", c.Triggered)
	}
	if a := c.Apps["Mail"]; a == nil || *a != (web.AppCounts{Started: 3, Succeeded: 1, Failed: 1, Dead: 1}) {
		t.Fatalf("Mail = %+v", a)
	}
	if e := c.Subs["Mail:Shop.Placed"]; e == nil || *e != (web.AppCounts{Started: 2, Failed: 1, Dead: 1}) {
		t.Fatalf("Mail:Shop.Placed = %+v", e)
	}
	if e := c.Subs["Mail:Stock.Reserved"]; e == nil || *e != (web.AppCounts{Started: 1, Succeeded: 1}) {
		t.Fatalf("Mail:Stock.Reserved = %+v", e)
	}
	c.Subs["Mail:Stock.Reserved"].Started = 99
	if h.Counts().Subs["Mail:Stock.Reserved"].Started != 1 {
		t.Fatal("Counts returned the hub's own totals, not a copy")
	}
}

// recv reads v's batches until n envelopes have come and returns the
// n-th.
func recv(t *testing.T, v *web.Viewer, n int) web.Envelope {
	t.Helper()
	return envelopes(t, v, n)[n-1]
}

// envelopes reads v's batches until at least n envelopes have come.
func envelopes(t *testing.T, v *web.Viewer, n int) []web.Envelope {
	t.Helper()
	var out []web.Envelope
	for len(out) < n {
		select {
		case b := <-v.C():
			out = append(out, b.Envelopes...)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d envelopes came", len(out), n)
		}
	}
	return out
}

// drain takes the envelopes of every batch v holds.
func drain(v *web.Viewer) []web.Envelope {
	var out []web.Envelope
	for {
		select {
		case b := <-v.C():
			out = append(out, b.Envelopes...)
		default:
			return out
		}
	}
}

// noopServer is a real server whose Stock app handles Shop.Placed with a
// Go handler that does nothing.
func noopServer(t testing.TB) (*apiServer, design.EventRef) {
	noop := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s := newAPIServer(t, engine.Config{Handlers: map[string]engine.Handler{"noop": noop}})
	ctx := context.Background()
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
func awaitSuccesses(t testing.TB, s *apiServer, n int) {
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
	// extra reads every message, to see the hub's progress.
	extra := h.Join(1024, web.Filter{})
	defer extra.Leave()
	var viewers []*web.Viewer
	for i := 0; i < 10; i++ {
		v := h.Join(2, web.Filter{})
		defer v.Leave()
		viewers = append(viewers, v)
	}
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

// BenchmarkHubTenViewers reports notes/s fanned out to 10 reading viewers.
func BenchmarkHubTenViewers(b *testing.B) {
	bus := notify.New()
	h := runHub(b, bus)
	done := make(chan struct{})
	for i := 0; i < 10; i++ {
		v := h.Join(1024, web.Filter{})
		defer v.Leave()
		go func() {
			for {
				select {
				case <-v.C():
				case <-done:
					return
				}
			}
		}()
	}
	defer close(done)
	n := notify.Note{Kind: notify.DeliverySucceeded, App: "Mail", Event: "Shop.Placed"}
	start := time.Now()
	for b.Loop() {
		bus.Publish(n)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notes/s")
}

// BenchmarkEngineWithSlowViewers compares the engine's throughput with no
// viewer and with 10 viewers that never read; compare the events/s of the
// two sub-benchmarks.
func BenchmarkEngineWithSlowViewers(b *testing.B) {
	for _, viewers := range []int{0, 10} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) {
			s, ref := noopServer(b)
			var slow []*web.Viewer
			if viewers > 0 {
				h := runHub(b, s.eng.Bus())
				for i := 0; i < viewers; i++ {
					v := h.Join(16, web.Filter{})
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
