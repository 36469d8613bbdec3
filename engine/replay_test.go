package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestReplayStartsTheRetryScheduleOver: a delivery dead after its last
// retry, once replayed, is retried on the whole schedule again (2, then 4
// minutes) instead of dying at its first failure, and dies again only
// after the schedule's last retry.
func TestReplayStartsTheRetryScheduleOver(t *testing.T) {
	fail := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("warehouse offline")
	}
	h := newHarness(t, engine.Config{MaxRetries: 2, Handlers: map[string]engine.Handler{"stock": fail}})
	h.shopDesign()
	h.start()
	if _, err := h.eng.Trigger(context.Background(), order("A", 1)); err != nil {
		t.Fatal(err)
	}
	// retries waits for the failures of one round of the schedule: each
	// retry waits 2, then 4 minutes; the last failure is dead.
	retries := func(round string, firstAttempt int) int64 {
		t.Helper()
		for i, w := range []int{2, 4} {
			n := h.waitNote(round+" failure", kind(notify.DeliveryFailed))
			if n.Attempt != firstAttempt+i {
				t.Fatalf("%s: failure of attempt %d, want %d", round, n.Attempt, firstAttempt+i)
			}
			want := h.clk.Now().Add(time.Duration(w) * time.Minute)
			if !n.NextAttemptAt.Equal(want) {
				t.Fatalf("%s: after attempt %d next attempt at %s, want %s (+%d min)", round, n.Attempt, n.NextAttemptAt, want, w)
			}
			h.waitTimer(want)
			h.clk.Set(want)
		}
		n := h.waitNote(round+" dead", kind(notify.DeliveryDead))
		if n.Attempt != firstAttempt+2 {
			t.Fatalf("%s: dead after attempt %d, want %d", round, n.Attempt, firstAttempt+2)
		}
		return n.DeliveryID
	}
	id := retries("first round", 1)

	d, err := h.eng.Replay(context.Background(), id)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if d.Status != delivery.Pending || d.ScheduleBase != 3 || d.Attempts != 3 {
		t.Fatalf("replayed delivery = %+v; want pending, 3 attempts kept, the schedule counted from them", d)
	}
	retries("after the replay", 4)

	d, err = h.eng.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != delivery.Dead || d.Attempts != 6 || len(d.AttemptList) != 6 {
		t.Fatalf("delivery = %s with %d attempts (%d recorded); want dead after 6", d.Status, d.Attempts, len(d.AttemptList))
	}
}

// TestFlowLogRecordedOnAttempt: what a flow's log steps write is stored on
// the attempt, in order, rendered, on a failing attempt as on a
// succeeding one.
func TestFlowLogRecordedOnAttempt(t *testing.T) {
	ok := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	h := newHarness(t, engine.Config{MaxRetries: 1, Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	h.start()
	_, err := h.eng.CreateSubscription(context.Background(), "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{
		{Type: design.StepLog, Message: "checking {{Sku}}"},
		{Type: design.StepLog, Message: "quantity {{Qty * 2}}"},
		{Type: design.StepFail, When: "Qty > 5", Message: "too many"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.eng.Trigger(context.Background(), order("A-1", 7))
	if err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("the flow's failure", func(n notify.Note) bool { return n.Kind == notify.DeliveryFailed && n.App == "Mail" })
	o, err := h.eng.Occurrence(context.Background(), res.OccurrenceID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range o.Deliveries {
		if d.ID == n.DeliveryID && len(d.AttemptList) == 1 {
			got = d.AttemptList[0].Log
		}
	}
	if strings.Join(got, "|") != "checking A-1|quantity 14" {
		t.Fatalf("attempt log = %q; want the two rendered log lines", got)
	}
}
