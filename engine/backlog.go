package engine

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// backlogPage is how many deliveries one read of the backlog fetches; the
// store caps a list at 500 rows.
const backlogPage = 500

// Backlog is what waits on one subscription right now: deliveries whose
// attempt failed and whose next one is scheduled, and dead letters kept
// for replay. A viewer opening the console sees it at once, rather than
// only what happens after it started watching.
type Backlog struct {
	Retrying int `json:"retrying"`
	Dead     int `json:"dead"`
}

// SubscriptionBacklogs reports the retrying and dead deliveries of every
// subscription that has any, keyed by the subscription (written
// "App:Producer.Event" in JSON). Deliveries of subscriptions since
// removed from the design are left out: nothing on the canvas could show
// them.
func (e *Engine) SubscriptionBacklogs(ctx context.Context) (map[design.SubscriptionRef]Backlog, error) {
	idx := e.snap.Load().idx
	out := map[design.SubscriptionRef]Backlog{}
	for _, st := range []delivery.Status{delivery.Retrying, delivery.Dead} {
		var before int64
		for {
			ds, err := e.st.DeliveryList(ctx, &storage.DeliveryListParams{Status: st, BeforeID: before, Limit: backlogPage})
			if err != nil {
				return nil, fmt.Errorf("subscription backlogs (%s): %w", st, err)
			}
			for _, d := range ds {
				sub, ok := idx.Subscription(d.SubscriptionID)
				if !ok {
					continue
				}
				key := sub.Ref()
				b := out[key]
				if st == delivery.Dead {
					b.Dead++
				} else {
					b.Retrying++
				}
				out[key] = b
			}
			if len(ds) < backlogPage {
				break
			}
			before = ds[len(ds)-1].ID
		}
	}
	return out, nil
}
