package live

import "github.com/eventloom/eventloom/engine/notify"

// NewHubCountingEncodes is NewHub with onEncode set: it is called for
// every message the hub encodes.
func NewHubCountingEncodes(bus *notify.Bus, onEncode func()) *Hub {
	h := NewHub(bus)
	h.onEncode = onEncode
	return h
}

// HubMaxBatch is the hub's cap on the notes of one message.
const HubMaxBatch = hubMaxBatch
