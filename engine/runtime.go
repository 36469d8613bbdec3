package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
)

// RetryNow makes a delivery waiting for its next attempt due at once.
func (e *Engine) RetryNow(ctx context.Context, id int64) (delivery.Delivery, error) {
	d, err := e.st.DeliveryRetryNow(ctx, id, e.clk.Now())
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("retry delivery %d: %w", id, err)
	}
	e.deliveryMadeDue(d, notify.DeliveryRetried)
	if err := e.audit(ctx, "delivery.retry", deliveryTarget(id), map[string]any{"status": d.Status, "attempts": d.Attempts}); err != nil {
		return d, err
	}
	return d, nil
}

// Replay makes a dead (or discarded) delivery pending again, due now. Its
// attempts are kept, and its retry schedule starts over: a failure of the
// replayed run is retried after 2, 4, 8... minutes like a new delivery's,
// and it is dead again only after the schedule's last retry.
func (e *Engine) Replay(ctx context.Context, id int64) (delivery.Delivery, error) {
	d, err := e.st.DeliveryReplay(ctx, id, e.clk.Now())
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("replay delivery %d: %w", id, err)
	}
	e.deliveryMadeDue(d, notify.DeliveryReplayed)
	if err := e.audit(ctx, "delivery.replay", deliveryTarget(id), map[string]any{"status": d.Status, "attempts": d.Attempts}); err != nil {
		return d, err
	}
	return d, nil
}

// Discard drops an unfinished or dead delivery for good.
func (e *Engine) Discard(ctx context.Context, id int64) (delivery.Delivery, error) {
	d, err := e.st.DeliveryDiscard(ctx, id, e.clk.Now())
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("discard delivery %d: %w", id, err)
	}
	e.publishOp(d, notify.DeliveryDiscarded)
	if err := e.audit(ctx, "delivery.discard", deliveryTarget(id), map[string]any{"status": d.Status, "attempts": d.Attempts}); err != nil {
		return d, err
	}
	return d, nil
}

func (e *Engine) deliveryMadeDue(d delivery.Delivery, kind notify.Kind) {
	e.d.Backlog(d.SubscriptionID)
	e.publishOp(d, kind)
}

// Occurrence returns one occurrence with its deliveries and their attempts.
func (e *Engine) Occurrence(ctx context.Context, id int64) (delivery.Occurrence, error) {
	return e.st.OccurrenceGet(ctx, id)
}

// OccurrenceFilter selects occurrences by names rather than ids. Zero
// fields do not filter.
type OccurrenceFilter struct {
	App     string
	Event   design.EventRef
	Status  delivery.OccurrenceStatus
	TraceID int64
	Since   time.Time
	Until   time.Time
	// Params are payload conditions (see ParamQuery), all of which must
	// hold; a refused one is an error IsParamFilterError recognises.
	Params   []ParamQuery
	BeforeID int64
	Limit    int
}

// Occurrences lists occurrences newest first.
func (e *Engine) Occurrences(ctx context.Context, f OccurrenceFilter) ([]delivery.Occurrence, error) {
	appID, eventID, err := e.resolve(f.App, f.Event)
	if err != nil {
		return nil, err
	}
	conds, err := e.paramConds(eventID, f.Params)
	if err != nil {
		return nil, err
	}
	return e.st.OccurrenceList(ctx, &storage.OccurrenceListParams{AppID: appID, EventID: eventID, Status: f.Status, TraceID: f.TraceID,
		Since: f.Since, Until: f.Until, Params: conds, BeforeID: f.BeforeID, Limit: f.Limit})
}

// DeliveryFilter selects deliveries by names. Zero fields do not filter.
type DeliveryFilter struct {
	// App is the handling app.
	App          string
	Event        design.EventRef
	OccurrenceID int64
	// Subscription, when set, selects one subscription's deliveries,
	// written HandlingApp:Producer.Event (Mail:Shop.OrderPlaced).
	Subscription string
	TraceID      int64
	Status       delivery.Status
	Since        time.Time
	Until        time.Time
	// Params are payload conditions on the deliveries' occurrences.
	Params   []ParamQuery
	BeforeID int64
	Limit    int
}

// Deliveries lists deliveries newest first.
func (e *Engine) Deliveries(ctx context.Context, f DeliveryFilter) ([]delivery.Delivery, error) {
	p, err := e.deliveryParams(f)
	if err != nil {
		return nil, err
	}
	return e.st.DeliveryList(ctx, p)
}

