package jetstream

import (
	"context"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// Watch registers f until stop is called; see storage.Watcher.
func (s *Store) Watch(f storage.WatchFuncs) (stop func()) {
	s.mu.Lock()
	id := s.nextW
	s.nextW++
	s.watchers[id] = f
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.watchers, id)
		s.mu.Unlock()
	}
}

// notify tells the watchers what one applied command changed. A wake too
// many costs a dispatcher one empty claim; a wake too few would leave a
// delivery waiting for a poll, so every op that makes a delivery due
// names its subscription.
func (s *Store) notify(ws []storage.WatchFuncs, c *command, v any) {
	var subs []int64
	switch c.Op {
	case opDesignApply:
		for _, w := range ws {
			if w.DesignChanged != nil {
				w.DesignChanged()
			}
		}
		return
	case opOccurrenceInsert:
		subs = insertedSubs(subs, v.(*storage.OccurrenceInsertResult))
	case opOccurrenceInsertBatch:
		for _, o := range v.([]storage.OccurrenceInsertOutcome) {
			subs = insertedSubs(subs, o.Result)
		}
	case opDeliveryClaim:
		s.claimed(c)
	case opDeliveryComplete:
		res := v.(*storage.DeliveryCompleteResult)
		for i := range res.Triggered {
			subs = insertedSubs(subs, &res.Triggered[i])
		}
		if p, err := args[storage.DeliveryCompleteParams](c); err == nil && (p.Completion.Status() == delivery.Retrying || s.full.any()) {
			if d, err := s.model.DeliveryGet(context.Background(), p.DeliveryID); err == nil {
				if p.Completion.Status() == delivery.Retrying {
					subs = append(subs, d.SubscriptionID)
				}
				subs = s.freed(subs, d.AppID)
			}
		}
	case opDeliveryRelease:
		if p, err := args[storage.DeliveryReleaseParams](c); err == nil {
			for _, cl := range p.Claims {
				subs = append(subs, cl.SubscriptionID)
				subs = s.freed(subs, cl.AppID)
			}
		}
	case opDeliveryDiscard:
		subs = s.freed(subs, v.(delivery.Delivery).AppID)
	case opDeliveryReleaseExpired:
		if n, _ := v.(int); n > 0 {
			subs = append(subs, 0)
		}
	case opDeliveryRetryNow, opDeliveryReplay:
		subs = append(subs, v.(delivery.Delivery).SubscriptionID)
	}
	if len(subs) == 0 {
		return
	}
	for _, w := range ws {
		if w.DeliveriesDue == nil {
			continue
		}
		for _, id := range subs {
			w.DeliveriesDue(id)
		}
	}
}

func insertedSubs(subs []int64, r *storage.OccurrenceInsertResult) []int64 {
	if r == nil {
		return subs
	}
	for _, d := range r.Deliveries {
		subs = append(subs, d.SubscriptionID)
	}
	return subs
}
