package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

func ok(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }

func TestTriggerOnlyByOwner(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	req := order("A-1", 2)
	req.Caller = "Stock"
	_, err := h.eng.Trigger(ctx, req)
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrForbidden) || fe.Code != "not_owner" {
		t.Fatalf("trigger by Stock = %v, want not_owner forbidden", err)
	}
	if !strings.Contains(err.Error(), "only its owner Shop") {
		t.Errorf("message %q does not say who may trigger", err)
	}
	list, _ := h.eng.Occurrences(ctx, engine.OccurrenceFilter{})
	if len(list) != 0 {
		t.Fatalf("a refused trigger stored %d occurrences", len(list))
	}
	req.Caller = "Shop"
	res, err := h.eng.Trigger(ctx, req)
	if err != nil {
		t.Fatalf("trigger by owner: %v", err)
	}
	if res.OccurrenceID == 0 || res.TraceID != res.OccurrenceID || res.Deliveries != 1 {
		t.Fatalf("result = %+v, want a root occurrence with 1 delivery", res)
	}
	_, err = h.eng.Trigger(ctx, engine.TriggerRequest{Event: design.EventRef{App: "Shop", Event: "Nope"}})
	if !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("unknown event = %v, want not found", err)
	}
}

func TestPrivateEventRefusedForAnotherApp(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	audit := design.EventRef{App: "Shop", Event: "Audit"}
	_, err := h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: audit, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true})
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrForbidden) || fe.Code != "private_event" {
		t.Fatalf("Mail subscribing to private Shop.Audit = %v, want private_event forbidden", err)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Shop", design.Subscription{Event: audit, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}, Enabled: true}); err != nil {
		t.Fatalf("the owner handling its private event: %v", err)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindGo, Name: "stock"}}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second subscription of Stock to OrderPlaced = %v, want conflict", err)
	}
}

// TestDeleteOrUnpublishHandledEvent: deleting an event another app
// handles, making it private or deleting its producer breaks that
// subscription, so each is refused with breaking_change naming it until
// confirmed (ConfirmBreaking, or the older cascade); nothing changes
// before.
func TestDeleteOrUnpublishHandledEvent(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	refused := func(what string, err error, reason string) {
		t.Helper()
		var be *design.BreakingError
		all := fault.All(err)
		if !errors.As(err, &be) || len(all) != 1 || all[0].Code != "breaking_change" || !errors.Is(err, fault.ErrConflict) ||
			len(be.Breaks) != 1 || be.Breaks[0] != (design.Break{Subscription: design.SubscriptionRef{App: "Stock", Producer: "Shop", Event: "OrderPlaced"}, Reason: reason}) {
			t.Fatalf("%s = %v (breaks %+v), want breaking_change for Stock's subscription: %s", what, err, be, reason)
		}
	}
	before := len(h.eng.Design().Subscriptions)
	refused("delete handled event", h.eng.DeleteEvent(ctx, orderPlaced, false), "event Shop.OrderPlaced deleted")
	ev, _ := h.eng.Event(orderPlaced)
	ev.Public = false
	_, err := h.eng.UpdateEvent(ctx, orderPlaced, ev, false)
	refused("making a handled event private", err, "event Shop.OrderPlaced made private")
	refused("deleting an app whose events others handle", h.eng.DeleteApp(ctx, "Shop", false), "event Shop.OrderPlaced deleted")
	if d := h.eng.Design(); len(d.Subscriptions) != before || len(d.Events) != 2 || len(d.Apps) != 3 {
		t.Fatalf("a refused change changed the design: %+v", d)
	}
	if _, err := h.eng.UpdateEvent(engine.ConfirmBreaking(ctx), orderPlaced, ev, false); err != nil {
		t.Fatalf("confirmed private: %v", err)
	}
	if d := h.eng.Design(); len(d.Subscriptions) != 0 {
		t.Fatalf("after making it private: %d subscriptions, want Stock's gone", len(d.Subscriptions))
	}
	if err := h.eng.DeleteEvent(ctx, orderPlaced, false); err != nil {
		t.Fatalf("delete an event nobody else handles any more: %v", err)
	}
	if d := h.eng.Design(); len(d.Events) != 1 {
		t.Fatalf("after delete: %d events; want 1", len(d.Events))
	}
}