// subscriptionID resolves a subscription written
// HandlingApp:Producer.Event.
func (e *Engine) subscriptionID(name string) (int64, error) {
	ref, err := design.ParseSubscriptionRef(name)
	if err != nil {
		return 0, fault.Field("subscription", "bad_subscription", fmt.Sprintf(
			"a subscription is written HandlingApp:Producer.Event, such as Mail:Shop.OrderPlaced; got %q", name))
	}
	sub, found := e.snap.Load().idx.SubscriptionFor(ref.App, ref.EventRef())
	if !found {
		return 0, fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("%s does not handle %s: there is no subscription %s", ref.App, ref.EventRef(), name))
	}
	return sub.ID, nil
}

// deliveryParams resolves a filter's names and payload conditions.
func (e *Engine) deliveryParams(f DeliveryFilter) (*storage.DeliveryListParams, error) {
	appID, eventID, err := e.resolve(f.App, f.Event)
	if err != nil {
		return nil, err
	}
	var subID int64
	if f.Subscription != "" {
		if subID, err = e.subscriptionID(f.Subscription); err != nil {
			return nil, err
		}
	}
	conds, err := e.paramConds(eventID, f.Params)
	if err != nil {
		return nil, err
	}
	return &storage.DeliveryListParams{AppID: appID, EventID: eventID, OccurrenceID: f.OccurrenceID, SubscriptionID: subID,
		TraceID: f.TraceID, Status: f.Status, Since: f.Since, Until: f.Until, Params: conds, BeforeID: f.BeforeID, Limit: f.Limit}, nil
}

// resolve turns filter names into ids; empty names resolve to 0 (no
// filter), unknown ones to fault.ErrNotFound.
func (e *Engine) resolve(app string, ref design.EventRef) (appID, eventID int64, err error) {
	idx := e.snap.Load().idx
	if app != "" {
		a, ok := idx.App(app)
		if !ok {
			return 0, 0, unknownApp(app)
		}
		appID = a.ID
	}
	if ref != (design.EventRef{}) {
		ev, ok := idx.Event(ref)
		if !ok {
			return 0, 0, unknownEvent(ref)
		}
		eventID = ev.ID
	}
	return appID, eventID, nil
}

// Delivery returns one delivery with its attempts.
func (e *Engine) Delivery(ctx context.Context, id int64) (delivery.Delivery, error) {
	return e.st.DeliveryGet(ctx, id)
}

// Trace returns every occurrence of one chain, oldest first, each with its
// deliveries and their attempts; Occurrence.ParentDeliveryID links the
// tree.
func (e *Engine) Trace(ctx context.Context, traceID int64) ([]delivery.Occurrence, error) {
	return e.st.TraceGet(ctx, traceID)
}

// TracePage returns one page of a trace's occurrences, oldest first, each
// with its deliveries and their attempts: at most limit of them with ids
// above afterID. A trace has no bound on its size (a chain fans out), so
// readers that answer requests page through it rather than read it whole.
func (e *Engine) TracePage(ctx context.Context, traceID, afterID int64, limit int) ([]delivery.Occurrence, error) {
	return e.st.TraceList(ctx, &storage.TraceListParams{TraceID: traceID, AfterID: afterID, Limit: limit})
}

// DeadLetters counts the dead deliveries waiting for a replay or a
// discard. Unlike DeliveryCounts with no bound, it reads only those (a
// backend's index of unfinished states), not every delivery ever made.
func (e *Engine) DeadLetters(ctx context.Context) (int, error) {
	n, err := e.st.DeliveryCount(ctx, &storage.DeliveryListParams{Status: delivery.Dead})
	if err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return n, nil
}

// DeliveryCounts counts deliveries by state, those updated since (zero:
// all).
func (e *Engine) DeliveryCounts(ctx context.Context, since time.Time) (map[delivery.Status]int, error) {
	return e.st.DeliveryCounts(ctx, since)
}

// QueueDepth is one event type's pending occurrences against its cap.
type QueueDepth struct {
	Event   string `json:"event"`
	Pending int    `json:"pending"`
	Cap     int    `json:"cap"`
}

// QueueDepths reports every event's pending occurrences against the cap,
// by "Producer.Event".
func (e *Engine) QueueDepths(ctx context.Context) (map[string]QueueDepth, error) {
	m, err := e.st.QueueDepths(ctx)
	if err != nil {
		return nil, err
	}
	idx := e.snap.Load().idx
	out := make(map[string]QueueDepth, len(idx.Events))
	for _, ev := range idx.Events {
		name := ev.Ref().String()
		out[name] = QueueDepth{Event: name, Pending: m[ev.ID], Cap: e.cfg.QueueCap}
	}
	return out, nil
}

// Now is the engine's clock's time, so callers measure windows ("the last
// hour") on the same clock as the records.
func (e *Engine) Now() time.Time { return e.clk.Now() }
