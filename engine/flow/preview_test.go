package flow_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/design"
)

// TestPreviewSaysWhatEachStepWouldDo: a preview renders logs, names waits
// without waiting (the fake clock never moves), evaluates triggers, skips
// steps whose when is false, reports a probable failure and goes on, and
// stops at a certain one, as the run would.
func TestPreviewSaysWhatEachStepWouldDo(t *testing.T) {
	f := mustCompile(t, handler(
		design.Step{Type: design.StepLog, Message: "Reserving {{ Quantity }} × {{ ProductId }}"},
		design.Step{Type: design.StepWait, Duration: design.Duration(time.Hour)},
		design.Step{Type: design.StepLog, Message: "never", When: "Quantity > 100"},
		design.Step{Type: design.StepFail, Message: "flaky", Probability: 0.2},
		design.Step{Type: design.StepTrigger, Event: "OnOutOfStock", Parameters: map[string]string{"ProductId": "ProductId"}},
		design.Step{Type: design.StepFail, Message: "stop at {{ Quantity }}"},
		design.Step{Type: design.StepLog, Message: "after the failure"},
	))
	fc := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	got := f.Preview(context.Background(), params(), fc)
	want := []struct{ outcome, message string }{
		{"log", "Reserving 3 × P-7"}, {"wait", "1h0m0s"}, {"skip", ""}, {"may_fail", "flaky (probability 0.2)"},
		{"trigger", ""}, {"fail", "stop at 3"},
	}
	if len(got) != len(want) {
		t.Fatalf("preview has %d steps, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Outcome != w.outcome || got[i].Message != w.message || got[i].Step != i {
			t.Errorf("step %d = %+v, want %s %q", i, got[i], w.outcome, w.message)
		}
	}
	if tr := got[4].Trigger; tr == nil || tr.Event != "OnOutOfStock" || tr.Values["ProductId"] != "P-7" {
		t.Fatalf("trigger preview = %+v", got[4].Trigger)
	}
	if !fc.Now().Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatal("the preview moved the clock")
	}
}