// TestCascadeConfirmsBreaking: cascade=true on a delete is the explicit
// "delete those subscriptions too", so it confirms the break.
func TestCascadeConfirmsBreaking(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	if err := h.eng.DeleteEvent(context.Background(), orderPlaced, true); err != nil {
		t.Fatalf("cascade delete: %v", err)
	}
	d := h.eng.Design()
	if len(d.Subscriptions) != 0 || len(d.Events) != 1 {
		t.Fatalf("after cascade: %d subscriptions, %d events; want 0 and 1", len(d.Subscriptions), len(d.Events))
	}
}

// TestBreakingParameterChangeNeedsConfirmation: removing, retyping or
// making mandatory a parameter another app's subscription receives is
// refused until confirmed; a dry-run import reports the breaks without
// refusing; an optional parameter added passes.
func TestBreakingParameterChangeNeedsConfirmation(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	orig, _ := h.eng.Event(orderPlaced)
	for _, tc := range []struct {
		name   string
		edit   func(*design.Event)
		reason string
	}{
		{"removed", func(ev *design.Event) { ev.Parameters = ev.Parameters[:len(ev.Parameters)-1] }, "parameter " + orig.Parameters[len(orig.Parameters)-1].Name + " removed"},
		{"retyped", func(ev *design.Event) { ev.Parameters[0].Type = design.Email }, "parameter " + orig.Parameters[0].Name + " retyped " + string(orig.Parameters[0].Type) + " → Email"},
	} {
		ev, _ := h.eng.Event(orderPlaced)
		ev.Parameters = slices.Clone(ev.Parameters) // the engine's snapshot is shared
		tc.edit(&ev)
		_, err := h.eng.UpdateEvent(ctx, orderPlaced, ev, false)
		var be *design.BreakingError
		if !errors.As(err, &be) || be.Breaks[0].Reason != tc.reason || be.Breaks[0].Subscription.String() != "Stock:Shop.OrderPlaced" {
			t.Fatalf("%s: %v (%+v), want breaking_change: %s", tc.name, err, be, tc.reason)
		}
		doc := h.eng.Design()
		doc.Events = append([]design.Event(nil), doc.Events...)
		for i := range doc.Events {
			if doc.Events[i].Ref() == orderPlaced {
				doc.Events[i] = ev
			}
		}
		_, breaks, err := h.eng.ImportDesignReport(ctx, doc, true)
		if err != nil || len(breaks) != 1 || breaks[0].Reason != tc.reason {
			t.Fatalf("%s: dry-run import = %v, %v; want the break reported", tc.name, breaks, err)
		}
		if _, err := h.eng.ImportDesign(ctx, doc, false); !errors.As(err, &be) {
			t.Fatalf("%s: import = %v, want breaking_change", tc.name, err)
		}
	}
	if got, _ := h.eng.Event(orderPlaced); len(got.Parameters) != len(orig.Parameters) || got.Parameters[0].Type != orig.Parameters[0].Type {
		t.Fatalf("a refused change changed the event: %+v", got)
	}
	ev, _ := h.eng.Event(orderPlaced)
	ev.Parameters = append(slices.Clone(ev.Parameters), design.Parameter{Name: "Gift", Type: design.Boolean})
	if _, err := h.eng.UpdateEvent(ctx, orderPlaced, ev, false); err != nil {
		t.Fatalf("an optional parameter added: %v", err)
	}
	ev.Parameters[len(ev.Parameters)-1].Mandatory = true
	if _, err := h.eng.UpdateEvent(ctx, orderPlaced, ev, false); !errors.As(err, new(*design.BreakingError)) {
		t.Fatalf("made mandatory = %v, want breaking_change", err)
	}
	if _, err := h.eng.UpdateEvent(engine.ConfirmBreaking(ctx), orderPlaced, ev, false); err != nil {
		t.Fatalf("made mandatory, confirmed: %v", err)
	}
}

