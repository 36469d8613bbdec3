package jetstream_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/storage/storagetest"
	"github.com/eventloom/eventloom/store/jetstream"
)

// TestConformance runs the storage seam's conformance suite against a
// real three-server JetStream cluster in this process, each backend on an
// R3 stream of its own named after its dir: a reopen of the dir replays
// that stream (Durable), and two opens of one dir at once are two nodes
// of one store (SharedAcrossProcesses).
func TestConformance(t *testing.T) {
	c := cluster
	storagetest.Run(t, func(t *testing.T, dir string) storage.Storage {
		sum := sha256.Sum256([]byte(dir))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := jetstream.Open(ctx, jetstream.Config{URL: c.URL(), Stream: "T" + hex.EncodeToString(sum[:8]), Replicas: 3})
		if err != nil {
			t.Fatalf("open the JetStream store: %v", err)
		}
		return s
	}, storagetest.Features{Durable: true, SharedAcrossProcesses: true})
}
