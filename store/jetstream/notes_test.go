package jetstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestClusterLiveViewShowsEveryNode: each node relays its engine's notes
// into a live bus of its own (what its console's live view reads); a flow
// triggered and handled on node A shows on node B's live bus, and on A's
// own exactly once (its own notes are not relayed back to it).
func TestClusterLiveViewShowsEveryNode(t *testing.T) {
	ns := newNodes(t, cluster, 2, same(engine.Config{Handlers: map[string]engine.Handler{
		"stock": func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }}}))
	a := ns.all[0]
	lives := make([]*notify.Subscriber, 2)
	for i, n := range ns.all {
		live := notify.New()
		stop, err := n.st.RelayNotes(n.bus, live)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		lives[i] = live.Subscribe(1000)
	}
	shop(t, a.eng)
	res, err := a.eng.Trigger(context.Background(), order("L-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, sub := range lives {
		seen := map[notify.Kind]int{}
		deadline := time.After(bound)
		// The trigger's note may come after the success's: a node's own
		// notes reach its live view at once, the other node's over NATS.
		for seen[notify.OccurrenceTriggered] == 0 || seen[notify.DeliverySucceeded] == 0 {
			select {
			case n := <-sub.C():
				if n.OccurrenceID == res.OccurrenceID {
					seen[n.Kind]++
				}
			case <-deadline:
				t.Fatalf("node %d's live view never showed both the trigger and the success of occurrence %d triggered on node A (saw %v)", i, res.OccurrenceID, seen)
			}
		}
		if seen[notify.OccurrenceTriggered] != 1 || seen[notify.DeliverySucceeded] != 1 {
			t.Fatalf("node %d's live view showed %v; want the trigger and the success once each", i, seen)
		}
	}
}
