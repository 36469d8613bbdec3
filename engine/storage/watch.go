package storage

// Watcher is implemented by a backend that several processes share (the
// JetStream cluster): one process's writes change what another must do,
// and polling would learn it late. The engine registers once and reacts:
// a design change reloads its design snapshot, and deliveries that became
// due wake its dispatcher. A backend private to one process (SQLite, the
// in-memory store) need not implement it: the engine learns of its own
// writes as it makes them.
type Watcher interface {
	// Watch calls f's functions after each change applied, whoever made
	// it, in the order the changes were applied, until the returned stop
	// is called. The functions run on the backend's applying goroutine:
	// they must return quickly and must not call the backend.
	Watch(f WatchFuncs) (stop func())
}

// WatchFuncs are the callbacks of Watcher.Watch; a nil one is not called.
type WatchFuncs struct {
	// DesignChanged: a design change was committed.
	DesignChanged func()
	// DeliveriesDue: subscription subscriptionID has deliveries that are
	// due now or will be (created, released, retrying, replayed); 0 means
	// any subscription may have (leases expired in a sweep).
	DeliveriesDue func(subscriptionID int64)
}
