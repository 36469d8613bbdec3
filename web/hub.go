package web

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/eventloom/eventloom/engine/notify"
)

// hubBusBuffer is the hub's own buffer on the engine bus: deep enough to
// ride out a burst while it fans out, never a reason for the engine to
// wait (the bus drops instead, and the hub tells every viewer).
const hubBusBuffer = 1 << 16

// Filter narrows what a viewer receives; empty fields do not filter.
type Filter struct {
	// Apps keeps notes whose app (producer or handling app) is listed.
	Apps []string `json:"apps,omitempty"`
	// Events keeps notes of the listed events ("Producer.EventName").
	Events []string `json:"events,omitempty"`
	// TraceID keeps one chain.
	TraceID int64 `json:"traceId,omitempty"`
}

func (f *Filter) match(n *notify.Note) bool {
	if f == nil {
		return true
	}
	if f.TraceID != 0 && n.TraceID != f.TraceID {
		return false
	}
	if len(f.Apps) > 0 && !slices.Contains(f.Apps, n.App) {
		return false
	}
	if len(f.Events) > 0 && !slices.Contains(f.Events, n.Event) {
		return false
	}
	return true
}

// Envelope is one message to a viewer. Seq counts the notes meant for
// this viewer (after its filter), so a gap in Seq is a note it lost;
// Dropped is how many it has lost so far, here or upstream of the hub.
type Envelope struct {
	Seq     uint64 `json:"seq"`
	Dropped uint64 `json:"dropped"`
	// Note is shared by every viewer's envelope; it must not be modified.
	Note *notify.Note `json:"note"`
}

// Hub fans the engine's notifications out to live viewers. A viewer has a
// bounded buffer; one that does not keep up loses envelopes and is told
// how many, and never slows the hub, let alone the engine.
type Hub struct {
	sub     *notify.Subscriber
	mu      sync.Mutex
	viewers atomic.Pointer[[]*Viewer]
	// upstream counts notes the hub itself lost on the bus; every viewer
	// is told of them.
	upstream atomic.Uint64
	// droppedTotal counts envelopes every viewer, present or gone, lost
	// to its full buffer (for metrics).
	droppedTotal atomic.Uint64

	countMu sync.Mutex
	counts  Counts
}

// Counts are running totals since the hub started, for live counters; a
// viewer derives rates from two readings.
type Counts struct {
	// Triggered counts occurrences per "Producer.Event".
	Triggered map[string]uint64 `json:"triggered"`
	// Apps counts delivery outcomes per handling app.
	Apps map[string]*AppCounts `json:"apps"`
	// Subs counts delivery outcomes per subscription, keyed
	// "App:Producer.Event" (the designer's edges).
	Subs map[string]*AppCounts `json:"subs"`
}

// AppCounts are the delivery totals of one app or one subscription.
type AppCounts struct {
	Started   uint64 `json:"started"`
	Succeeded uint64 `json:"succeeded"`
	Failed    uint64 `json:"failed"`
	Dead      uint64 `json:"dead"`
}

// count adds n to the totals.
func (h *Hub) count(n *notify.Note) {
	h.countMu.Lock()
	defer h.countMu.Unlock()
	if n.Kind == notify.OccurrenceTriggered {
		h.counts.Triggered[n.Event]++
		return
	}
	counter(h.counts.Apps, n.App).add(n.Kind)
	counter(h.counts.Subs, n.App+":"+n.Event).add(n.Kind)
}

func counter(m map[string]*AppCounts, key string) *AppCounts {
	a := m[key]
	if a == nil {
		a = &AppCounts{}
		m[key] = a
	}
	return a
}

func (a *AppCounts) add(k notify.Kind) {
	switch k {
	case notify.DeliveryStarted:
		a.Started++
	case notify.DeliverySucceeded:
		a.Succeeded++
	case notify.DeliveryFailed:
		a.Failed++
	case notify.DeliveryDead:
		a.Dead++
	}
}

