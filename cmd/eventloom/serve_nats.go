package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store"
	"github.com/eventloom/eventloom/store/jetstream"
	"github.com/eventloom/eventloom/web/metrics"
)

// backend is the storage serve runs on: the SQLite store in the data
// directory, or with --nats a node of a JetStream cluster.
type backend struct {
	st storage.Storage
	js *jetstream.Store
	// where says where the data lives, for the start-up banner.
	where string
}

// openBackend opens what c names.
func openBackend(ctx context.Context, c serveConfig, log *slog.Logger, m *metrics.Metrics) (*backend, error) {
	if c.NATS != "" {
		js, err := jetstream.Open(ctx, jetstream.Config{URL: c.NATS, Stream: c.NATSStream, Logger: log})
		if err != nil {
			return nil, err
		}
		return &backend{st: js, js: js, where: "NATS JetStream stream " + c.NATSStream + " at " + c.NATS}, nil
	}
	st, err := store.Open(ctx, store.Config{Dir: c.DataDir, Synchronous: c.Sync, Logger: log, Commits: m})
	if err != nil {
		return nil, err
	}
	m.WatchSearchIndex(st)
	abs, _ := filepath.Abs(c.DataDir)
	return &backend{st: st, where: abs}, nil
}

// liveBus returns the bus the live view reads: the engine's own, or on a
// cluster node one that also carries every other node's notes (stop ends
// the relay).
func (b *backend) liveBus(eng *engine.Engine) (live *notify.Bus, stop func(), err error) {
	if b.js == nil {
		return eng.Bus(), func() {}, nil
	}
	live = notify.New()
	stop, err = b.js.RelayNotes(eng.Bus(), live)
	return live, stop, err
}
