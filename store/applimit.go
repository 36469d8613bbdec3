package store

import (
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// Features says the store is private to its process (it refuses a second
// open of its dir); see storage.Featured.
func (s *Store) Features() storage.Features { return storage.Features{} }

// appLeasedQuery counts the running deliveries, with a lease not ended
// before ?2, of the app that handles subscription ?1. It reads
// deliveries_lease (running deliveries only; the partial
// deliveries_status leaves them out), so it walks the running deliveries
// only (a few per app's limit): the unary + keeps the planner off
// deliveries_app, which would walk every delivery the app ever had.
const appLeasedQuery = `SELECT count(*) FROM deliveries
	WHERE status = 'running' AND lease_until >= ?2
	AND +app_id = (SELECT app_id FROM subscriptions WHERE id = ?1)`

// appLeased counts the leased deliveries of subscription sub's app at
// now: the count DeliveryClaimParams.AppLimit bounds.
func (w *writer) appLeased(sub int64, now time.Time) (int, error) {
	var n int
	err := w.QueryRowContext(w.ctx, appLeasedQuery, sub, nanos(now)).Scan(&n)
	return n, err
}