func cloneCounts(m map[string]*AppCounts) map[string]*AppCounts {
	out := make(map[string]*AppCounts, len(m))
	for k, v := range m {
		c := *v
		out[k] = &c
	}
	return out
}

// Counts returns a copy of the totals.
func (h *Hub) Counts() Counts {
	h.countMu.Lock()
	defer h.countMu.Unlock()
	return Counts{Triggered: maps.Clone(h.counts.Triggered), Apps: cloneCounts(h.counts.Apps), Subs: cloneCounts(h.counts.Subs)}
}

// NewHub returns a hub listening on bus from now on; Run relays what it
// hears to the viewers.
func NewHub(bus *notify.Bus) *Hub {
	h := &Hub{sub: bus.Subscribe(hubBusBuffer), counts: Counts{Triggered: map[string]uint64{}, Apps: map[string]*AppCounts{}, Subs: map[string]*AppCounts{}}}
	h.viewers.Store(&[]*Viewer{})
	return h
}

// Run relays notes until ctx ends, then stops listening.
func (h *Hub) Run(ctx context.Context) {
	sub := h.sub
	defer sub.Close()
	var seen uint64
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-sub.C():
			if seen != 0 && n.Seq > seen+1 {
				h.upstream.Add(n.Seq - seen - 1)
			}
			seen = n.Seq
			if n.Kind == notify.TriggerRefused {
				// Nothing was stored: no occurrence for the graph or the
				// log to show (metrics count refusals).
				continue
			}
			h.count(&n)
			h.fanOut(&n)
		}
	}
}

func (h *Hub) fanOut(n *notify.Note) {
	up := h.upstream.Load()
	for _, v := range *h.viewers.Load() {
		if !v.filter.Load().match(n) {
			continue
		}
		seq := v.seq.Add(1)
		env := Envelope{Seq: seq, Dropped: v.dropped.Load() + up - v.upstreamAtJoin, Note: n}
		select {
		case v.c <- env:
		default:
			v.dropped.Add(1)
			h.droppedTotal.Add(1)
		}
	}
}

// ViewerDropped is how many envelopes all viewers, including those that
// have left, lost to their full buffers since the hub started.
func (h *Hub) ViewerDropped() uint64 { return h.droppedTotal.Load() }

// Join adds a viewer with a buffer of buffer envelopes (at least 1). The
// caller must Leave.
func (h *Hub) Join(buffer int, f Filter) *Viewer {
	v := &Viewer{hub: h, c: make(chan Envelope, max(buffer, 1)), upstreamAtJoin: h.upstream.Load()}
	v.filter.Store(&f)
	h.mu.Lock()
	next := append(slices.Clone(*h.viewers.Load()), v)
	h.viewers.Store(&next)
	h.mu.Unlock()
	return v
}

// Viewers is how many viewers are joined.
func (h *Hub) Viewers() int { return len(*h.viewers.Load()) }

// Viewer is one live view: its envelopes arrive on C.
type Viewer struct {
	hub            *Hub
	c              chan Envelope
	seq            atomic.Uint64
	dropped        atomic.Uint64
	upstreamAtJoin uint64
	filter         atomic.Pointer[Filter]
}

// C delivers the viewer's envelopes; it is never closed (stop reading
// after Leave).
func (v *Viewer) C() <-chan Envelope { return v.c }

// Dropped is how many envelopes this viewer lost to its full buffer.
func (v *Viewer) Dropped() uint64 { return v.dropped.Load() }

// SetFilter replaces the viewer's filter.
func (v *Viewer) SetFilter(f Filter) { v.filter.Store(&f) }

// Leave removes the viewer; calling it again does nothing.
func (v *Viewer) Leave() {
	h := v.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*h.viewers.Load()), func(x *Viewer) bool { return x == v })
	h.viewers.Store(&next)
}
