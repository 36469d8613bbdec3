package jetstream

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/eventloom/eventloom/engine/notify"
)

// nodeHeader names the node a relayed note comes from, so a node skips
// its own notes when they come back.
const nodeHeader = "Eventloom-Node"

// RelayNotes makes the live view cluster-wide: every note of local (this
// node's engine bus) is published to live at once and on a core NATS
// subject, and every other node's note from that subject is published to
// live, so a live view reading live shows flows handled by any node. Core
// NATS delivers at most once: like a slow viewer, a node cut off from the
// servers misses notes (the history, in the stream, misses nothing). It
// runs until stop is called.
func (s *Store) RelayNotes(local, live *notify.Bus) (stop func(), err error) {
	subject := "eventloom." + s.cfg.Stream + ".notes"
	sub, err := s.nc.Subscribe(subject, func(m *nats.Msg) {
		if m.Header.Get(nodeHeader) == s.node {
			return
		}
		var n notify.Note
		if err := json.Unmarshal(m.Data, &n); err != nil {
			s.log.Warn("relayed note does not decode", "err", err)
			return
		}
		live.Publish(n)
	})
	if err != nil {
		return nil, fmt.Errorf("relay notes: subscribe to %s: %w", subject, err)
	}
	in := local.Subscribe(4096)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			var n notify.Note
			select {
			case <-quit:
				return
			case n = <-in.C():
			}
			live.Publish(n)
			b, err := json.Marshal(n)
			if err != nil {
				continue
			}
			msg := &nats.Msg{Subject: subject, Data: b, Header: nats.Header{}}
			msg.Header.Set(nodeHeader, s.node)
			// A publish fails only while the connection is closed; the
			// note is then lost to the other nodes, as to a slow viewer.
			_ = s.nc.PublishMsg(msg)
		}
	}()
	return func() {
		_ = sub.Unsubscribe()
		in.Close()
		close(quit)
		<-done
	}, nil
}
