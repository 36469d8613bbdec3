package jetstream_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/eventloom/eventloom/store/jetstream"
)

// syncBuffer is a log destination read while the store writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOpenWaitsWhileTheClusterCannotPlaceTheLog: a log the cluster cannot
// place yet (five replicas on three servers: "no suitable peers", what a
// cluster still forming answers) is waited for, with progress logged,
// until the caller's context ends, rather than refused at once.
func TestOpenWaitsWhileTheClusterCannotPlaceTheLog(t *testing.T) {
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		st, err := jetstream.Open(ctx, jetstream.Config{URL: cluster.URL(), Stream: "UNPLACEABLE", Replicas: 5,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err == nil {
			st.Close()
		}
		done <- err
	}()
	eventually(t, "Open saying it waits for the cluster, twice", func() bool {
		select {
		case err := <-done:
			t.Fatalf("Open returned (%v) while the cluster could not place the log; want it to wait", err)
		default:
		}
		return strings.Count(logs.String(), "waiting for the NATS cluster to place the log stream") >= 2
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Open after its context ended = %v; want context.Canceled", err)
	}
}
