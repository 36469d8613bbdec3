package engine

import "github.com/eventloom/eventloom/engine/dispatch"

// Load is one app's dispatch state, for the console's in-flight view.
type Load = dispatch.Load

// InFlight reports each app's dispatch state, by app name; apps that have
// run nothing yet are absent.
func (e *Engine) InFlight() map[string]Load {
	idx := e.snap.Load().idx
	loads := e.d.Loads()
	out := make(map[string]Load, len(loads))
	for id, l := range loads {
		if a, ok := idx.AppByID(id); ok {
			out[a.Name] = l
		}
	}
	return out
}
