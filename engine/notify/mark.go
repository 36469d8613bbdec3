package notify

import (
	"context"
	"sync"
)

// Mark is how far one consumer of the bus has got: the Seq of the last
// note it has taken in. A caller that saw a note go by (a test, a page
// that caused it) waits on the mark instead of sleeping until the
// consumer's numbers include it. The zero Mark is ready to use.
type Mark struct {
	mu      sync.Mutex
	seq     uint64
	moved   chan struct{} // closed and replaced when seq moves while waiters > 0
	waiters int
}

// Set records that every note up to seq has been taken in and wakes the
// waiters; with nobody waiting it costs one lock.
func (m *Mark) Set(seq uint64) {
	m.mu.Lock()
	m.seq = seq
	if m.waiters > 0 && m.moved != nil {
		close(m.moved)
		m.moved = nil
	}
	m.mu.Unlock()
}

// Seq is the last note taken in.
func (m *Mark) Seq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// Wait returns once the note numbered seq and every one before it has
// been taken in, or with ctx's error.
func (m *Mark) Wait(ctx context.Context, seq uint64) error {
	m.mu.Lock()
	m.waiters++
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.waiters--
		m.mu.Unlock()
	}()
	for {
		m.mu.Lock()
		if m.seq >= seq {
			m.mu.Unlock()
			return nil
		}
		if m.moved == nil {
			m.moved = make(chan struct{})
		}
		ch := m.moved
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
