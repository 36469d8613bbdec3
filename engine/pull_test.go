package engine_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

var shipped = design.EventRef{App: "Shop", Event: "Shipped"}

// pullDesign is Shop owning public OrderPlaced and Shipped; Stock (at
// concurrency limit) pulls OrderPlaced and handles Shipped with the Go
// handler "ship".
func (h *harness) pullDesign(limit int) {
	h.t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		h.t.Helper()
		if err != nil {
			h.t.Fatal(err)
		}
	}
	must(h.eng.CreateApp(ctx, design.App{Name: "Shop"}))
	must(h.eng.CreateApp(ctx, design.App{Name: "Stock", Concurrency: limit}))
	must(h.eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true}, {Name: "Qty", Type: design.Integer, Mandatory: true}}}))
	must(h.eng.CreateEvent(ctx, "Shop", design.Event{Name: "Shipped", Public: true}))
	must(h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindPull}, Enabled: true}))
	must(h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: shipped, Handler: design.Handler{Kind: design.KindGo, Name: "ship"}, Enabled: true}))
}

func (h *harness) trigger(n int) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		if _, err := h.eng.Trigger(context.Background(), order("A", i+1)); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) receive(max int, wait time.Duration) []engine.PullDelivery {
	h.t.Helper()
	got, err := h.eng.Receive(context.Background(), "Stock", orderPlaced, max, wait)
	if err != nil {
		h.t.Fatalf("receive: %v", err)
	}
	return got
}

func (h *harness) delivery(id int64) delivery.Delivery {
	h.t.Helper()
	d, err := h.eng.Delivery(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// wantFailed checks that res refused exactly the given token with code.
func wantFailed(t *testing.T, res engine.LockResult, tok, code string) {
	t.Helper()
	if len(res.Succeeded) != 0 || len(res.Failed) != 1 || res.Failed[0].LockToken != tok || res.Failed[0].Err.Code != code {
		t.Fatalf("result = %+v; want only %s refused with %s", res, tok, code)
	}
}

// waitInFlight waits until Stock's dispatch state satisfies ok; the
// state changes on the engine's goroutines, so it is looked at again
// until it does, within waitBound.
func (h *harness) waitInFlight(what string, ok func(engine.Load) bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitBound)
	for !ok(h.eng.InFlight()["Stock"]) {
		if time.Now().After(deadline) {
			h.t.Fatalf("no %s within %s: %+v", what, waitBound, h.eng.InFlight()["Stock"])
		}
		runtime.Gosched()
	}
}

func noGo(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }

// TestPullReleaseThenStaleAck: a released delivery is retried on the
// schedule; the earlier attempt's token is then refused as lock_lost and
// changes nothing, while the new attempt's ack succeeds.
func TestPullReleaseThenStaleAck(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"ship": noGo}})
	h.pullDesign(0)
	h.start()
	h.trigger(1)
	stockVerdict := func() string {
		vs, err := h.eng.Verdicts(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.App == "Stock" {
				return v.Reason
			}
		}
		return ""
	}
	if why := stockVerdict(); !strings.Contains(why, "waits for a pull worker of Stock") {
		t.Fatalf("the due pull delivery's verdict is %q; want it waiting for a pull worker", why)
	}
	got := h.receive(10, 0)
	if why := stockVerdict(); !strings.Contains(why, "locked by a pull worker of Stock") {
		t.Fatalf("the received delivery's verdict is %q; want it locked by a pull worker", why)
	}
	if len(got) != 1 || got[0].Attempt != 1 || got[0].Event.Type() != "Shop.OrderPlaced" || got[0].Event.Source() != "Shop" {
		t.Fatalf("received %+v; want one first attempt of Shop.OrderPlaced", got)
	}
	if !got[0].LockedUntil.Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("locked until %s; want the handler timeout from now", got[0].LockedUntil)
	}
	if again := h.receive(10, 0); len(again) != 0 {
		t.Fatalf("the locked delivery was received again: %+v", again)
	}
	first := got[0]
	res, err := h.eng.Release(context.Background(), "Stock", orderPlaced, []string{first.LockToken}, nil)
	if err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("release = %+v, %v", res, err)
	}
	d := h.delivery(first.DeliveryID)
	if d.Status != delivery.Retrying || !d.NextAttemptAt.Equal(start.Add(2*time.Minute)) || d.Attempts != 1 {
		t.Fatalf("released delivery = %s next %s after %d attempts; want retrying in 2 minutes (the schedule)", d.Status, d.NextAttemptAt, d.Attempts)
	}
	h.waitTimer(start.Add(2 * time.Minute))
	h.clk.Set(start.Add(2 * time.Minute))
	got = h.receive(10, 0)
	if len(got) != 1 || got[0].Attempt != 2 || got[0].DeliveryID != first.DeliveryID {
		t.Fatalf("after the retry time received %+v; want attempt 2 of the same delivery", got)
	}
	res, err = h.eng.Ack(context.Background(), "Stock", orderPlaced, []string{first.LockToken})
	if err != nil {
		t.Fatal(err)
	}
	wantFailed(t, res, first.LockToken, "lock_lost")
	if d := h.delivery(first.DeliveryID); d.Status != delivery.Running || d.Attempts != 1 {
		t.Fatalf("a stale ack changed the delivery: %s after %d attempts", d.Status, d.Attempts)
	}
	res, err = h.eng.Ack(context.Background(), "Stock", orderPlaced, []string{got[0].LockToken})
	if err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("ack = %+v, %v", res, err)
	}
	if d := h.delivery(first.DeliveryID); d.Status != delivery.Succeeded || d.Attempts != 2 {
		t.Fatalf("acked delivery = %s after %d attempts; want succeeded after 2", d.Status, d.Attempts)
	}
	tampered := got[0].LockToken[:len(got[0].LockToken)-2] + "AA"
	if tampered == got[0].LockToken {
		tampered = got[0].LockToken[:len(got[0].LockToken)-2] + "BB"
	}
	res, _ = h.eng.Ack(context.Background(), "Stock", orderPlaced, []string{tampered})
	wantFailed(t, res, tampered, "invalid_lock_token")
}

