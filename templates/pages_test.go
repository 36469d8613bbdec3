package templates

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

func TestTimelineAxisFallsOnRoundTimes(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 27, 391e6, time.UTC)
	d := delivery.Delivery{ID: 4, App: "Ledger", Status: delivery.Retrying, NextAttemptAt: t0.Add(3 * time.Minute), AttemptList: []delivery.Attempt{
		{Number: 1, StartedAt: t0, FinishedAt: t0.Add(time.Second), Outcome: delivery.OutcomeFailed},
	}}
	axis, rows := timelineOf(TraceProps{Roots: []TraceNode{{Occurrence: delivery.Occurrence{CreatedAt: t0, Event: "Paid"}, Deliveries: []TraceDelivery{{Delivery: d}}}}})
	if len(axis.Ticks) < 2 || len(axis.Ticks) > maxTicks+1 {
		t.Fatalf("%d ticks: %+v", len(axis.Ticks), axis.Ticks)
	}
	if first, last := axis.Ticks[0], axis.Ticks[len(axis.Ticks)-1]; first.Label != "12:00:00" || first.Left != "left:0.00%" || last.Left != "left:100.00%" || last.Label != "12:04:00" {
		t.Fatalf("axis from %+v to %+v; want 12:00:00 at 0%% to 12:04:00 at 100%%", first, last)
	}
	if len(rows) != 1 || len(rows[0].Segments) != 2 || rows[0].Segments[0].Kind != "failed" || rows[0].Segments[1].Kind != "waiting" {
		t.Fatalf("rows = %+v; want one row: the failed attempt, then the wait", rows)
	}
}

func TestTimelineTellsDeadFromFailed(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	d := delivery.Delivery{ID: 5, App: "Ledger", Status: delivery.Dead, AttemptList: []delivery.Attempt{
		{Number: 1, StartedAt: t0, FinishedAt: t0.Add(time.Second), Outcome: delivery.OutcomeFailed},
		{Number: 2, StartedAt: t0.Add(2 * time.Minute), FinishedAt: t0.Add(2*time.Minute + time.Second), Outcome: delivery.OutcomeFailed},
	}}
	_, rows := timelineOf(TraceProps{Roots: []TraceNode{{Occurrence: delivery.Occurrence{CreatedAt: t0, Event: "Paid"}, Deliveries: []TraceDelivery{{Delivery: d}}}}})
	if len(rows) != 1 || len(rows[0].Segments) != 2 || rows[0].Segments[0].Kind != "failed" || rows[0].Segments[1].Kind != "dead" || rows[0].Status != "dead" {
		t.Fatalf("rows = %+v; want a failed attempt, then the dead one", rows)
	}
	if c, label := attemptOutcome(d, d.AttemptList[1]); c != "s-dead" || label != "failed, dead" {
		t.Fatalf("last attempt of a dead delivery labelled %q %q", c, label)
	}
	if c, _ := attemptOutcome(d, d.AttemptList[0]); c != "s-failed" {
		t.Fatalf("a retried attempt labelled %q", c)
	}
}

func TestCountSaysOneInTheSingular(t *testing.T) {
	for n, want := range map[int]string{0: "0 deliveries", 1: "1 delivery", 2: "2 deliveries"} {
		if got := count(n, "delivery", "deliveries"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
