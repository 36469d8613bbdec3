package jetstream

import (
	"context"
	"fmt"
)

// round is one read-barrier request: every read that joined it before it
// was sent gets its answer, which is linearizable for each of them (the
// request left after they arrived).
type round struct {
	done chan struct{}
	seq  uint64
	err  error
}

// lastSeq returns the stream's last sequence as the stream leader reports
// it, asked after the call began. Concurrent callers share one request:
// while one is in flight the next round gathers everyone who arrives, and
// is sent when the first returns, so a burst of reads costs two requests,
// not one each (the server's JetStream API has a bounded queue and drops
// requests past it).
func (s *Store) lastSeq(ctx context.Context) (uint64, error) {
	s.bmu.Lock()
	r := s.next
	if r == nil {
		r = &round{done: make(chan struct{})}
		s.next = r
		go s.send(r)
	}
	s.bmu.Unlock()
	select {
	case <-r.done:
		return r.seq, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.closed:
		return 0, errClosed
	}
}

// send waits for the round in flight, then closes r to newcomers and
// asks.
func (s *Store) send(r *round) {
	select {
	case s.inflight <- struct{}{}:
	case <-s.closed:
		r.err = errClosed
		s.bmu.Lock()
		if s.next == r {
			s.next = nil
		}
		s.bmu.Unlock()
		close(r.done)
		return
	}
	defer func() { <-s.inflight }()
	s.bmu.Lock()
	if s.next == r {
		s.next = nil
	}
	s.bmu.Unlock()
	info, err := s.stream.Info(context.Background())
	if err != nil {
		r.err = fmt.Errorf("stream info: %w", err)
	} else {
		r.seq = info.State.LastSeq
	}
	close(r.done)
}