func TestFlowMistakeRefusedAtSave(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	_, err := h.eng.CreateSubscription(ctx, "Shop", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{
		{Type: design.StepTrigger, Event: "Audit", Parameters: map[string]string{"Sku": "Qty +"}},
	}}})
	if err == nil {
		t.Fatal("a flow with a broken expression was accepted")
	}
	found := false
	for _, x := range fault.All(err) {
		// The field is the subscription's own, so a form shows it in place.
		if x.Field == "handler.steps[0].parameters.Sku" {
			found = true
		}
	}
	if !found {
		t.Fatalf("errors %v do not point at the broken mapping", err)
	}
	if len(h.eng.Design().Subscriptions) != 1 {
		t.Fatal("a refused subscription was stored")
	}
	_, err = h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "missing"}})
	if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("unregistered Go handler = %v, want invalid naming it", err)
	}
}

func TestParametersCheckedAtTheBoundaries(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	cases := []struct {
		name   string
		values map[string]any
		kind   error
		field  string
	}{
		{"text of 2000 characters", map[string]any{"Sku": "A", "Qty": 1, "Note": strings.Repeat("é", 2000)}, nil, ""},
		{"text of 2001 characters", map[string]any{"Sku": "A", "Qty": 1, "Note": strings.Repeat("é", 2001)}, fault.ErrInvalid, "Note"},
		{"wrong type", map[string]any{"Sku": "A", "Qty": "three"}, fault.ErrInvalid, "Qty"},
		{"missing mandatory", map[string]any{"Sku": "A"}, fault.ErrInvalid, "Qty"},
		{"unknown name", map[string]any{"Sku": "A", "Qty": 1, "Colour": "red"}, fault.ErrInvalid, "Colour"},
	}
	stored := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.eng.Trigger(ctx, engine.TriggerRequest{Event: orderPlaced, Values: c.values})
			if c.kind == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				stored++
				return
			}
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			fields := []string{}
			for _, x := range fault.All(err) {
				fields = append(fields, x.Field)
			}
			if !strings.Contains(strings.Join(fields, ","), c.field) {
				t.Fatalf("fields %v, want %s", fields, c.field)
			}
		})
	}
	// 10 KB on the raw JSON: 10,240 bytes pass the size check, 10,241 do not.
	for _, size := range []int{10240, 10241} {
		body := `{"Sku":"A","Qty":1,"Note":"` + strings.Repeat("x", 2000) + `"}`
		body += strings.Repeat(" ", size-len(body))
		_, err := h.eng.Trigger(ctx, engine.TriggerRequest{Event: orderPlaced, JSON: []byte(body)})
		if size == 10240 && err != nil {
			t.Fatalf("payload of %d bytes refused: %v", size, err)
		}
		if size == 10241 && !errors.Is(err, fault.ErrTooLarge) {
			t.Fatalf("payload of %d bytes = %v, want too large", size, err)
		}
		if err == nil {
			stored++
		}
	}
	list, err := h.eng.Occurrences(ctx, engine.OccurrenceFilter{Limit: 100})
	if err != nil || len(list) != stored {
		t.Fatalf("%d occurrences stored (%v), want %d: refusals must store nothing", len(list), err, stored)
	}
}

