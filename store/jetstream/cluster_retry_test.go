package jetstream_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
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
	notes := ns.notes()
	shop(t, ns.all[0].eng)
	for _, n := range ns.all {
		eventually(t, "the design reaches every node", func() bool { return len(n.eng.Design().Subscriptions) == 1 })
	}
	if _, err := ns.all[1].eng.Trigger(context.Background(), order("R-1", 1)); err != nil {
		t.Fatal(err)
	}
	for i, w := range []int{2, 4, 8, 16, 32, 32, 32, 32, 32, 32} {
		n := nextNote(t, notes, notify.DeliveryFailed)
		want := ns.clk.Now().Add(time.Duration(w) * time.Minute)
		if n.Attempt != i+1 || !n.NextAttemptAt.Equal(want) {
			t.Fatalf("failure of attempt %d (want %d) retries at %s; want %s (+%d min)", n.Attempt, i+1, n.NextAttemptAt, want, w)
		}
		eventually(t, "a node arms the retry's timer", func() bool { return slices.ContainsFunc(ns.clk.Scheduled(), want.Equal) })
		ns.clk.Set(want)
	}
	if n := nextNote(t, notes, notify.DeliveryDead); n.Attempt != 11 || runs.Load() != 11 {
		t.Fatalf("dead after attempt %d with %d runs; want 11 (the first and 10 retries)", n.Attempt, runs.Load())
	}
}

// notes merges every node's notes into one channel until the test ends.
func (ns *nodes) notes() <-chan notify.Note {
	notes, done := make(chan notify.Note, 1000), make(chan struct{})
	ns.t.Cleanup(func() { close(done) })
	for _, n := range ns.all {
		sub := n.bus.Subscribe(1000)
		ns.t.Cleanup(sub.Close)
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
	return notes
}

// nextNote returns the next note of kind from notes, failing after bound.
func nextNote(t *testing.T, notes <-chan notify.Note, kind notify.Kind) notify.Note {
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

// TestClusterHandlerTimeout: a handler that never returns fails when the
// handler timeout passes on the fake clock; every node's history shows
// the attempt timed out after exactly the timeout, and the delivery
// retrying.
func TestClusterHandlerTimeout(t *testing.T) {
	block := func(ctx context.Context, _ *engine.Delivery) ([]engine.Trigger, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ns := newNodes(t, cluster, 3, same(engine.Config{HandlerTimeout: 10 * time.Second, Handlers: map[string]engine.Handler{"stock": block}}))
	notes := ns.notes()
	shop(t, ns.all[0].eng)
	res, err := ns.all[0].eng.Trigger(context.Background(), order("T-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	nextNote(t, notes, notify.DeliveryStarted)
	at := ns.clk.Now().Add(10 * time.Second)
	eventually(t, "the timeout's timer is armed", func() bool { return slices.ContainsFunc(ns.clk.Scheduled(), at.Equal) })
	ns.clk.Set(at)
	if n := nextNote(t, notes, notify.DeliveryFailed); !strings.Contains(n.Error, "handler timeout") {
		t.Fatalf("failure %q does not name the timeout", n.Error)
	}
	for i, n := range ns.all {
		o, err := n.eng.Occurrence(context.Background(), res.OccurrenceID)
		if err != nil {
			t.Fatal(err)
		}
		d := o.Deliveries[0]
		if len(d.AttemptList) != 1 || d.AttemptList[0].Outcome != delivery.OutcomeTimedOut || d.AttemptList[0].Duration() != 10*time.Second || d.Status != delivery.Retrying {
			t.Fatalf("node %d: delivery %s with attempts %+v; want retrying after one attempt timed out after 10s", i, d.Status, d.AttemptList)
		}
	}
}
