package dispatch

import (
	"testing"

	"github.com/eventloom/eventloom/engine/storage"
)

// TestPoolQueueIsFIFOAndReusesItsArray checks the pool's queue: claims
// leave in the order they came, across interleaved pushes and pops, and
// once the queue has grown, a push and a pop allocate nothing.
func TestPoolQueueIsFIFOAndReusesItsArray(t *testing.T) {
	p := &Pool{}
	next, want := int64(1), int64(1)
	push := func(n int) {
		for range n {
			p.push([]storage.Claim{{DeliveryID: next}})
			next++
		}
	}
	pop := func(n int) {
		for range n {
			if c := p.pop(); c.DeliveryID != want {
				t.Fatalf("popped delivery %d, want %d", c.DeliveryID, want)
			}
			want++
		}
	}
	push(5)
	pop(3)
	push(10)
	pop(12)
	if len(p.queued()) != 0 {
		t.Fatalf("queued = %d claims after popping them all, want 0", len(p.queued()))
	}
	push(3)
	pop(1)
	if got := len(p.queued()); got != 2 {
		t.Fatalf("queued = %d, want 2", got)
	}
	allocs := testing.AllocsPerRun(100, func() {
		push(4)
		pop(4)
	})
	if allocs != 0 {
		t.Errorf("a push and a pop allocated %.1f times, want 0: the array is not reused", allocs)
	}
	pop(2)
}