func TestQueueCapExactlyAtTheBoundary(t *testing.T) {
	h := newHarness(t, engine.Config{QueueCap: 3, Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.PauseSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := h.eng.Trigger(ctx, order("A", i+1)); err != nil {
			t.Fatalf("trigger %d of cap 3: %v", i+1, err)
		}
	}
	_, err := h.eng.Trigger(ctx, order("A", 4))
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrQueueFull) || fe.Code != "queue_full" {
		t.Fatalf("trigger 4 of cap 3 = %v, want queue_full", err)
	}
	list, _ := h.eng.Occurrences(ctx, engine.OccurrenceFilter{})
	if len(list) != 3 {
		t.Fatalf("%d occurrences stored, want 3 (nothing on refusal)", len(list))
	}
	depths, _ := h.eng.QueueDepths(ctx)
	if d := depths["Shop.OrderPlaced"]; d.Pending != 3 || d.Cap != 3 {
		t.Fatalf("queue depth = %+v, want 3 of 3", d)
	}
	// Paused deliveries wait, they are not lost: resuming runs them and
	// frees the queue.
	h.start()
	if _, err := h.eng.ResumeSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		h.waitNote("success", kind(notify.DeliverySucceeded))
	}
	if _, err := h.eng.Trigger(ctx, order("A", 5)); err != nil {
		t.Fatalf("trigger after the queue drained: %v", err)
	}
}

