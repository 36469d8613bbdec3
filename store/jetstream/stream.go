package jetstream

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// clusterFormWait bounds how long Open waits for a NATS cluster that is
// still forming (servers starting together, one restarting) to be able to
// place the replicated log, before it gives up with the server's error.
const clusterFormWait = 2 * time.Minute

// JetStream API error codes the nats.go jetstream package names no
// constant for: a cluster that cannot place the stream's replicas yet,
// and a meta layer without a leader yet.
const (
	codeNoSuitablePeers jetstream.ErrorCode = 10005
	codeClusterNotAvail jetstream.ErrorCode = 10008
)

// createStream creates the log stream, or finds it when it exists. A
// cluster that is still forming answers "no suitable peers" or does not
// answer at all for a moment: that is waited out (and said, as progress)
// for up to clusterFormWait, so nodes and NATS servers started together
// in any order come up without a restart.
func (s *Store) createStream(ctx context.Context) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name: s.cfg.Stream, Subjects: []string{s.subject}, Storage: jetstream.FileStorage,
		Replicas: s.cfg.Replicas, Duplicates: s.cfg.DuplicateWindow, Retention: jetstream.LimitsPolicy,
		Description: "Eventloom's command log: every write, in order; never trim it (a node replays it from the start)",
	}
	giveUp := time.Now().Add(clusterFormWait)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		st, err := s.js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = s.js.Stream(ctx, s.cfg.Stream)
		}
		if err == nil || !forming(err) || ctx.Err() != nil || time.Now().After(giveUp) {
			return st, err
		}
		s.log.Info("waiting for the NATS cluster to place the log stream", "stream", s.cfg.Stream,
			"replicas", s.cfg.Replicas, "retry_in", wait, "reason", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// forming reports whether err is what a JetStream cluster answers while
// it is still forming, rather than a refusal that waiting will not change.
func forming(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.ErrorCode == codeNoSuitablePeers || api.ErrorCode == codeClusterNotAvail
	}
	// A meta layer without a leader leaves the request unanswered; a
	// server without JetStream says so at once and is not waited for.
	return errors.Is(err, nats.ErrTimeout)
}
