package live

import (
	"context"
	"time"

	"github.com/eventloom/eventloom/engine/notify"
)

const (
	// hubFlushEvery is the least time between two messages to a viewer:
	// a note after a quiet spell goes out at once, notes that follow
	// within it wait and go together.
	hubFlushEvery = 50 * time.Millisecond
	// hubMaxBatch caps the notes of one message: with hubFlushEvery, at
	// most 1,000 notes a second per viewer, more than a page can show,
	// so a busy engine never costs its viewers more than that.
	hubMaxBatch = 50
)

// Run relays notes until ctx ends, then stops listening.
func (h *Hub) Run(ctx context.Context) {
	sub := h.sub
	defer sub.Close()
	var seen uint64
	var pending []notify.Note
	var last time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	armed := false
	flush := func() {
		h.fanOut(pending)
		// The batches hold pointers into pending: the next notes go to
		// a new slice.
		pending = nil
		last = time.Now()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			armed = false
			flush()
		case n := <-sub.C():
			if seen != 0 && n.Seq > seen+1 {
				h.lostUpstream(n.Seq - seen - 1)
			}
			seen = n.Seq
			if n.Kind == notify.TriggerRefused {
				// Nothing was stored: no occurrence for the graph or the
				// log to show (metrics count refusals).
				continue
			}
			h.count(&n)
			pending = append(pending, n)
			if armed {
				continue
			}
			if wait := hubFlushEvery - time.Since(last); wait > 0 {
				timer.Reset(wait)
				armed = true
				continue
			}
			flush()
		}
	}
}

// lostUpstream records k notes lost on the bus: every group's sequence
// moves past them, so each viewer sees the gap.
func (h *Hub) lostUpstream(k uint64) {
	h.upstream.Add(k)
	for _, g := range *h.groups.Load() {
		g.state.seq.Add(k)
	}
}

// fanOut numbers the notes for each group whose filter passes them,
// encodes the latest hubMaxBatch (a live view wants the newest) once for
// the group and offers that one message to each of its viewers.
func (h *Hub) fanOut(notes []notify.Note) {
	up := h.upstream.Load()
	for _, g := range *h.groups.Load() {
		var envs []Envelope
		for i := range notes {
			n := &notes[i]
			if !g.state.filter.match(n) {
				continue
			}
			envs = append(envs, Envelope{Seq: g.state.seq.Add(1), Dropped: up - g.state.base, Note: n})
		}
		if len(envs) == 0 {
			continue
		}
		if over := len(envs) - hubMaxBatch; over > 0 {
			h.skipped.Add(uint64(over))
			envs = envs[over:]
		}
		var wire any = envs[0]
		if len(envs) > 1 {
			wire = struct {
				Batch []Envelope `json:"batch"`
			}{envs}
		}
		msg, err := newFrame(wire)
		if h.onEncode != nil {
			h.onEncode()
		}
		b := Batch{Envelopes: envs, frame: msg}
		for _, v := range g.viewers {
			// A batch that cannot be encoded is lost like one that finds
			// the buffer full: the viewers see the gap in Seq.
			if err == nil {
				select {
				case v.c <- b:
					continue
				default:
				}
			}
			v.dropped.Add(uint64(len(envs)))
			h.droppedTotal.Add(uint64(len(envs)))
		}
	}
}

// Skipped is how many notes the rate cap (hubMaxBatch per hubFlushEvery)
// kept from viewers since the hub started, counted once per filter.
func (h *Hub) Skipped() uint64 { return h.skipped.Load() }
