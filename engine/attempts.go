package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// Clock is the engine's time source, so a reader that keeps its own time
// windows (the console's charts) moves with the same clock as the records,
// a fake one in tests.
func (e *Engine) Clock() clock.Clock { return e.cfg.Clock }

// FinishedAttempt is one finished attempt named as a chart counts it: the
// handling App and the Event ("Producer.Event"); both are empty when the
// design no longer has them.
type FinishedAttempt struct {
	App        string
	Event      string
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    delivery.Outcome
	// Dead is true for the last attempt of a delivery that is dead now.
	Dead bool
}

// FinishedAttempts returns one page of the attempts that finished in
// [since, until), from the deliveries after the cursor after (0: the
// first page), and the next page's cursor (0: none follows). A page can
// be empty and still have a next one; limit bounds the deliveries looked
// at (storage.Attempts.AttemptFinishedList).
func (e *Engine) FinishedAttempts(ctx context.Context, since, until time.Time, after int64, limit int) ([]FinishedAttempt, int64, error) {
	p, err := e.st.AttemptFinishedList(ctx, &storage.AttemptFinishedListParams{Since: since, Until: until, AfterDeliveryID: after, Limit: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("finished attempts after delivery %d: %w", after, err)
	}
	idx := e.snap.Load().idx
	out := make([]FinishedAttempt, len(p.Attempts))
	for i, a := range p.Attempts {
		f := FinishedAttempt{StartedAt: a.StartedAt, FinishedAt: a.FinishedAt, Outcome: a.Outcome, Dead: a.Dead}
		if app, ok := idx.AppByID(a.AppID); ok {
			f.App = app.Name
		}
		if ev, ok := idx.EventByID(a.EventID); ok {
			f.Event = ev.Ref().String()
		}
		out[i] = f
	}
	return out, p.Next, nil
}
