package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// waitAlerts waits until the engine keeps n alerts (newest first).
func (h *harness) waitAlerts(n int) []engine.Alert {
	h.t.Helper()
	deadline := time.NewTimer(waitBound)
	defer deadline.Stop()
	for {
		changed := h.eng.AlertsChanged()
		if got := h.eng.Alerts(0, 100); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			h.t.Fatalf("no %d alerts within %s: %+v", n, waitBound, h.eng.Alerts(0, 100))
		}
	}
}

// tick moves the fake clock one gauge check on and waits until the check
// has run (it schedules the next one when done). The tests check every 7
// seconds, so no other timer of the engine (whole seconds and minutes of
// its schedules) falls on the same instant and is taken for it.
func (h *harness) tick(every time.Duration) {
	h.t.Helper()
	h.clk.Advance(every)
	h.waitTimer(h.clk.Now().Add(every))
}

// TestAlertDeliveryDead: a delivery that dies raises a delivery_dead
// alert naming the app, the event and the delivery.
func TestAlertDeliveryDead(t *testing.T) {
	fail := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) {
		return nil, errors.New("stock is down")
	}
	h := newHarness(t, engine.Config{MaxRetries: -1, Handlers: map[string]engine.Handler{"stock": fail}})
	h.shopDesign()
	h.start()
	res, err := h.eng.Trigger(context.Background(), order("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	a := h.waitAlerts(1)[0]
	if a.Kind != engine.AlertDeliveryDead || a.App != "Stock" || a.Event != "Shop.OrderPlaced" || a.DeliveryID == 0 ||
		!strings.Contains(a.Message, "stock is down") || !a.At.Equal(start) || a.ID != 1 {
		t.Fatalf("alert = %+v (occurrence %d)", a, res.OccurrenceID)
	}
	if n := h.eng.AlertsSince(start); n != 1 {
		t.Fatalf("AlertsSince = %d, want 1", n)
	}
}

// TestAlertQueueFilling: a queue at 80% of its cap alerts once, stays
// quiet while it hovers there, and alerts again only after it fell under
// 70%.
func TestAlertQueueFilling(t *testing.T) {
	ok := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	every := 7 * time.Second
	h := newHarness(t, engine.Config{QueueCap: 10, AlertCheckInterval: every, Handlers: map[string]engine.Handler{"stock": ok}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.PauseSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitTimer(start.Add(every))
	fill := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(7)
	h.tick(every)
	if got := h.eng.Alerts(0, 10); len(got) != 0 {
		t.Fatalf("alerts at 70%% = %+v, want none", got)
	}
	fill(1)
	h.clk.Advance(every)
	a := h.waitAlerts(1)[0]
	if a.Kind != engine.AlertQueueFilling || a.Event != "Shop.OrderPlaced" || a.App != "Shop" || !strings.Contains(a.Message, "8 of its 10") {
		t.Fatalf("alert = %+v", a)
	}
	h.waitTimer(h.clk.Now().Add(every))
	h.tick(every)
	h.tick(every)
	if got := h.eng.Alerts(0, 10); len(got) != 1 {
		t.Fatalf("a queue hovering at 80%% alerted again: %+v", got)
	}
	if _, err := h.eng.ResumeSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		h.waitNote("succeeded", kind(notify.DeliverySucceeded))
	}
	h.tick(every) // under 70%: re-armed
	if _, err := h.eng.PauseSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	fill(8)
	h.clk.Advance(every)
	if got := h.waitAlerts(2); got[0].Kind != engine.AlertQueueFilling {
		t.Fatalf("after falling back and filling again: %+v", got)
	}
}

const appAtLimitFor = time.Minute

// TestAlertAppAtLimit: an app running at its concurrency limit for a
// minute (on the fake clock) raises app_at_limit once.
func TestAlertAppAtLimit(t *testing.T) {
	release := make(chan struct{})
	block := func(ctx context.Context, _ *engine.Delivery) ([]engine.Trigger, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	}
	every := 7 * time.Second
	h := newHarness(t, engine.Config{AlertCheckInterval: every, Handlers: map[string]engine.Handler{"stock": block}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.UpdateApp(ctx, "Stock", design.App{Name: "Stock", Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	h.start()
	defer close(release)
	if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
		t.Fatal(err)
	}
	h.waitNote("started", kind(notify.DeliveryStarted))
	h.waitTimer(start.Add(every))
	// Checks every 7s see the app at its limit from the first (7s) on:
	// the alert comes with the first check a minute or more after that.
	for i := 0; i < 20 && len(h.eng.Alerts(0, 1)) == 0; i++ {
		h.tick(every)
	}
	a := h.waitAlerts(1)[0]
	if want := start.Add(every + appAtLimitFor).Add(every - appAtLimitFor%every); !a.At.Equal(want) {
		t.Fatalf("alert at %s, want the first check a minute after the first at the limit, %s", a.At, want)
	}
	if a.Kind != engine.AlertAppAtLimit || a.App != "Stock" || !strings.Contains(a.Message, "concurrency limit (1 at once)") {
		t.Fatalf("alert = %+v", a)
	}
	h.waitTimer(h.clk.Now().Add(every))
	h.tick(every)
	if got := h.eng.Alerts(0, 10); len(got) != 1 {
		t.Fatalf("the same stretch at the limit alerted again: %+v", got)
	}
}

// alertReceiver is a loopback alert webhook that verifies each request's
// Standard Webhooks signature with the secret shown when it was set, and
// answers the statuses it is given in turn (then 204).
type alertReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	answer []int
	got    chan alertRequest
}

type alertRequest struct {
	id, typ  string
	verified error
	alert    engine.Alert
}

func newAlertReceiver(t *testing.T, answer ...int) *alertReceiver {
	r := &alertReceiver{answer: answer, got: make(chan alertRequest, 16)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secret := r.secret
		status := http.StatusNoContent
		if len(r.answer) > 0 {
			status, r.answer = r.answer[0], r.answer[1:]
		}
		r.mu.Unlock()
		var x alertRequest
		wh, err := standardwebhooks.NewWebhook(secret)
		if err == nil {
			err = wh.VerifyIgnoringTimestamp(body, req.Header) // signed at the fake clock's time
		}
		x.verified, x.id = err, req.Header.Get(standardwebhooks.HeaderWebhookID)
		var b struct {
			Type string       `json:"type"`
			Data engine.Alert `json:"data"`
		}
		_ = json.Unmarshal(body, &b)
		x.typ, x.alert = b.Type, b.Data
		w.WriteHeader(status)
		r.got <- x
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *alertReceiver) next(t *testing.T) alertRequest {
	t.Helper()
	select {
	case x := <-r.got:
		return x
	case <-time.After(waitBound):
		t.Fatalf("no alert webhook request within %s", waitBound)
	}
	return alertRequest{}
}

// TestAlertEndpointFailingSentToWebhook: an endpoint failing the
// threshold of attempts in a row raises endpoint_failing; the alert
// webhook (a loopback receiver, through Config.HTTPClient) gets it signed
// with the secret shown when it was set, and a failed send is retried on
// the clock.
func TestAlertEndpointFailingSentToWebhook(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	rc := newAlertReceiver(t, http.StatusServiceUnavailable) // the first send fails
	h := newHarness(t, engine.Config{AlertEndpointFailures: 2, HTTPClient: &http.Client{}})
	ctx := context.Background()
	for _, a := range []design.App{{Name: "Shop"}, {Name: "Stock", Endpoint: down.URL}} {
		if _, err := h.eng.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{{Name: "Sku", Type: design.Text, Mandatory: true}, {Name: "Qty", Type: design.Integer, Mandatory: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: orderPlaced, Handler: design.Handler{Kind: design.KindWebhook}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.RotateSecret(ctx, "Stock"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.SetAlertWebhook(ctx, "ftp://nope"); err == nil {
		t.Fatal("an ftp alert webhook was accepted")
	}
	w, err := h.eng.SetAlertWebhook(ctx, rc.srv.URL+"/alerts")
	if err != nil || !strings.HasPrefix(w.Secret, "whsec_") {
		t.Fatalf("set alert webhook = %+v, %v", w, err)
	}
	rc.mu.Lock()
	rc.secret = w.Secret
	rc.mu.Unlock()
	if u, _ := h.eng.AlertWebhookURL(ctx); u != rc.srv.URL+"/alerts" {
		t.Fatalf("alert webhook URL = %q", u)
	}
	h.start()
	for i := 0; i < 2; i++ {
		if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
			t.Fatal(err)
		}
		h.waitNote("failure", kind(notify.DeliveryFailed))
	}
	a := h.waitAlerts(1)[0]
	if a.Kind != engine.AlertEndpointFailing || a.App != "Stock" || !strings.Contains(a.Message, "failed 2 webhook attempts in a row") {
		t.Fatalf("alert = %+v", a)
	}
	first := rc.next(t)
	if first.verified != nil || first.typ != "alert.endpoint_failing" || first.alert.ID != a.ID || first.id != "alert_1" {
		t.Fatalf("first send = %+v", first)
	}
	retry := h.clk.Now().Add(5 * time.Second)
	h.waitTimer(retry)
	h.clk.Set(retry)
	if again := rc.next(t); again.verified != nil || again.id != first.id || again.alert.Kind != engine.AlertEndpointFailing {
		t.Fatalf("retried send = %+v", again)
	}
}
