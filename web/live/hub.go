package live

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"github.com/eventloom/eventloom/engine/design"
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

// Envelope is one note to a viewer. Viewers with the same filter form a
// group that shares one sequence and one encoding of every note: Seq
// counts the notes meant for the group (after its filter, and every note
// the hub lost upstream or skipped), so a gap in Seq is a note this
// viewer lost, to its own full buffer, to the hub's rate cap or upstream
// of the hub; Dropped is how many the hub lost upstream since the group
// began. A viewer that changes its filter joins another group, whose Seq
// goes on from its own count.
type Envelope struct {
	Seq     uint64 `json:"seq"`
	Dropped uint64 `json:"dropped"`
	// Note is shared by every viewer's envelope; it must not be modified.
	Note *notify.Note `json:"note"`
}

// Batch is one message of the live stream: the envelopes of the notes
// for a group since its last message, in order. On the wire one envelope
// is sent as itself and several as {"batch":[...]}.
type Batch struct {
	Envelopes []Envelope
	// frame is the batch encoded once for every viewer of its group.
	frame *Frame
}

// Frame is the batch as encoded once for the viewers of its group.
func (b Batch) Frame() *Frame { return b.frame }

// Message is any message of the live stream as a program reads it: one
// envelope, a batch of them, or the counters (Stats).
type Message struct {
	Envelope
	Batch []Envelope      `json:"batch,omitempty"`
	Stats json.RawMessage `json:"stats,omitempty"`
}

// Envelopes are the message's envelopes in order, none for counters.
func (m *Message) Envelopes() []Envelope {
	if m.Batch != nil {
		return m.Batch
	}
	if m.Note != nil {
		return []Envelope{m.Envelope}
	}
	return nil
}

// Frame is one message of the stream encoded once for any number of
// viewers: the same bytes, framed once, go to each.
type Frame struct {
	data     []byte
	prepared *websocket.PreparedMessage
}

// newFrame encodes v as JSON and prepares its websocket frame.
func newFrame(v any) (*Frame, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode live message: %w", err)
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return nil, fmt.Errorf("prepare live message: %w", err)
	}
	return &Frame{data: b, prepared: pm}, nil
}

// Bytes is the message's JSON, shared by every viewer: it must not be
// modified.
func (m *Frame) Bytes() []byte { return m.data }

// Hub fans the engine's notifications out to live viewers. Each note is
// encoded once per filter in use (once for all viewers of the console,
// which sets none) and the live counters once per tick for everyone, so
// the hub's cost grows with viewers only by a channel send each. Under
// load, notes go out in batches, at most one message per hubFlushEvery
// with at most hubMaxBatch notes, so a busy engine costs each viewer a
// bounded stream; the notes over the cap are skipped and show as a gap.
// A viewer has a bounded buffer; one that does not keep up loses
// messages and sees the gap, and never slows the hub, let alone the
// engine.
type Hub struct {
	sub *notify.Subscriber
	// mu serialises changes to groups (Join, Leave, SetFilter); fanOut
	// reads the current snapshot without it.
	mu     sync.Mutex
	groups atomic.Pointer[[]*viewerGroup]
	// upstream counts notes the hub itself lost on the bus; every viewer
	// is told of them.
	upstream atomic.Uint64
	// droppedTotal counts envelopes every viewer, present or gone, lost
	// to its full buffer (for metrics); skipped counts notes the rate cap
	// kept from a group.
	droppedTotal atomic.Uint64
	skipped      atomic.Uint64
	// onEncode, when set before Run, is called for every message the hub
	// encodes (tests count encodings with it).
	onEncode func()

	countMu sync.Mutex
	counts  Counts
}

// groupState is what outlives a change to a group's viewers: its filter,
// its sequence and the upstream losses counted before it began.
type groupState struct {
	filter Filter
	key    string
	base   uint64
	seq    atomic.Uint64
}

