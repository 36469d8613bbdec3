package web_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/notify"
)

// driveClock moves the fake clock to each timer due within the next hour
// as soon as one is scheduled: flow waits and retry back-offs pass at
// once, while the handler timeout and the lease sweeper (set a day out by
// the test) never fire under a running handler.
func driveClock(t *testing.T, clk *clock.Fake) {
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	go func() {
		defer close(done)
		for {
			changed := clk.Changed()
			now := clk.Now()
			for _, at := range clk.Scheduled() {
				if at.Sub(now) < time.Hour {
					clk.Set(at)
					break
				}
			}
			select {
			case <-stop:
				return
			case <-changed:
			}
		}
	}()
}

// TestAPIDemoDesignEndToEnd imports the demo design over the API, triggers
// OnPurchaseStarted and follows the chain to Notifications on both
// branches; a purchase over 5,000 makes FraudDetection fail through every
// retry (1 s retry unit) to a dead letter.
func TestAPIDemoDesignEndToEnd(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	s := newAPIServer(t, engine.Config{
		Clock:          clk,
		RetryUnit:      time.Second,
		HandlerTimeout: 24 * time.Hour,
		SweepInterval:  24 * time.Hour,
		Rand:           func() float64 { return 0.5 }, // Payments' 10% failure never strikes
	})
	d, err := demo.Design()
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(d)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, string(doc)); code != 200 {
		t.Fatalf("import demo = %d %v", code, body)
	}
	driveClock(t, clk)

	status, body, _ := s.call("POST", "/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger", adminToken,
		`{"ProductId":"P-1","Quantity":2,"CustomerEmail":"ann@example.com","Amount":99.5}`)
	if status != 202 || body["deliveries"].(float64) != 2 {
		t.Fatalf("trigger = %d %v, want 202 with 2 deliveries (Inventory, FraudDetection)", status, body)
	}
	trace := int64(body["traceId"].(float64))
	notified := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(notified) < 2 {
		select {
		case n := <-s.notes.C():
			if n.Kind == notify.DeliverySucceeded && n.App == "Notifications" && n.TraceID == trace {
				notified[n.Event] = true
			}
			if n.Kind == notify.DeliveryFailed && n.TraceID == trace {
				t.Fatalf("%s failed handling %s: %s", n.App, n.Event, n.Error)
			}
		case <-deadline:
			t.Fatalf("Notifications handled only %v within 30s", notified)
		}
	}
	if !notified["Shipping.OnShipmentScheduled"] || !notified["Payments.OnPaymentCaptured"] {
		t.Fatalf("Notifications handled %v, want the shipment and the payment", notified)
	}
	_, body, _ = s.call("GET", "/api/v1/traces/"+jsonNum(trace), adminToken, "")
	events := map[string]bool{}
	for _, o := range body["occurrences"].([]any) {
		events[o.(map[string]any)["event"].(string)] = true
	}
	for _, want := range []string{"OnPurchaseStarted", "OnStockReserved", "OnFraudCheckPassed", "OnPaymentCaptured", "OnShipmentScheduled"} {
		if !events[want] {
			t.Errorf("trace %d lacks %s (has %v)", trace, want, events)
		}
	}

	// The failing branch: FraudDetection's risk service fails over 5,000.
	status, body, _ = s.call("POST", "/api/v1/apps/Storefront/events/OnPurchaseStarted/trigger", adminToken,
		`{"ProductId":"P-2","Quantity":1,"CustomerEmail":"bob@example.com","Amount":6000}`)
	if status != 202 {
		t.Fatalf("trigger = %d %v", status, body)
	}
	big := int64(body["traceId"].(float64))
	failures := 0
	deadline = time.After(60 * time.Second)
	for dead := false; !dead; {
		select {
		case n := <-s.notes.C():
			if n.TraceID != big || n.App != "FraudDetection" {
				continue
			}
			switch n.Kind {
			case notify.DeliveryFailed:
				failures++
			case notify.DeliveryDead:
				dead = true
			}
		case <-deadline:
			t.Fatalf("FraudDetection's delivery not dead within 60s (%d failures)", failures)
		}
	}
	if failures != 10 {
		t.Fatalf("%d retries scheduled before dead, want 10", failures)
	}
	_, body, _ = s.call("GET", "/api/v1/deliveries?status=dead", adminToken, "")
	items := body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d dead deliveries, want 1: %v", len(items), body)
	}
	dl := items[0].(map[string]any)
	if dl["app"] != "FraudDetection" || dl["attempts"].(float64) != 11 || dl["lastError"] == "" {
		t.Fatalf("dead delivery = %v", dl)
	}
}
