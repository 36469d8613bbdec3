package engine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
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

// httpFlow subscribes Mail to OrderPlaced with one http step.
func (h *harness) httpFlow(step design.Step) {
	h.t.Helper()
	h.shopAndMail()
	step.Type = design.StepHTTP
	if _, err := h.eng.CreateSubscription(context.Background(), "Mail", design.Subscription{Event: orderPlaced, Enabled: true,
		Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{step}}}); err != nil {
		h.t.Fatal(err)
	}
}

// shopAndMail is Shop owning public OrderPlaced, and Mail.
func (h *harness) shopAndMail() {
	h.t.Helper()
	ctx := context.Background()
	for _, a := range []string{"Shop", "Mail"} {
		if _, err := h.eng.CreateApp(ctx, design.App{Name: a}); err != nil {
			h.t.Fatal(err)
		}
	}
	if _, err := h.eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true},
		{Name: "Qty", Type: design.Integer, Mandatory: true},
	}}); err != nil {
		h.t.Fatal(err)
	}
}

// counting is a loopback receiver that records each request's method,
// path and body and answers with status.
func counting(t *testing.T, status int) (*httptest.Server, *atomic.Int32, func() []string) {
	t.Helper()
	var hits atomic.Int32
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		hits.Add(1)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "receiver says no")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

func TestFlowHTTPStepCallsTheReceiver(t *testing.T) {
	srv, _, got := counting(t, http.StatusOK)
	h := newHarness(t, engine.Config{HTTPClient: srv.Client()})
	h.httpFlow(design.Step{Method: "POST", URL: srv.URL + "/orders/{{ Sku }}", Body: `{"qty": {{ Qty }}}`})
	// A dry run says what the step would call and calls nothing.
	dry, err := h.eng.TriggerDryRun(context.Background(), order("A-1", 2))
	if err != nil {
		t.Fatal(err)
	}
	if s := dry.Subscriptions[0].Steps; len(s) != 1 || s[0].Message != "would POST "+srv.URL+"/orders/A-1" {
		t.Fatalf("dry run steps %+v", s)
	}
	if g := got(); len(g) != 0 {
		t.Fatalf("a dry run called the receiver: %q", g)
	}
	h.start()
	if _, err := h.eng.Trigger(context.Background(), order("A-1", 2)); err != nil {
		t.Fatal(err)
	}
	h.waitNote("success", kind(notify.DeliverySucceeded))
	if g := got(); len(g) != 1 || g[0] != `POST /orders/A-1 {"qty": 2}` {
		t.Fatalf("receiver got %q", g)
	}
}

func TestFlowHTTPStepFailsTheDeliveryOnAnErrorStatus(t *testing.T) {
	srv, hits, _ := counting(t, http.StatusInternalServerError)
	h := newHarness(t, engine.Config{HTTPClient: srv.Client()})
	h.httpFlow(design.Step{Method: "PUT", URL: srv.URL + "/stock"})
	h.start()
	res, err := h.eng.Trigger(context.Background(), order("A-1", 2))
	if err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("failure", kind(notify.DeliveryFailed))
	if !strings.Contains(n.Error, "PUT "+srv.URL+"/stock answered 500 Internal Server Error: receiver says no") {
		t.Fatalf("failure %q should name the call, the status and the body", n.Error)
	}
	o, _ := h.eng.Occurrence(context.Background(), res.OccurrenceID)
	if d := o.Deliveries[0]; d.Status != delivery.Retrying || hits.Load() != 1 {
		t.Fatalf("status %s after %d calls; want retrying after 1", d.Status, hits.Load())
	}
}

func TestFlowHTTPStepTimesOut(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done() // answers only when the caller gives up
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, engine.Config{HTTPClient: srv.Client(), HandlerTimeout: 10 * time.Second})
	h.httpFlow(design.Step{Method: "GET", URL: srv.URL + "/slow"})
	h.start()
	res, err := h.eng.Trigger(context.Background(), order("A-1", 2))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(waitBound):
		t.Fatal("the call did not reach the receiver")
	}
	h.waitTimer(start.Add(10 * time.Second))
	h.clk.Advance(10 * time.Second)
	n := h.waitNote("failure", kind(notify.DeliveryFailed))
	if !strings.Contains(n.Error, "handler timeout") {
		t.Fatalf("failure %q does not name the timeout", n.Error)
	}
	o, _ := h.eng.Occurrence(context.Background(), res.OccurrenceID)
	if a := o.Deliveries[0].AttemptList[0]; a.Outcome != delivery.OutcomeTimedOut {
		t.Fatalf("attempt %s; want timed_out", a.Outcome)
	}
}

// With no HTTPClient configured the engine's default, the outbound
// guard, refuses a step that points at 127.0.0.1, and nothing reaches it.
func TestFlowHTTPStepRefusedByTheDefaultGuard(t *testing.T) {
	srv, hits, _ := counting(t, http.StatusOK)
	h := newHarness(t, engine.Config{})
	h.httpFlow(design.Step{Method: "POST", URL: srv.URL + "/hook"})
	h.start()
	if _, err := h.eng.Trigger(context.Background(), order("A-1", 2)); err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("failure", kind(notify.DeliveryFailed))
	for _, want := range []string{"the outbound guard refused a call to 127.0.0.1", "loopback", "--allow-endpoints 127.0.0.1/32"} {
		if !strings.Contains(n.Error, want) {
			t.Errorf("failure %q should contain %q", n.Error, want)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the receiver got %d calls; want none", hits.Load())
	}
}

// A bad http step is refused at save with field errors.
func TestFlowHTTPStepRefusedAtSave(t *testing.T) {
	h := newHarness(t, engine.Config{})
	h.shopAndMail()
	_, err := h.eng.CreateSubscription(context.Background(), "Mail", design.Subscription{Event: orderPlaced, Enabled: true,
		Handler: design.Handler{Kind: design.KindFlow, Steps: []design.Step{{Type: design.StepHTTP, Method: "TRACE", URL: "file:///etc/passwd"}}}})
	fields := map[string]bool{}
	for _, e := range fault.All(err) {
		if errors.Is(e, fault.ErrInvalid) {
			fields[e.Field] = true
		}
	}
	for _, want := range []string{"handler.steps[0].method", "handler.steps[0].url"} {
		if !fields[want] {
			t.Errorf("errors %v; want an invalid-value error at %s", err, want)
		}
	}
}
