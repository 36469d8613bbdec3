package live

import (
	"context"
	"log/slog"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
)

// StatsFunc computes the live counters a viewer gets; its result is
// encoded as JSON. An error skips that tick (and is logged).
type StatsFunc func(ctx context.Context) (any, error)

// RunStats computes the live counters once every interval by clk, for
// all viewers at once, and offers the same encoded message to each; a
// viewer that has not written the previous reading yet gets the new one
// in its place. Nothing is computed while no viewer is joined. It
// returns when ctx ends.
func (h *Hub) RunStats(ctx context.Context, clk clock.Clock, every time.Duration, compute StatsFunc, log *slog.Logger) {
	tick := make(chan struct{}, 1)
	arm := func() clock.Timer {
		return clk.AfterFunc(every, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	}
	t := arm()
	defer func() { t.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		// The next tick is armed before this one's work, so a reading
		// slower than every delays no later one.
		t = arm()
		if h.Viewers() == 0 {
			continue
		}
		v, err := compute(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("live counters", "error", err)
			}
			continue
		}
		msg, err := newFrame(v)
		if h.onEncode != nil {
			h.onEncode()
		}
		if err != nil {
			log.Error("live counters", "error", err)
			continue
		}
		h.offerStats(msg)
	}
}

// offerStats hands msg to every viewer, replacing a reading it has not
// taken yet.
func (h *Hub) offerStats(msg *Frame) {
	for _, g := range *h.groups.Load() {
		for _, v := range g.viewers {
			select {
			case <-v.stats:
			default:
			}
			select {
			case v.stats <- msg:
			default: // another offer got there first; it is as recent
			}
		}
	}
}
