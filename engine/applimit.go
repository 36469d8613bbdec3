package engine

import (
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// shared reports whether several nodes claim from the engine's backend
// (storage.Features.SharedByNodes): each node's pool then bounds only its
// own runs, so the app's limit is held by the backend instead. The
// dispatcher then claims only through the backend's count (never at
// insert) and, when a claim comes back short, waits for the backend's
// watch to say a place was freed rather than polling for one.
func (d *dispatcher) shared() bool {
	return storage.FeaturesOf(d.e.st).SharedByNodes
}

// appLimit is the DeliveryClaimParams.AppLimit of a claim of app's
// deliveries: its concurrency limit when the backend is shared by
// several nodes (the limit then holds across them: DESIGN.md, "each app
// runs at most 100 handler executions at once"), and 0 on a backend only
// this process claims from, whose pools hold the limit without a count
// in storage.
func (d *dispatcher) appLimit(app *design.App) int {
	if !d.shared() {
		return 0
	}
	return d.limitOf(app)
}
