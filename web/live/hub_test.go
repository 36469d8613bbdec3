package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web/live"
)

func runHub(t testing.TB, bus *notify.Bus) *live.Hub {
	return startHub(t, live.NewHub(bus))
}

// startHub runs h until the test ends.
func startHub(t testing.TB, h *live.Hub) *live.Hub {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func TestHubFiltersAndNumbersEnvelopes(t *testing.T) {
	bus := notify.New()
	h := runHub(t, bus)
	all := h.Join(100, live.Filter{})
	one := h.Join(100, live.Filter{TraceID: 7})
	slow := h.Join(2, live.Filter{Apps: []string{"Mail"}})
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
	v := h.Join(100, live.Filter{})
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
	if a := c.Apps["Mail"]; a == nil || *a != (live.AppCounts{Started: 3, Succeeded: 1, Failed: 1, Dead: 1}) {
		t.Fatalf("Mail = %+v", a)
	}
	if e := c.Subs["Mail:Shop.Placed"]; e == nil || *e != (live.AppCounts{Started: 2, Failed: 1, Dead: 1}) {
		t.Fatalf("Mail:Shop.Placed = %+v", e)
	}
	if e := c.Subs["Mail:Stock.Reserved"]; e == nil || *e != (live.AppCounts{Started: 1, Succeeded: 1}) {
		t.Fatalf("Mail:Stock.Reserved = %+v", e)
	}
	c.Subs["Mail:Stock.Reserved"].Started = 99
	if h.Counts().Subs["Mail:Stock.Reserved"].Started != 1 {
		t.Fatal("Counts returned the hub's own totals, not a copy")
	}
}

// recv reads v's batches until n envelopes have come and returns the
// n-th.
func recv(t *testing.T, v *live.Viewer, n int) live.Envelope {
	t.Helper()
	return envelopes(t, v, n)[n-1]
}

// envelopes reads v's batches until at least n envelopes have come.
func envelopes(t *testing.T, v *live.Viewer, n int) []live.Envelope {
	t.Helper()
	var out []live.Envelope
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
func drain(v *live.Viewer) []live.Envelope {
	var out []live.Envelope
	for {
		select {
		case b := <-v.C():
			out = append(out, b.Envelopes...)
		default:
			return out
		}
	}
}

// BenchmarkHubTenViewers reports notes/s fanned out to 10 reading viewers.
func BenchmarkHubTenViewers(b *testing.B) {
	bus := notify.New()
	h := runHub(b, bus)
	done := make(chan struct{})
	for i := 0; i < 10; i++ {
		v := h.Join(1024, live.Filter{})
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