// TestPullConcurrentReceiversNeverShareADelivery: many workers receiving
// at once each get distinct deliveries, every one exactly once.
func TestPullConcurrentReceiversNeverShareADelivery(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"ship": noGo}})
	h.pullDesign(0)
	h.start()
	const total = 60
	h.trigger(total)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := h.eng.Receive(context.Background(), "Stock", orderPlaced, 3, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				toks := make([]string, len(got))
				mu.Lock()
				for i, g := range got {
					seen[g.DeliveryID]++
					toks[i] = g.LockToken
				}
				mu.Unlock()
				if res, err := h.eng.Ack(context.Background(), "Stock", orderPlaced, toks); err != nil || len(res.Succeeded) != len(toks) {
					t.Errorf("ack = %+v, %v", res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("received %d distinct deliveries; want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d was received %d times", id, n)
		}
	}
}

// TestPullExpiredLockIsATimedOutAttempt: a lock nobody finishes expires
// at the handler timeout as a timed-out attempt retried on the schedule;
// its place in the app's pool is given back and its token refused.
func TestPullExpiredLockIsATimedOutAttempt(t *testing.T) {
	h := newHarness(t, engine.Config{HandlerTimeout: time.Minute, Handlers: map[string]engine.Handler{"ship": noGo}})
	h.pullDesign(1)
	h.start()
	h.trigger(1)
	got := h.receive(1, 0)
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	if l := h.eng.InFlight()["Stock"]; l.Running != 1 {
		t.Fatalf("in flight %+v; want the lease running", l)
	}
	expiry := start.Add(time.Minute)
	h.waitTimer(expiry)
	h.clk.Set(expiry)
	n := h.waitNote("timed-out attempt", kind(notify.DeliveryFailed))
	if !n.NextAttemptAt.Equal(expiry.Add(2 * time.Minute)) {
		t.Fatalf("next attempt at %s; want 2 minutes after the expiry (the schedule)", n.NextAttemptAt)
	}
	d := h.delivery(got[0].DeliveryID)
	if d.Status != delivery.Retrying || len(d.AttemptList) != 1 || d.AttemptList[0].Outcome != delivery.OutcomeTimedOut {
		t.Fatalf("expired delivery = %s with attempts %+v; want retrying after one timed-out attempt", d.Status, d.AttemptList)
	}
	// The place is given back just after the outcome is recorded and noted.
	h.waitInFlight("the expired lock's place given back", func(l engine.Load) bool { return l.Running == 0 })
	res, _ := h.eng.Ack(context.Background(), "Stock", orderPlaced, []string{got[0].LockToken})
	wantFailed(t, res, got[0].LockToken, "lock_lost")
	h.waitTimer(expiry.Add(2 * time.Minute))
	h.clk.Set(expiry.Add(2 * time.Minute))
	if again := h.receive(1, 0); len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("at the retry time received %+v; want attempt 2", again)
	}
}

