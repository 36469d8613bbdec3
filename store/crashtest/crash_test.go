package crashtest_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

func TestFlowTriggersExactlyOnceAcrossACrash(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var calls atomic.Int32
	reserve := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		if calls.Add(1) == 1 {
			entered <- struct{}{}
			<-release // the process "dies" while the handler has run
		}
		return []engine.Trigger{{Event: "Reserved", Values: map[string]any{"Sku": d.Value("Sku")}}}, nil
	}
	cfg := engine.Config{Handlers: map[string]engine.Handler{"stock": reserve}}
	h := newHarness(t, cfg)
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.CreateEvent(ctx, "Stock", design.Event{Name: "Reserved", Parameters: []design.Parameter{{Name: "Sku", Type: design.Text, Mandatory: true}}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, order("A-7", 1))
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	// Crash: the store goes away before the completion can commit.
	st := h.st
	h.st = nil
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	close(release)
	closeCtx, cancel := context.WithTimeout(ctx, waitBound)
	_ = h.eng.Close(closeCtx)
	cancel()
	h.eng = nil

	// Restart on the same data before the lease expires: the delivery is
	// still leased to the dead process and nothing is triggered.
	h.open()
	h.start()
	o, err := h.eng.Occurrence(ctx, res.OccurrenceID)
	if err != nil {
		t.Fatal(err)
	}
	if s := o.Deliveries[0].Status; s != delivery.Running {
		t.Fatalf("after the crash the delivery is %s, want running (leased)", s)
	}
	// After the lease the sweeper returns it, and it runs again once.
	lease := h.eng.Config().LeaseDuration
	h.waitTimer(start.Add(h.eng.Config().SweepInterval))
	h.clk.Advance(lease + h.eng.Config().SweepInterval)
	h.waitNote("success after restart", kind(notify.DeliverySucceeded))
	trace, err := h.eng.Trace(ctx, res.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(trace) != 2 {
		t.Fatalf("trace has %d occurrences, want the root and exactly one Reserved", len(trace))
	}
	child := trace[1]
	if child.Event != "Reserved" || child.ParentDeliveryID != o.Deliveries[0].ID || string(child.Parameters) != `{"Sku":"A-7"}` {
		t.Fatalf("child = %s parent %d params %s", child.Event, child.ParentDeliveryID, child.Parameters)
	}
	d, _ := h.eng.Delivery(ctx, o.Deliveries[0].ID)
	// The run lost in the crash counts as a failed attempt (poison
	// handling), the redone run as the second.
	if d.Status != delivery.Succeeded || d.Attempts != 2 || d.AttemptList[0].Outcome != delivery.OutcomeFailed || !strings.Contains(d.AttemptList[0].Error, "stopped before it finished") {
		t.Fatalf("delivery %s with %d attempts (%+v), want succeeded after a lost attempt and a good one", d.Status, d.Attempts, d.AttemptList)
	}
}

// TestCrashLoopEndsDead: a delivery whose handler kills the process every
// time is counted a failed attempt each time its lease expires and it is
// reclaimed, so it ends dead after its retries instead of crashing every
// process forever. The crash is a claim dropped with the process: the
// store closes under the running handler, then the clock passes the
// lease.
func TestCrashLoopEndsDead(t *testing.T) {
	entered := make(chan struct{}, 4)
	released := make(chan struct{}, 4)
	var calls atomic.Int32
	crash := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		calls.Add(1)
		entered <- struct{}{}
		<-released // the process dies under it; what it returns is never recorded
		return nil, errors.New("unreachable")
	}
	cfg := engine.Config{MaxRetries: 1, Handlers: map[string]engine.Handler{"stock": crash}}
	h := newHarness(t, cfg)
	h.shopDesign()
	h.start()
	lease := h.eng.Config().LeaseDuration
	ctx := context.Background()
	res, err := h.eng.Trigger(ctx, order("A-7", 1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		<-entered
		// The process dies: the store goes first, so nothing is recorded.
		st := h.st
		h.st = nil
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		released <- struct{}{}
		closeCtx, cancel := context.WithTimeout(ctx, waitBound)
		_ = h.eng.Close(closeCtx)
		cancel()
		h.eng = nil
		// Restart after the lease: the start reclaims the delivery with
		// a failed attempt.
		h.clk.Advance(lease + time.Second)
		h.open()
		h.start()
	}
	o, err := h.eng.Occurrence(ctx, res.OccurrenceID)
	if err != nil {
		t.Fatal(err)
	}
	d := o.Deliveries[0]
	if d.Status != delivery.Dead || d.Attempts != 2 || calls.Load() != 2 || !strings.Contains(d.LastError, "stopped before it finished") {
		t.Fatalf("delivery %s after %d attempts and %d runs, last error %q; want dead after 2 lost runs", d.Status, d.Attempts, calls.Load(), d.LastError)
	}
	if o.Status != delivery.OccurrenceDead {
		t.Fatalf("occurrence %s, want dead", o.Status)
	}
}
