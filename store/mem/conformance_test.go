package mem_test

import (
	"sync"
	"testing"

	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/storage/storagetest"
	"github.com/eventloom/eventloom/store/mem"
)

// TestConformance runs the storage seam's conformance suite on the
// in-memory backend; the tests that reopen a backend skip (not durable),
// and so does the one that needs two opens of a dir to be one store.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dir string) storage.Storage { return mem.New() }, storagetest.Features{})
}

// TestConformanceSharedHandles runs the suite again with every open of a
// dir handing out a handle on the same store (the last handle closed
// closes it), as processes connected to one server would share it, so the
// SharedAcrossProcesses test runs: its checks of visibility, the shared
// cap and exclusive claims across two backends hold for mem's one store.
func TestConformanceSharedHandles(t *testing.T) {
	var mu sync.Mutex
	stores := map[string]*shared{}
	storagetest.Run(t, func(t *testing.T, dir string) storage.Storage {
		mu.Lock()
		defer mu.Unlock()
		s := stores[dir]
		if s == nil {
			s = &shared{Store: mem.New(), mu: &mu, release: func() { delete(stores, dir) }}
			stores[dir] = s
		}
		s.open++
		return &handle{shared: s}
	}, storagetest.Features{SharedAcrossProcesses: true})
}

// shared is one store and how many handles on it are open.
type shared struct {
	*mem.Store
	mu      *sync.Mutex
	open    int
	release func()
}

// handle is one open of a shared store; closing it closes the store only
// when it is the last one open.
type handle struct {
	*shared
	once sync.Once
}

func (h *handle) Close() error {
	var err error
	h.once.Do(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.open--; h.open == 0 {
			h.release()
			err = h.Store.Close()
		}
	})
	return err
}
