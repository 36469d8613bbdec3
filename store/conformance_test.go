package store_test

import (
	"context"
	"testing"

	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/storage/storagetest"
	"github.com/eventloom/eventloom/store"
)

// TestConformance runs the storage seam's conformance suite on SQLite.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dir string) storage.Storage {
		s, err := store.Open(context.Background(), store.Config{Dir: dir})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		return s
	}, storagetest.Features{Durable: true})
}
