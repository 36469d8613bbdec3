package engine

import (
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
)

// noteAbout is what every note about one delivery names: its trace,
// occurrence, subscription, handling app and event. It comes from what
// the engine holds already (a claim, or a delivery as storage returned
// it), never from another read.
type noteAbout struct {
	traceID, occurrenceID, deliveryID, subscriptionID int64
	// app is the handling app; event is "Producer.EventName".
	app, event string
}

// aboutClaim names the delivery claim c of subscription cs.
func aboutClaim(cs *compiled, c storage.Claim) noteAbout {
	return noteAbout{traceID: c.TraceID, occurrenceID: c.OccurrenceID, deliveryID: c.DeliveryID, subscriptionID: c.SubscriptionID,
		app: cs.app.Name, event: cs.ref}
}

// aboutDelivery names delivery d, its event by idx (empty when the event
// is no longer in the design).
func aboutDelivery(idx *design.Index, d delivery.Delivery) noteAbout {
	a := noteAbout{traceID: d.TraceID, occurrenceID: d.OccurrenceID, deliveryID: d.ID, subscriptionID: d.SubscriptionID, app: d.App}
	if ev, ok := idx.EventByID(d.EventID); ok {
		a.event = ev.Ref().String()
	}
	return a
}

// deliveryNote is the one builder of every note about a delivery and its
// attempts (live: started, succeeded, failed, dead, replayed, retried,
// discarded, flow logs; and the timeline's replay of history), so they all
// name it the same way. attempt is the attempt's number (0: none); the
// caller sets Error, Message or NextAttemptAt where the kind has them.
func deliveryNote(a noteAbout, kind notify.Kind, at time.Time, attempt int) notify.Note {
	return notify.Note{Kind: kind, At: at, TraceID: a.traceID, OccurrenceID: a.occurrenceID, DeliveryID: a.deliveryID,
		SubscriptionID: a.subscriptionID, App: a.app, Event: a.event, Attempt: attempt}
}

// publishDelivery publishes a live note about claim c's attempt, with the
// attempt's error and the retry's time where they apply.
func (e *Engine) publishDelivery(cs *compiled, c storage.Claim, kind notify.Kind, attempt int, errText string, next time.Time) {
	if !e.bus.Active() {
		return
	}
	n := deliveryNote(aboutClaim(cs, c), kind, e.clk.Now(), attempt)
	n.Error, n.NextAttemptAt = errText, next
	e.bus.Publish(n)
}

// publishOp publishes a person's operation on delivery d (replay, retry
// now, discard), from d as storage returned it.
func (e *Engine) publishOp(d delivery.Delivery, kind notify.Kind) {
	if !e.bus.Active() {
		return
	}
	e.bus.Publish(deliveryNote(aboutDelivery(e.snap.Load().idx, d), kind, e.clk.Now(), 0))
}
