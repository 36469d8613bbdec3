package mem

import (
	"context"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// Features says the store is private to its process; see
// storage.Featured. The JetStream backend, which replicates this model
// on every node, says otherwise for itself.
func (s *Store) Features() storage.Features { return storage.Features{} }

// lease and unlease keep r in its app's set of Running deliveries;
// setStatus calls them as r starts and stops running.
func (s *Store) lease(r *delRec) {
	app := r.d.AppID
	if s.leases[app] == nil {
		s.leases[app] = map[int64]struct{}{}
	}
	s.leases[app][r.d.ID] = struct{}{}
}

func (s *Store) unlease(r *delRec) {
	app := r.d.AppID
	delete(s.leases[app], r.d.ID)
	if len(s.leases[app]) == 0 {
		delete(s.leases, app)
	}
}

// leased counts app's Running deliveries whose lease has not ended before
// now (an ended lease is the sweeper's to reclaim and holds no place). It
// costs the app's running deliveries, at most its limit in a cluster that
// claims under it.
func (s *Store) leased(app int64, now time.Time) int {
	n := 0
	for id := range s.leases[app] {
		if !s.dels[id-1].leaseUntil.Before(now) {
			n++
		}
	}
	return n
}

// SubscriptionLeased returns the app that handles subscription sub and
// how many Running deliveries of that app hold a lease not ended before
// now: the count DeliveryClaimParams.AppLimit bounds. The JetStream
// backend reads it after a claim under a limit, to learn that the app is
// full and wake the nodes waiting for a place once one is freed.
// fault.ErrNotFound when there is no such subscription.
func (s *Store) SubscriptionLeased(ctx context.Context, sub int64, now time.Time) (app int64, leased int, err error) {
	if err := s.lock(ctx); err != nil {
		return 0, 0, err
	}
	defer s.mu.Unlock()
	r, ok := s.subs[sub]
	if !ok {
		return 0, 0, storage.Missing("subscription %d does not exist", sub)
	}
	return r.appID, s.leased(r.appID, now), nil
}

// AppWaiting lists, in id order, the subscriptions of app that have
// Pending or Retrying deliveries: those a place freed in the app may let
// a dispatcher claim for.
func (s *Store) AppWaiting(ctx context.Context, app int64) ([]int64, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []int64
	for _, sub := range sortedKeys(s.waiting) {
		for id := range s.waiting[sub] {
			// One look: every delivery of a subscription has its app.
			if s.dels[id-1].d.AppID == app {
				out = append(out, sub)
			}
			break
		}
	}
	return out, nil
}
