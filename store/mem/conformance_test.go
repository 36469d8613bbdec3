package mem_test

import (
	"testing"

	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/storage/storagetest"
	"github.com/eventloom/eventloom/store/mem"
)

// TestConformance runs the storage seam's conformance suite on the
// in-memory backend; the tests that reopen a backend skip (not durable).
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dir string) storage.Storage { return mem.New() }, storagetest.Features{Durable: false})
}
