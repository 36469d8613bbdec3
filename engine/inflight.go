package engine

// Load is one app's dispatch state, for the console's in-flight view.
type Load struct {
	// Running is how many handler runs are in progress.
	Running int `json:"running"`
	// Queued is how many claimed deliveries wait in memory for a slot.
	Queued int `json:"queued"`
	// Limit is the app's concurrency.
	Limit int `json:"limit"`
	// HighWater is the most runs ever in progress at once since start.
	HighWater int `json:"highWater"`
}

// InFlight reports each app's dispatch state, by app name; apps that have
// run nothing yet are absent.
func (e *Engine) InFlight() map[string]Load {
	snap := e.snap.Load()
	d := e.d
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]Load, len(d.pools))
	for id, p := range d.pools {
		a, ok := snap.idx.AppByID(id)
		if !ok {
			continue
		}
		p.mu.Lock()
		out[a.Name] = Load{Running: p.active, Queued: len(p.queue), Limit: p.limit, HighWater: p.highWater}
		p.mu.Unlock()
	}
	return out
}
