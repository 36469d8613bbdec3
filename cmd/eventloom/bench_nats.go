package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store"
	"github.com/eventloom/eventloom/store/jetstream"
	"github.com/eventloom/eventloom/store/jetstream/natscluster"
)

// benchNATS runs the workload three times in one go, so the figures
// compare on the same machine at the same moment: on SQLite, on one
// JetStream node, and on three JetStream nodes sharing the producers (each
// JetStream run on a fresh stream of one in-process 3-server cluster, R3).
// It prints one JSON line per run.
func benchNATS(ctx context.Context, c benchConfig, dir string, stdout, progress io.Writer) error {
	if c.Fill > 0 || c.Handler != benchGo {
		return errors.New("-nats runs the Go-handler throughput workload only: drop -fill and -handler")
	}
	enc := json.NewEncoder(stdout)
	fmt.Fprintln(progress, "bench: SQLite, one node")
	res, err := runBench(ctx, c, filepath.Join(dir, "sqlite"), progress)
	if err != nil {
		return err
	}
	if err := enc.Encode(res); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cl, err := natscluster.Start(sctx, natscluster.Config{Dir: filepath.Join(dir, "nats")})
	if err != nil {
		return err
	}
	defer cl.Shutdown()
	for _, n := range []int{1, 3} {
		fmt.Fprintf(progress, "bench: NATS JetStream, %d node(s)\n", n)
		run := c
		run.Nodes, run.nats = n, nil
		for range n {
			st, err := jetstream.Open(ctx, jetstream.Config{URL: cl.URL(), Stream: fmt.Sprintf("BENCH%d", n)})
			if err != nil {
				return err
			}
			defer st.Close()
			run.nats = append(run.nats, st)
		}
		res, err := runBench(ctx, run, dir, progress)
		if err != nil {
			return err
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	return nil
}

// benchStorage is the first node's backend: SQLite in dataDir, or the
// first JetStream node's.
func benchStorage(ctx context.Context, c benchConfig, dataDir string, commits store.CommitObserver) (storage.Storage, error) {
	if len(c.nats) > 0 {
		// runBench closes it; closing a JetStream store twice is harmless.
		return c.nats[0], nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Config{Dir: dataDir, Synchronous: c.Sync, Commits: commits})
}

// benchOtherNodes starts an engine on every JetStream node after the
// first, once it has the design the first node made, and returns every
// node's engine (first included) for the producers to share.
func benchOtherNodes(ctx context.Context, c benchConfig, first *engine.Engine, cfg engine.Config) ([]*engine.Engine, func(), error) {
	engs := []*engine.Engine{first}
	closeAll := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, e := range engs[1:] {
			_ = e.Close(cctx)
		}
	}
	want := len(first.Design().Subscriptions)
	for _, st := range c.nats[min(1, len(c.nats)):] {
		ncfg := cfg
		ncfg.Storage = st
		e, err := engine.New(ctx, ncfg)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		if got := len(e.Design().Subscriptions); got != want {
			closeAll()
			return nil, nil, fmt.Errorf("bench node %d has %d subscriptions; want %d", len(engs)+1, got, want)
		}
		if err := e.Start(ctx); err != nil {
			closeAll()
			return nil, nil, err
		}
		engs = append(engs, e)
	}
	return engs, closeAll, nil
}

// benchName labels a result line: eventloom (SQLite) or nats-N.
func benchName(c benchConfig) string {
	if c.Nodes > 0 {
		return fmt.Sprintf("nats-%d", c.Nodes)
	}
	return "eventloom"
}
