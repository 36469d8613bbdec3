package jetstream

import (
	"context"
	"sync"

	"github.com/eventloom/eventloom/engine/storage"
)

// Features says several nodes share the store, so the engine passes each
// app's concurrency limit in its claims (DeliveryClaimParams.AppLimit)
// and the limit holds across the cluster: the count and the claim are one
// command, applied in log order on every node, so two nodes racing for
// an app's last place resolve it the same way everywhere and only the
// first wins it.
func (s *Store) Features() storage.Features { return storage.Features{SharedByNodes: true} }

// fullApps are the apps that a claim under an app-wide limit left with
// every place taken. A node whose claim came back short waits for a wake
// instead of polling; the command that frees one of such an app's places
// (a completion, a release, a discard) wakes the app's subscriptions with
// waiting deliveries on every node, and the app leaves the set until a
// claim finds it full again. Apps that never fill cost no wake at all.
// What it holds is this node's alone (it only decides wakes), so it lives
// beside the model, not in it.
type fullApps struct {
	mu   sync.Mutex
	apps map[int64]struct{}
}

func (f *fullApps) any() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.apps) > 0
}

// take removes app and reports whether it was full.
func (f *fullApps) take(app int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.apps[app]
	delete(f.apps, app)
	return ok
}

func (f *fullApps) add(app int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apps == nil {
		f.apps = map[int64]struct{}{}
	}
	f.apps[app] = struct{}{}
}

// claimed notes, after a claim command under an app-wide limit, whether
// it left the app full.
func (s *Store) claimed(c *command) {
	p, err := args[storage.DeliveryClaimParams](c)
	if err != nil || p.AppLimit <= 0 {
		return
	}
	app, n, err := s.model.SubscriptionLeased(context.Background(), p.SubscriptionID, p.Now)
	if err == nil && n >= p.AppLimit {
		s.full.add(app)
	}
}

// freed adds to subs, when app was full, its subscriptions with waiting
// deliveries: a place of app was just freed and they may claim it.
func (s *Store) freed(subs []int64, app int64) []int64 {
	if !s.full.take(app) {
		return subs
	}
	waiting, err := s.model.AppWaiting(context.Background(), app)
	if err != nil {
		// Only a closed model fails; the node is stopping.
		return subs
	}
	return append(subs, waiting...)
}
