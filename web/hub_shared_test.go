package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web"
)

// runCountingHub runs a hub whose encodings are counted in encodes.
func runCountingHub(t *testing.T, bus *notify.Bus, encodes *atomic.Int64) *web.Hub {
	return startHub(t, web.NewHubCountingEncodes(bus, func() { encodes.Add(1) }))
}

// TestHubEncodesEachNoteOnceForAllViewers: 40 viewers without a filter
// and 5 following one trace; each note is encoded once per filter that
// passes it, whatever the number of viewers, and every viewer of a
// filter gets the very same bytes.
func TestHubEncodesEachNoteOnceForAllViewers(t *testing.T) {
	const all, traced, notes = 40, 5, 20
	bus := notify.New()
	var encodes atomic.Int64
	h := runCountingHub(t, bus, &encodes)
	var everyone, followers []*web.Viewer
	for i := 0; i < all; i++ {
		v := h.Join(notes, web.Filter{})
		defer v.Leave()
		everyone = append(everyone, v)
	}
	for i := 0; i < traced; i++ {
		v := h.Join(notes, web.Filter{TraceID: 7})
		defer v.Leave()
		followers = append(followers, v)
	}
	for i := 0; i < notes; i++ {
		bus.Publish(notify.Note{Kind: notify.DeliveryStarted, TraceID: int64(i%2 + 6), App: "Mail"})
	}
	first := make([]web.Envelope, notes)
	for _, v := range everyone {
		for i := 0; i < notes; i++ {
			e := recv(t, v, 1)
			if e.Seq != uint64(i+1) {
				t.Fatalf("envelope %d has seq %d", i, e.Seq)
			}
			if first[i].Message() == nil {
				first[i] = e
				var got web.Envelope
				if err := json.Unmarshal(e.Message().Bytes(), &got); err != nil || got.Seq != e.Seq || got.Note.TraceID != e.Note.TraceID {
					t.Fatalf("encoded envelope %s (%v), want seq %d", e.Message().Bytes(), err, e.Seq)
				}
			} else if e.Message() != first[i].Message() {
				t.Fatalf("envelope %d was encoded again for another viewer", i)
			}
		}
	}
	for _, v := range followers {
		got := recv(t, v, notes/2)
		if got.Seq != notes/2 || got.Note.TraceID != 7 {
			t.Fatalf("last envelope of a trace follower = %+v", got)
		}
	}
	if n := encodes.Load(); n != notes+notes/2 {
		t.Fatalf("%d encodings for %d notes to %d viewers, want %d (one per note and filter)", n, notes, all+traced, notes+notes/2)
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
	var vs []*web.Viewer
	for i := 0; i < viewers; i++ {
		v := h.Join(1, web.Filter{})
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
		var shared *web.Message
		for i, v := range vs {
			var m *web.Message
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
