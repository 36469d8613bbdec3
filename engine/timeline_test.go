package engine_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestTimelineRetriesAndDeath: a delivery that fails, is retried two
// minutes later and dies reads back as the live view saw it: the failure
// with its retry time, the retry's start, the death; a window that starts
// after the occurrence still names the retry's event (from the design),
// and holds only what happened in it.
func TestTimelineRetriesAndDeath(t *testing.T) {
	fail := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("warehouse offline")
	}
	h := newHarness(t, engine.Config{MaxRetries: 1, Handlers: map[string]engine.Handler{"stock": fail}})
	h.shopDesign()
	h.start()
	res, err := h.eng.Trigger(context.Background(), order("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	failed := h.waitNote("the first failure", kind(notify.DeliveryFailed))
	retry := start.Add(2 * time.Minute)
	if !failed.NextAttemptAt.Equal(retry) {
		t.Fatalf("next attempt at %s, want %s", failed.NextAttemptAt, retry)
	}
	h.waitTimer(retry)
	h.clk.Set(retry)
	h.waitNote("the death", kind(notify.DeliveryDead))

	type step struct {
		Kind    notify.Kind
		At      time.Time
		App     string
		Event   string
		Attempt int
		Error   string
		Next    time.Time
	}
	read := func(since, until time.Time) []step {
		t.Helper()
		tl, err := h.eng.Timeline(context.Background(), engine.TimelineQuery{Since: since, Until: until})
		if err != nil {
			t.Fatalf("timeline: %v", err)
		}
		var out []step
		for i, n := range tl.Items {
			if n.Seq != uint64(i+1) || n.OccurrenceID != res.OccurrenceID {
				t.Fatalf("item %d = %+v", i, n)
			}
			out = append(out, step{n.Kind, n.At, n.App, n.Event, n.Attempt, n.Error, n.NextAttemptAt})
		}
		return out
	}
	const ev = "Shop.OrderPlaced"
	whole := []step{
		{notify.OccurrenceTriggered, start, "Shop", ev, 0, "", time.Time{}},
		{notify.DeliveryStarted, start, "Stock", ev, 1, "", time.Time{}},
		{notify.DeliveryFailed, start, "Stock", ev, 1, "warehouse offline", retry},
		{notify.DeliveryStarted, retry, "Stock", ev, 2, "", time.Time{}},
		{notify.DeliveryDead, retry, "Stock", ev, 2, "warehouse offline", time.Time{}},
	}
	if got := read(start, start.Add(10*time.Minute)); !reflect.DeepEqual(got, whole) {
		t.Fatalf("timeline =\n%+v\nwant\n%+v", got, whole)
	}
	if got := read(start.Add(time.Minute), start.Add(10*time.Minute)); !reflect.DeepEqual(got, whole[3:]) {
		t.Fatalf("timeline from a minute on =\n%+v\nwant\n%+v", got, whole[3:])
	}
	if got := read(start.Add(-time.Minute), start); len(got) != 0 {
		t.Fatalf("timeline before the occurrence = %+v, want nothing", got)
	}
}