// viewerGroup is one filter's viewers in a snapshot; snapshots are never
// modified, only replaced.
type viewerGroup struct {
	state   *groupState
	viewers []*Viewer
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
	if ref, err := design.ParseEventRef(n.Event); err == nil {
		counter(h.counts.Subs, design.NewSubscriptionRef(n.App, ref).String()).add(n.Kind)
	}
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
	h.groups.Store(&[]*viewerGroup{})
	return h
}

// ViewerDropped is how many envelopes all viewers, including those that
// have left, lost to their full buffers since the hub started.
func (h *Hub) ViewerDropped() uint64 { return h.droppedTotal.Load() }

// Join adds a viewer with a buffer of buffer batches (at least 1). The
// caller must Leave.
func (h *Hub) Join(buffer int, f Filter) *Viewer {
	v := &Viewer{hub: h, c: make(chan Batch, max(buffer, 1)), stats: make(chan *Frame, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.place(v, f)
	return v
}

// place puts v into the group of filter f, made if there is none, and
// stores the new snapshot. The caller holds h.mu and has taken v out of
// any group it was in.
func (h *Hub) place(v *Viewer, f Filter) {
	key := f.key()
	up := h.upstream.Load()
	next := slices.Clone(*h.groups.Load())
	for i, g := range next {
		// A group that began before a loss upstream would tell the new
		// viewer of notes lost before it came: it gets a group of its own.
		if g.state.key == key && g.state.base == up {
			next[i] = &viewerGroup{state: g.state, viewers: append(slices.Clone(g.viewers), v)}
			v.group = g.state
			h.groups.Store(&next)
			return
		}
	}
	st := &groupState{filter: f, key: key, base: up}
	v.group = st
	next = append(next, &viewerGroup{state: st, viewers: []*Viewer{v}})
	h.groups.Store(&next)
}

// remove takes v out of its group, dropping a group left empty, and
// stores the new snapshot. The caller holds h.mu.
func (h *Hub) remove(v *Viewer) {
	cur := *h.groups.Load()
	next := make([]*viewerGroup, 0, len(cur))
	for _, g := range cur {
		if g.state != v.group {
			next = append(next, g)
			continue
		}
		rest := slices.DeleteFunc(slices.Clone(g.viewers), func(x *Viewer) bool { return x == v })
		if len(rest) > 0 {
			next = append(next, &viewerGroup{state: g.state, viewers: rest})
		}
	}
	h.groups.Store(&next)
	v.group = nil
}

// key is the filter's identity for grouping viewers: filters with equal
// fields share one encoding of each note.
func (f Filter) key() string {
	return fmt.Sprintf("%d %q %q", f.TraceID, f.Apps, f.Events)
}

// Viewers is how many viewers are joined.
func (h *Hub) Viewers() int {
	n := 0
	for _, g := range *h.groups.Load() {
		n += len(g.viewers)
	}
	return n
}

// Viewer is one live view: its envelopes arrive on C, the counters on
// Stats.
type Viewer struct {
	hub     *Hub
	c       chan Batch
	stats   chan *Frame
	dropped atomic.Uint64
	// group is the viewer's group while it is joined (guarded by hub.mu).
	group *groupState
}

// C delivers the viewer's batches; it is never closed (stop reading
// after Leave).
func (v *Viewer) C() <-chan Batch { return v.c }

// Stats delivers the latest live counters (an older reading not yet read
// is replaced); it is never closed.
func (v *Viewer) Stats() <-chan *Frame { return v.stats }

// Dropped is how many envelopes this viewer lost to its full buffer.
func (v *Viewer) Dropped() uint64 { return v.dropped.Load() }

// SetFilter replaces the viewer's filter: it moves to that filter's group
// (after Leave it does nothing).
func (v *Viewer) SetFilter(f Filter) {
	h := v.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if v.group == nil {
		return
	}
	h.remove(v)
	h.place(v, f)
}

// Leave removes the viewer; calling it again does nothing.
func (v *Viewer) Leave() {
	h := v.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if v.group != nil {
		h.remove(v)
	}
}
