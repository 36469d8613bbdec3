package jetstream_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestClusterRetryScheduleOnFakeClock: a handler that always fails, on
// three nodes sharing one fake clock. Whichever node runs each attempt,
// the retries come 2, 4, 8, 16, 32, then 32 minutes apart, and the
// delivery is dead after the 10th retry (11 runs in all, none twice).
func TestClusterRetryScheduleOnFakeClock(t *testing.T) {
	var runs atomic.Int32
	fail := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		runs.Add(1)
		return nil, errors.New("warehouse offline")
	}
	ns := newNodes(t, cluster, 3, same(engine.Config{Handlers: map[string]engine.Handler{"stock": fail}}))
	notes, done := make(chan notify.Note, 1000), make(chan struct{})
	t.Cleanup(func() { close(done) })
	for _, n := range ns.all {
		sub := n.bus.Subscribe(1000)
		t.Cleanup(sub.Close)
		go func() {
			for {
				select {
				case x := <-sub.C():
					notes <- x
				case <-done:
					return
				}
			}
		}()
	}
	shop(t, ns.all[0].eng)
	for _, n := range ns.all {
		eventually(t, "the design reaches every node", func() bool { return len(n.eng.Design().Subscriptions) == 1 })
	}
	if _, err := ns.all[1].eng.Trigger(context.Background(), order("R-1", 1)); err != nil {
		t.Fatal(err)
	}
	next := func(kind notify.Kind) notify.Note {
		t.Helper()
		deadline := time.After(bound)
		for {
			select {
			case n := <-notes:
				if n.Kind == kind {
					return n
				}
			case <-deadline:
				t.Fatalf("no %s note within %s", kind, bound)
			}
		}
	}
	for i, w := range []int{2, 4, 8, 16, 32, 32, 32, 32, 32, 32} {
		n := next(notify.DeliveryFailed)
		want := ns.clk.Now().Add(time.Duration(w) * time.Minute)
		if n.Attempt != i+1 || !n.NextAttemptAt.Equal(want) {
			t.Fatalf("failure of attempt %d (want %d) retries at %s; want %s (+%d min)", n.Attempt, i+1, n.NextAttemptAt, want, w)
		}
		eventually(t, "a node arms the retry's timer", func() bool { return slices.ContainsFunc(ns.clk.Scheduled(), want.Equal) })
		ns.clk.Set(want)
	}
	if n := next(notify.DeliveryDead); n.Attempt != 11 || runs.Load() != 11 {
		t.Fatalf("dead after attempt %d with %d runs; want 11 (the first and 10 retries)", n.Attempt, runs.Load())
	}
}