func TestRetryScheduleAndDeadAfterTenthRetry(t *testing.T) {
	var runs atomic.Int32
	fail := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		runs.Add(1)
		return nil, errors.New("warehouse offline")
	}
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": fail}})
	h.shopDesign()
	h.start()
	res, err := h.eng.Trigger(context.Background(), order("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	waits := []int{2, 4, 8, 16, 32, 32, 32, 32, 32, 32}
	for i, w := range waits {
		n := h.waitNote("failure", kind(notify.DeliveryFailed))
		if n.Attempt != i+1 {
			t.Fatalf("failure note for attempt %d, want %d", n.Attempt, i+1)
		}
		want := h.clk.Now().Add(time.Duration(w) * time.Minute)
		if !n.NextAttemptAt.Equal(want) {
			t.Fatalf("after attempt %d next attempt at %s, want %s (+%d min)", i+1, n.NextAttemptAt, want, w)
		}
		// The retry is scheduled for exactly that minute; one second
		// early nothing runs, at the minute it does.
		h.waitTimer(want)
		h.clk.Set(want.Add(-time.Second))
		select {
		case n := <-h.notes.C():
			if n.Kind == notify.DeliveryStarted {
				t.Fatalf("retry %d started a second early", i+1)
			}
		default:
		}
		h.clk.Set(want)
	}
	n := h.waitNote("dead", kind(notify.DeliveryDead))
	if n.Attempt != 11 || runs.Load() != 11 {
		t.Fatalf("dead after attempt %d with %d runs, want 11 (first + 10 retries)", n.Attempt, runs.Load())
	}
	o, err := h.eng.Occurrence(context.Background(), res.OccurrenceID)
	if err != nil {
		t.Fatal(err)
	}
	d := o.Deliveries[0]
	if d.Status != delivery.Dead || d.Attempts != 11 || len(d.AttemptList) != 11 || d.LastError != "warehouse offline" {
		t.Fatalf("delivery = %s, %d attempts (%d recorded), last error %q", d.Status, d.Attempts, len(d.AttemptList), d.LastError)
	}
	if o.Status != delivery.OccurrenceDead {
		t.Fatalf("occurrence status %s, want dead", o.Status)
	}
	// A dead delivery is replayable.
	if _, err := h.eng.Replay(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	h.waitNote("replayed run", kind(notify.DeliveryStarted))
}

func TestTimeoutCountsAsFailure(t *testing.T) {
	block := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	// The gauge alerts check every 10 s by default too: moved out of the
	// way so the timer awaited below is the handler timeout's (the start
	// note is published just before that timer is set).
	h := newHarness(t, engine.Config{HandlerTimeout: 10 * time.Second, AlertCheckInterval: time.Hour, Handlers: map[string]engine.Handler{"stock": block}})
	h.shopDesign()
	h.start()
	res, err := h.eng.Trigger(context.Background(), order("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	h.waitNote("start", kind(notify.DeliveryStarted))
	h.waitTimer(start.Add(10 * time.Second))
	h.clk.Advance(10 * time.Second)
	n := h.waitNote("failure", kind(notify.DeliveryFailed))
	if !strings.Contains(n.Error, "handler timeout") {
		t.Fatalf("failure %q does not name the timeout", n.Error)
	}
	o, _ := h.eng.Occurrence(context.Background(), res.OccurrenceID)
	a := o.Deliveries[0].AttemptList[0]
	if a.Outcome != delivery.OutcomeTimedOut || a.Duration() != 10*time.Second {
		t.Fatalf("attempt = %s after %s, want timed_out after 10s", a.Outcome, a.Duration())
	}
	if o.Deliveries[0].Status != delivery.Retrying {
		t.Fatalf("status %s, want retrying", o.Deliveries[0].Status)
	}
}

func TestConcurrencyNeverExceeded(t *testing.T) {
	const limit, total = 5, 200
	var running, high atomic.Int32
	gate := make(chan struct{})
	// entered hears of every handler inside, so the test opens the gate
	// only once limit of them hold it at once (a started note alone comes
	// before the handler runs, and a fast store would let the first ones
	// through before the others arrive).
	entered := make(chan struct{}, total)
	slow := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		n := running.Add(1)
		for {
			h := high.Load()
			if n <= h || high.CompareAndSwap(h, n) {
				break
			}
		}
		entered <- struct{}{}
		<-gate
		running.Add(-1)
		return nil, nil
	}
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": slow}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.UpdateApp(ctx, "Stock", design.App{Name: "Stock", Concurrency: limit}); err != nil {
		t.Fatal(err)
	}
	h.start()
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total/8; i++ {
				if _, err := h.eng.Trigger(ctx, order("A", i+1)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < limit; i++ {
		select {
		case <-entered:
		case <-time.After(waitBound):
			t.Fatalf("only %d handlers running within %s, want %d", i, waitBound, limit)
		}
	}
	close(gate)
	for i := 0; i < total; i++ {
		h.waitNote("success", kind(notify.DeliverySucceeded))
	}
	if high.Load() != limit {
		t.Fatalf("high-water mark %d, want exactly the limit %d", high.Load(), limit)
	}
	if l := h.eng.InFlight()["Stock"]; l.HighWater != limit || l.Limit != limit {
		t.Fatalf("InFlight = %+v, want high water %d of %d", l, limit, limit)
	}
}

func TestEachDeliverySucceedsOnceUnderConcurrentDispatchers(t *testing.T) {
	const total = 300
	var mu sync.Mutex
	runs := map[int64]int{}
	count := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		mu.Lock()
		runs[d.ID]++
		mu.Unlock()
		return nil, nil
	}
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"stock": count}})
	h.shopDesign()
	ctx := context.Background()
	// Stored while nobody dispatches, then two engines over one store
	// race to claim them.
	for i := 0; i < total; i++ {
		if _, err := h.eng.Trigger(ctx, order("A", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	second, err := engine.New(ctx, engine.Config{Storage: h.st, Clock: h.clk, Bus: h.eng.Bus(), Handlers: map[string]engine.Handler{"stock": count}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close(context.Background()) })
	h.start()
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i++ {
		h.waitNote("success", kind(notify.DeliverySucceeded))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != total {
		t.Fatalf("%d deliveries ran, want %d", len(runs), total)
	}
	for id, n := range runs {
		if n != 1 {
			t.Fatalf("delivery %d ran %d times", id, n)
		}
	}
	counts, _ := h.eng.DeliveryCounts(ctx, time.Time{})
	if counts[delivery.Succeeded] != total {
		t.Fatalf("counts %v, want %d succeeded", counts, total)
	}
}
