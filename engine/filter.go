package engine

import (
	"context"
	"encoding/json"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/payload"
)

// filterMatcher evaluates the filters of one occurrence's subscriptions,
// decoding its parameters once, on the first filter that needs them.
type filterMatcher struct {
	values  map[string]any
	decoded bool
	bad     error
}

// passes reports whether the occurrence gets a delivery for cs. A filter
// that fails at run time (a budget, say) lets the occurrence through and
// logs why: a subscriber sees one delivery too many rather than losing
// one without a trace.
func (m *filterMatcher) passes(e *Engine, cs *compiled, ev *design.Event, raw json.RawMessage) bool {
	if cs == nil || cs.filter == nil {
		return true
	}
	if !m.decoded {
		m.decoded = true
		m.values, m.bad = payload.Decode(*ev, raw)
	}
	if m.bad != nil {
		e.log.Warn("subscription filter skipped: parameters unreadable", "app", cs.app.Name, "event", ev.Ref().String(), "error", m.bad)
		return true
	}
	ok, err := cs.filter.Match(context.Background(), m.values, e.clk)
	if err != nil {
		e.log.Warn("subscription filter failed; delivering", "app", cs.app.Name, "event", ev.Ref().String(), "filter", cs.filter.String(), "error", err)
		return true
	}
	return ok
}

// filteredOut reports whether cs's filter is false for an occurrence of
// ev with parameters raw (a filter that cannot run counts as true, as
// at delivery time).
func (e *Engine) filteredOut(cs *compiled, ev *design.Event, raw json.RawMessage) bool {
	if cs == nil || cs.filter == nil || ev == nil {
		return false
	}
	var m filterMatcher
	return !m.passes(e, cs, ev, raw)
}
