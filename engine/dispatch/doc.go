// Package dispatch hands claimed deliveries to a run callback: per-app
// pools bounded by each app's concurrency, claims at insert and from
// storage, the poll loop that claims what is due, the timer for the
// earliest known retry, the sweep of expired leases, and the places pull
// workers take in an app's pool. It decides when a delivery runs, never
// how: the engine passes its configuration and a Run callback, and runs
// the handler, records the attempt and publishes its notes.
//
// dispatch sits under the engine facade. It imports only engine/clock
// and the storage seam (engine/storage and what that imports); it must
// never import the engine root, web or store.
//
// # Locks
//
// Where locks nest, Dispatcher.mu is taken before Pool.mu (SetDesign,
// Close and Loads hold the first while taking each pool's). No lock is
// held while Run, a Stopping hook or the store is called, and a pool's
// lock is never held while taking Dispatcher.mu. Timers are set and
// stopped under Dispatcher.mu, so the clock must not call an AfterFunc
// callback while the caller of AfterFunc or Stop waits on it (neither
// clock.Real nor the fake clock does).
package dispatch
