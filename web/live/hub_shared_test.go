package live_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web/live"
)

// runCountingHub runs a hub whose encodings are counted in encodes.
func runCountingHub(t *testing.T, bus *notify.Bus, encodes *atomic.Int64) *live.Hub {
	return startHub(t, live.NewHubCountingEncodes(bus, func() { encodes.Add(1) }))
}

// TestHubEncodesEachNoteOnceForAllViewers: 40 viewers without a filter
// and 5 following one trace; each message is encoded once per filter that
// passes its notes, whatever the number of viewers, and every viewer of a
// filter gets the very same bytes.
func TestHubEncodesEachNoteOnceForAllViewers(t *testing.T) {
	const all, traced, notes = 40, 5, 20
	bus := notify.New()
	var encodes atomic.Int64
	h := runCountingHub(t, bus, &encodes)
	var everyone, followers []*live.Viewer
	for i := 0; i < all; i++ {
		v := h.Join(notes, live.Filter{})
		defer v.Leave()
		everyone = append(everyone, v)
	}
	for i := 0; i < traced; i++ {
		v := h.Join(notes, live.Filter{TraceID: 7})
		defer v.Leave()
		followers = append(followers, v)
	}
	// One note at a time: each read by every viewer before the next, so
	// each goes out alone.
	for i := 0; i < notes; i++ {
		trace := int64(i%2 + 6)
		bus.Publish(notify.Note{Kind: notify.DeliveryStarted, TraceID: trace, App: "Mail"})
		group := everyone
		if trace == 7 {
			group = append(slices.Clone(everyone), followers...)
		}
		// The message each filter's viewers got, by the filter's trace.
		shared := map[int64]*live.Frame{}
		for _, v := range group {
			var b live.Batch
			select {
			case b = <-v.C():
			case <-time.After(10 * time.Second):
				t.Fatalf("note %d did not come", i)
			}
			e := b.Envelopes[0]
			if len(b.Envelopes) != 1 || e.Note.TraceID != trace {
				t.Fatalf("note %d came as %+v", i, b.Envelopes)
			}
			var wire live.Message
			if err := json.Unmarshal(b.Frame().Bytes(), &wire); err != nil || len(wire.Envelopes()) != 1 || wire.Envelopes()[0].Seq != e.Seq {
				t.Fatalf("note %d encoded as %s (%v), want seq %d", i, b.Frame().Bytes(), err, e.Seq)
			}
			fk := int64(0)
			if slices.Contains(followers, v) {
				fk = 7
			}
			if m := shared[fk]; m == nil {
				shared[fk] = b.Frame()
			} else if m != b.Frame() {
				t.Fatalf("note %d was encoded again for another viewer of the same filter", i)
			}
		}
	}
	if n := encodes.Load(); n != notes+notes/2 {
		t.Fatalf("%d encodings for %d notes to %d viewers, want %d (one per note and filter)", n, notes, all+traced, notes+notes/2)
	}
}

// TestHubBatchesAndCapsABurst: a burst goes out in messages of at most
// the cap, keeping the latest notes; the ones skipped show as a gap in
// Seq and in Skipped.
func TestHubBatchesAndCapsABurst(t *testing.T) {
	const burst = 3 * live.HubMaxBatch
	bus := notify.New()
	h := live.NewHub(bus)
	v := h.Join(10, live.Filter{})
	defer v.Leave()
	// Published before the hub runs: the first note goes out at once,
	// the rest arrive together within the flush interval.
	for i := 1; i <= burst; i++ {
		bus.Publish(notify.Note{Kind: notify.DeliveryStarted, OccurrenceID: int64(i), App: "Mail"})
	}
	startHub(t, h)
	// However the hub's reading falls into flush intervals, no message
	// holds more than the cap, the latest note is kept, and every note
	// skipped shows as a gap in Seq.
	var got []live.Envelope
	for len(got) == 0 || got[len(got)-1].Seq != burst {
		select {
		case b := <-v.C():
			if len(b.Envelopes) > live.HubMaxBatch {
				t.Fatalf("a message of %d notes, over the cap of %d", len(b.Envelopes), live.HubMaxBatch)
			}
			got = append(got, b.Envelopes...)
		case <-time.After(10 * time.Second):
			t.Fatalf("the latest note never came; got %d", len(got))
		}
	}
	var gaps uint64
	prev := uint64(0)
	for _, e := range got {
		if e.Seq <= prev {
			t.Fatalf("seq %d after %d", e.Seq, prev)
		}
		gaps += e.Seq - prev - 1
		prev = e.Seq
	}
	if got[len(got)-1].Note.OccurrenceID != burst {
		t.Fatalf("the last note kept is %+v, want the latest", got[len(got)-1].Note)
	}
	if h.Skipped() == 0 || gaps != h.Skipped() || uint64(len(got))+h.Skipped() != burst {
		t.Fatalf("%d kept, %d skipped, %d missing from seq; want some skipped, each a gap, %d in all", len(got), h.Skipped(), gaps, burst)
	}
}

// TestHubComputesCountersOncePerTick: however many viewers are joined,
// the counters are computed and encoded once per tick of the (fake)
// clock, and each viewer gets that one message.
func TestHubComputesCountersOncePerTick(t *testing.T) {
	const viewers = 30
	bus := notify.New()
	var encodes atomic.Int64
	h := runCountingHub(t, bus, &encodes)
	var vs []*live.Viewer
	for i := 0; i < viewers; i++ {
		v := h.Join(1, live.Filter{})
		defer v.Leave()
		vs = append(vs, v)
	}
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	var computed atomic.Int64
	compute := func(context.Context) (any, error) {
		return map[string]int64{"tick": computed.Add(1)}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.RunStats(ctx, clk, time.Second, compute, slog.Default()); close(done) }()
	defer func() { cancel(); <-done }()
	for tick := int64(1); tick <= 3; tick++ {
		waitClockTimer(t, clk, clk.Now().Add(time.Second))
		clk.Advance(time.Second)
		var shared *live.Frame
		for i, v := range vs {
			var m *live.Frame
			select {
			case m = <-v.Stats():
			case <-time.After(10 * time.Second):
				t.Fatalf("tick %d: viewer %d got no counters", tick, i)
			}
			var got map[string]int64
			if err := json.Unmarshal(m.Bytes(), &got); err != nil || got["tick"] != tick {
				t.Fatalf("tick %d: viewer %d got %s (%v)", tick, i, m.Bytes(), err)
			}
			if shared == nil {
				shared = m
			} else if m != shared {
				t.Fatalf("tick %d: viewer %d got counters encoded again", tick, i)
			}
		}
		if n := computed.Load(); n != tick {
			t.Fatalf("after %d ticks the counters were computed %d times for %d viewers", tick, n, viewers)
		}
	}
	if n := encodes.Load(); n != 3 {
		t.Fatalf("%d encodings of the counters in 3 ticks", n)
	}
}

// waitClockTimer waits until clk has a timer at exactly at, so moving the
// clock there fires it (moving it earlier would race with the ticker
// computing its delay from the time it read).
func waitClockTimer(t *testing.T, clk *clock.Fake, at time.Time) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		changed := clk.Changed()
		if slices.ContainsFunc(clk.Scheduled(), at.Equal) {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no timer at %s within 30s (now %s)", at, clk.Now())
		}
	}
}
