package storage

import (
	"context"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

// Attempts is the part of the seam that reads finished attempts by time,
// so the console's charts can be rebuilt from history after a restart
// instead of starting empty.
type Attempts interface {
	// AttemptFinishedList returns one page of the attempts that finished
	// in [p.Since, p.Until), walking deliveries by ascending id from
	// p.AfterDeliveryID: at most p.Limit deliveries are looked at per page
	// (0 means 50, above 500 means 500), and Next is the cursor of the
	// following page (0 when the walk is done). A page can hold no
	// attempts and still have a Next. Only deliveries updated at or after
	// p.Since are looked at, since a delivery's update time is at least
	// its last attempt's finish.
	AttemptFinishedList(ctx context.Context, p *AttemptFinishedListParams) (*AttemptFinishedPage, error)
}

// AttemptFinishedListParams selects finished attempts by time; Since and
// Until are required (Until exclusive).
type AttemptFinishedListParams struct {
	Since           time.Time
	Until           time.Time
	AfterDeliveryID int64
	Limit           int
}

// AttemptFinishedPage is one page of AttemptFinishedList.
type AttemptFinishedPage struct {
	Attempts []FinishedAttempt
	// Next is the AfterDeliveryID of the next page; 0 when none follows.
	Next int64
}

// FinishedAttempt is one attempt with what a chart counts it under: the
// handling app, the event and whether it was the last attempt of a
// delivery that is dead now.
type FinishedAttempt struct {
	DeliveryID int64
	Number     int
	AppID      int64
	EventID    int64
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    delivery.Outcome
	// Dead is true for the last attempt of a delivery whose status is
	// dead (a replayed delivery's old last attempt is not dead any more).
	Dead bool
}