// TestPullRejectReleaseDelayAndExtend: reject makes a delivery dead with
// the reason; release with a delay retries at now+delay; an extended lock
// outlives the handler timeout, up to its bound.
func TestPullRejectReleaseDelayAndExtend(t *testing.T) {
	h := newHarness(t, engine.Config{HandlerTimeout: time.Minute, Handlers: map[string]engine.Handler{"ship": noGo}})
	h.pullDesign(0)
	h.start()
	h.trigger(3)
	got := h.receive(3, 0)
	if len(got) != 3 {
		t.Fatalf("received %d; want 3", len(got))
	}
	ctx := context.Background()
	if res, err := h.eng.Reject(ctx, "Stock", orderPlaced, []string{got[0].LockToken}, "unknown SKU"); err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("reject = %+v, %v", res, err)
	}
	if d := h.delivery(got[0].DeliveryID); d.Status != delivery.Dead || !strings.Contains(d.LastError, "unknown SKU") {
		t.Fatalf("rejected delivery = %s (%q); want dead with the reason", d.Status, d.LastError)
	}
	delay := 90 * time.Second
	if res, err := h.eng.Release(ctx, "Stock", orderPlaced, []string{got[1].LockToken}, &delay); err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("release = %+v, %v", res, err)
	}
	if d := h.delivery(got[1].DeliveryID); d.Status != delivery.Retrying || !d.NextAttemptAt.Equal(start.Add(delay)) {
		t.Fatalf("released delivery = %s next %s; want retrying at now+90s", d.Status, d.NextAttemptAt)
	}
	if res, err := h.eng.Extend(ctx, "Stock", orderPlaced, []string{got[2].LockToken}, 5*time.Minute); err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("extend = %+v, %v", res, err)
	}
	h.waitTimer(start.Add(5 * time.Minute))
	h.clk.Set(start.Add(4 * time.Minute))
	res, _ := h.eng.Extend(ctx, "Stock", orderPlaced, []string{got[2].LockToken}, 7*time.Minute)
	wantFailed(t, res, got[2].LockToken, "extend_too_far")
	if _, err := h.eng.Extend(ctx, "Stock", orderPlaced, []string{got[2].LockToken}, time.Hour); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("extend by an hour = %v; want a field error", err)
	}
	if res, err := h.eng.Ack(ctx, "Stock", orderPlaced, []string{got[2].LockToken}); err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("ack of an extended lock past the handler timeout = %+v, %v", res, err)
	}
}

