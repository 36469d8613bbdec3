package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/dispatch"
	"github.com/eventloom/eventloom/engine/storage"
)

// dispatcher is the engine's side of package dispatch, which owns the
// pools, claims, polling, sweeps and leases: it is built from the
// engine's Config with the handler runner (run) as its Run callback and
// the end of the pull locks (closePull) as its Stopping hook, and it is
// told the design on every snapshot. The pull locks stay in the engine:
// a lock is an attempt in progress (its span, its outcome, its token), the
// runner's concern; only the places they take in an app's pool are
// dispatch's.
type dispatcher struct {
	*dispatch.Dispatcher
	// runCtx is the Dispatcher's Context: handler runs and the work done
	// on their behalf take it, and it ends when Close cannot wait.
	runCtx context.Context
}

// newDispatcher builds e's dispatcher for the snapshot e holds.
func newDispatcher(e *Engine) *dispatcher {
	cfg := e.cfg
	d := dispatch.New(dispatch.Config{
		Store:              e.st,
		Clock:              e.clk,
		Logger:             e.log,
		DefaultConcurrency: cfg.DefaultConcurrency,
		LeaseDuration:      cfg.LeaseDuration,
		SweepInterval:      cfg.SweepInterval,
		MaxAttempts:        cfg.MaxRetries + 1,
		// Counted as a failed attempt so a delivery whose handler kills
		// the process ends dead after the configured retries (poison
		// handling).
		ExpiredError: fmt.Sprintf("the process running this attempt stopped before it finished (its lease of %s expired); "+
			"counted as a failed attempt, so a handler that crashes the process ends dead after its retries", cfg.LeaseDuration),
		// Several nodes claiming from one backend hold each app's limit
		// in the backend (storage.Features.SharedByNodes).
		SharedByNodes: storage.FeaturesOf(e.st).SharedByNodes,
		Run:           e.run,
		Stopping:      e.closePull,
	})
	d.SetDesign(dispatchDesign(e.snap.Load()))
	return &dispatcher{Dispatcher: d, runCtx: d.Context()}
}

// dispatchDesign is the dispatcher's view of snap: each compiled
// subscription and every app's concurrency.
func dispatchDesign(snap *snapshot) dispatch.Design {
	v := dispatch.Design{Subs: make(map[int64]dispatch.Sub, len(snap.subs)), Concurrency: make(map[int64]int, len(snap.idx.Apps))}
	for id, c := range snap.subs {
		v.Subs[id] = dispatchSub(c.sub)
	}
	for _, a := range snap.idx.Apps {
		v.Concurrency[a.ID] = a.Concurrency
	}
	return v
}

func dispatchSub(s *design.Subscription) dispatch.Sub {
	return dispatch.Sub{ID: s.ID, AppID: s.AppID, Paused: s.Paused, Pull: s.Handler.Kind == design.KindPull}
}

func (d *dispatcher) isClosed() bool { return d.Closed() }

// designChanged gives the dispatcher the design of next: new
// concurrency limits, resumed subscriptions looked at again.
func (d *dispatcher) designChanged(_, next *snapshot) { d.SetDesign(dispatchDesign(next)) }

// plan lists the deliveries an occurrence of ev with parameters raw
// gets, one per enabled subscription whose filter holds, claiming at
// insert those the dispatcher has room for (dispatch.Reserve).
func (e *Engine) plan(snap *snapshot, ev *design.Event, raw json.RawMessage) ([]storage.NewDelivery, dispatch.Reservation) {
	subs := snap.idx.SubscriptionsOf(ev.ID)
	out := make([]storage.NewDelivery, 0, len(subs))
	var r dispatch.Reservation
	var m filterMatcher
	for _, s := range subs {
		if !s.Enabled || !m.passes(e, snap.subs[s.ID], ev, raw) {
			continue
		}
		nd := storage.NewDelivery{SubscriptionID: s.ID, AppID: s.AppID}
		if snap.subs[s.ID] != nil {
			nd.Claim = e.d.Reserve(dispatchSub(s), &r)
		}
		out = append(out, nd)
	}
	return out, r
}