// TestPullConcurrencyHoldsAcrossHandlerKinds: leased pull deliveries and
// Go handler runs of one app share its limit: the high-water mark never
// passes it, a Go run waits while pulled deliveries fill the pool, and a
// receiver waiting on a full pool is woken when a place is freed.
func TestPullConcurrencyHoldsAcrossHandlerKinds(t *testing.T) {
	release := make(chan struct{})
	ship := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	}
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"ship": ship}})
	h.pullDesign(2)
	h.start()
	ctx := context.Background()
	h.trigger(3)
	got := h.receive(10, 0)
	if len(got) != 2 {
		t.Fatalf("received %d with a limit of 2; want 2", len(got))
	}
	if _, err := h.eng.Trigger(ctx, engine.TriggerRequest{Event: shipped}); err != nil {
		t.Fatal(err)
	}
	// Claimed at insert or by the poll loop, the Go run waits in the
	// queue: the pulled deliveries hold both places.
	h.waitInFlight("the Go run queued behind 2 pulled deliveries", func(l engine.Load) bool { return l.Running == 2 && l.Queued == 1 })
	if res, err := h.eng.Ack(ctx, "Stock", orderPlaced, []string{got[0].LockToken}); err != nil || len(res.Succeeded) != 1 {
		t.Fatalf("ack = %+v, %v", res, err)
	}
	h.waitNote("the Go run", func(n notify.Note) bool { return n.Kind == notify.DeliveryStarted && n.Event == shipped.String() })
	if more := h.receive(10, 0); len(more) != 0 {
		t.Fatalf("received %d with the pool full; want none", len(more))
	}
	type answer struct {
		got []engine.PullDelivery
		err error
	}
	waiting := make(chan answer, 1)
	go func() {
		got, err := h.eng.Receive(ctx, "Stock", orderPlaced, 10, 30*time.Second)
		waiting <- answer{got, err}
	}()
	h.waitTimer(start.Add(30 * time.Second))
	close(release)
	a := <-waiting
	if a.err != nil || len(a.got) != 1 {
		t.Fatalf("the waiting receive answered %d, %v; want the third delivery once the Go run freed its place", len(a.got), a.err)
	}
	if l := h.eng.InFlight()["Stock"]; l.HighWater > 2 {
		t.Fatalf("high-water mark %d passed the limit 2", l.HighWater)
	}
}

// TestPullLongPollWakesOnATriggerAndOnClose: a waiting receive answers as
// soon as an occurrence is stored, without the clock moving, and returns
// empty at once when the engine closes.
func TestPullLongPollWakesOnATriggerAndOnClose(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"ship": noGo}})
	h.pullDesign(0)
	h.start()
	done := make(chan []engine.PullDelivery, 1)
	go func() {
		got, _ := h.eng.Receive(context.Background(), "Stock", orderPlaced, 5, 30*time.Second)
		done <- got
	}()
	h.waitTimer(start.Add(30 * time.Second))
	h.trigger(1)
	if got := <-done; len(got) != 1 {
		t.Fatalf("the long poll answered %d deliveries; want the one triggered", len(got))
	}
	eng := h.eng
	go func() {
		got, _ := eng.Receive(context.Background(), "Stock", orderPlaced, 5, 30*time.Second)
		done <- got
	}()
	h.waitTimer(start.Add(30 * time.Second))
	h.close()
	if got := <-done; len(got) != 0 {
		t.Fatalf("a receive during shutdown answered %d deliveries", len(got))
	}
}

// TestPullRefusals: bad bounds are field errors; a subscription that is
// not pull, or another app's, is refused with the reason.
func TestPullRefusals(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: map[string]engine.Handler{"ship": noGo}})
	h.pullDesign(0)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		err  error
		kind error
		code string
	}{
		{"max 0", func() error { _, err := h.eng.Receive(ctx, "Stock", orderPlaced, 0, 0); return err }(), fault.ErrInvalid, "out_of_range"},
		{"wait 31s", func() error { _, err := h.eng.Receive(ctx, "Stock", orderPlaced, 1, 31*time.Second); return err }(), fault.ErrInvalid, "out_of_range"},
		{"go subscription", func() error { _, err := h.eng.Receive(ctx, "Stock", shipped, 1, 0); return err }(), fault.ErrConflict, "not_pull"},
		{"no subscription", func() error { _, err := h.eng.Receive(ctx, "Shop", orderPlaced, 1, 0); return err }(), fault.ErrNotFound, ""},
		{"no tokens", func() error { _, err := h.eng.Ack(ctx, "Stock", orderPlaced, nil); return err }(), fault.ErrInvalid, "required"},
	} {
		var fe *fault.Error
		if !errors.Is(c.err, c.kind) || !errors.As(c.err, &fe) || (c.code != "" && fe.Code != c.code) {
			t.Errorf("%s: %v; want %v %s", c.name, c.err, c.kind, c.code)
		}
	}
}
