package engine_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/demo"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// producerParent is the traceparent a producer sends with its trigger.
const producerParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// spans indexes the spans a recorder kept, to walk a trace by parent.
type spans []sdktrace.ReadOnlySpan

// one returns the only span named name whose attributes include every
// one of attrs, failing the test when there is not exactly one.
func (ss spans) one(t *testing.T, name string, attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range ss {
		if s.Name() == name && hasAttrs(s, attrs) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %q with %v, want 1; the spans: %s", len(found), name, attrs, ss)
	}
	return found[0]
}

func (ss spans) String() string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("\n  " + s.Name() + " " + s.SpanContext().SpanID().String() + " <- " + s.Parent().SpanID().String())
	}
	return b.String()
}

func hasAttrs(s sdktrace.ReadOnlySpan, attrs []attribute.KeyValue) bool {
	for _, want := range attrs {
		ok := false
		for _, got := range s.Attributes() {
			if got == want {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// childOf fails unless child's parent is parent.
func childOf(t *testing.T, child, parent sdktrace.ReadOnlySpan) {
	t.Helper()
	if child.Parent().SpanID() != parent.SpanContext().SpanID() || child.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Fatalf("%q has parent %s, want %q (%s)", child.Name(), child.Parent().SpanID(), parent.Name(), parent.SpanContext().SpanID())
	}
}

// recording returns a tracer provider that keeps every ended span in the
// returned recorder (the SDK's in-memory SpanRecorder).
func recording() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)), sr
}

// TestDemoChainIsOneTrace runs the demo design's purchase, with a
// producer's traceparent, through Storefront → Inventory → Shipping →
// Notifications (and FraudDetection → Payments beside it), plus Courier
// handling OnShipmentScheduled by webhook and Notifications' flow calling
// a service by an http step, both to a loopback receiver. Every span is
// in the producer's trace: the trigger is the producer's child, each
// attempt the child of the span that produced its occurrence (the trigger
// or a flow's trigger step), each step the child of its attempt, and the
// receiver sees the traceparent of the webhook's attempt span and of the
// http step's span.
func TestDemoChainIsOneTrace(t *testing.T) {
	rc := newReceiver(t, status(http.StatusOK))
	tp, sr := recording()
	h := newHarness(t, engine.Config{HTTPClient: rc.srv.Client(), TracerProvider: tp, Rand: func() float64 { return 0.99 }})
	doc, err := demo.Design()
	if err != nil {
		t.Fatal(err)
	}
	shipped := design.EventRef{App: "Shipping", Event: "OnShipmentScheduled"}
	for i, s := range doc.Subscriptions {
		if s.App == "Notifications" && s.Event == shipped {
			doc.Subscriptions[i].Handler.Steps = append(s.Handler.Steps, design.Step{Type: design.StepHTTP, Method: "POST",
				URL: rc.srv.URL + "/notify/{{ ProductId }}", Body: `{"to": "{{ CustomerEmail }}"}`})
		}
	}
	doc.Apps = append(doc.Apps, design.App{Name: "Courier", Endpoint: rc.srv.URL + "/courier"})
	doc.Subscriptions = append(doc.Subscriptions, design.Subscription{App: "Courier", Event: shipped, Enabled: true,
		Handler: design.Handler{Kind: design.KindWebhook}})
	ctx := context.Background()
	if _, err := h.eng.ImportDesign(ctx, doc, false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.RotateSecret(ctx, "Courier"); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, engine.TriggerRequest{Event: design.EventRef{App: "Storefront", Event: "OnPurchaseStarted"},
		Values: map[string]any{"ProductId": "P-1", "Quantity": 2, "CustomerEmail": "ann@example.com", "Amount": 120.5}, Traceparent: producerParent})
	if err != nil {
		t.Fatal(err)
	}
	// Inventory's flow waits 500ms, then Shipping's waits 1s.
	h.waitTimer(start.Add(500 * time.Millisecond))
	h.clk.Set(start.Add(500 * time.Millisecond))
	h.waitTimer(start.Add(1500 * time.Millisecond))
	h.clk.Set(start.Add(1500 * time.Millisecond))
	for i := range 7 { // Inventory, FraudDetection, Payments, Shipping, Courier and Notifications twice
		h.waitNote("delivery "+string(rune('1'+i))+" of 7 succeeded", kind(notify.DeliverySucceeded))
	}
	got := map[string]received{}
	for range 2 {
		r := rc.next(t)
		got[strings.Split(r.path, "/")[1]] = r
	}
	h.close() // every run has ended, and with it its span
	ss := spans(sr.Ended())

	for _, s := range ss {
		if s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Fatalf("%q is in trace %s, not the producer's", s.Name(), s.SpanContext().TraceID())
		}
	}
	trig := ss.one(t, "trigger Storefront.OnPurchaseStarted")
	if trig.Parent().SpanID().String() != "00f067aa0ba902b7" || !trig.Parent().IsRemote() || trig.SpanKind() != trace.SpanKindProducer {
		t.Fatalf("the trigger span's parent is %s (remote %v), kind %s; want the producer's 00f067aa0ba902b7, remote, a producer span",
			trig.Parent().SpanID(), trig.Parent().IsRemote(), trig.SpanKind())
	}
	if !hasAttrs(trig, []attribute.KeyValue{engine.AttrOccurrenceID.Int64(res.OccurrenceID), engine.AttrOutcome.String("stored")}) {
		t.Fatalf("the trigger span's attributes = %v", trig.Attributes())
	}
	app := engine.AttrApp.String
	inv := ss.one(t, "process Storefront.OnPurchaseStarted", app("Inventory"))
	childOf(t, inv, trig)
	childOf(t, ss.one(t, "process Storefront.OnPurchaseStarted", app("FraudDetection")), trig)
	if inv.SpanKind() != trace.SpanKindConsumer || !hasAttrs(inv, []attribute.KeyValue{
		engine.AttrAttempt.Int(1), engine.AttrOutcome.String("succeeded"), engine.AttrSubscription.String("Inventory handles Storefront.OnPurchaseStarted"),
		attribute.String("messaging.system", "eventloom"), attribute.String("messaging.destination.name", "Storefront.OnPurchaseStarted"),
		attribute.String("messaging.operation.type", "process"), attribute.String("messaging.consumer.group.name", "Inventory"),
	}) {
		t.Fatalf("Inventory's attempt span: kind %s, attributes %v", inv.SpanKind(), inv.Attributes())
	}
	// Every step that ran is the child of an attempt.
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range ss {
		byID[s.SpanContext().SpanID()] = s
	}
	for _, s := range ss {
		if p := byID[s.Parent().SpanID()]; strings.HasPrefix(s.Name(), "flow ") && (p == nil || !strings.HasPrefix(p.Name(), "process ")) {
			t.Fatalf("step span %q is not the child of an attempt span: %s", s.Name(), ss)
		}
	}
	stepOf := func(attempt sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
		t.Helper()
		for _, s := range ss {
			if s.Name() == name && s.Parent().SpanID() == attempt.SpanContext().SpanID() {
				return s
			}
		}
		t.Fatalf("no step %q under %q; the spans: %s", name, attempt.Name(), ss)
		return nil
	}
	stepOf(inv, "flow log")
	stepOf(inv, "flow wait")
	reserved := stepOf(inv, "flow trigger Inventory.OnStockReserved")
	for _, s := range ss {
		if s.Name() == "flow trigger Inventory.OnOutOfStock" {
			t.Fatalf("the trigger step whose when was false has a span")
		}
	}
	ship := ss.one(t, "process Inventory.OnStockReserved", app("Shipping"))
	childOf(t, ship, reserved)
	scheduled := stepOf(ship, "flow trigger Shipping.OnShipmentScheduled")
	notif := ss.one(t, "process Shipping.OnShipmentScheduled", app("Notifications"))
	childOf(t, notif, scheduled)
	courier := ss.one(t, "process Shipping.OnShipmentScheduled", app("Courier"))
	childOf(t, courier, scheduled)
	call := stepOf(notif, "flow http POST")
	if call.SpanKind() != trace.SpanKindClient {
		t.Fatalf("the http step's span is %s, want a client span", call.SpanKind())
	}
	// The other branch: FraudDetection → Payments → Notifications.
	fraud := ss.one(t, "process Storefront.OnPurchaseStarted", app("FraudDetection"))
	pay := ss.one(t, "process FraudDetection.OnFraudCheckPassed", app("Payments"))
	childOf(t, pay, stepOf(fraud, "flow trigger FraudDetection.OnFraudCheckPassed"))
	childOf(t, ss.one(t, "process Payments.OnPaymentCaptured", app("Notifications")), stepOf(pay, "flow trigger Payments.OnPaymentCaptured"))

	// The webhook receiver sees the attempt span, in the header and in
	// the CloudEvent; the http step's receiver sees the step's span.
	wh := got["courier"]
	if want := tracecontext.Format(courier.SpanContext()); wh.header.Get("traceparent") != want {
		t.Fatalf("the webhook's traceparent header = %q, want the attempt span's %q", wh.header.Get("traceparent"), want)
	}
	var ce map[string]any
	if err := json.Unmarshal(wh.body, &ce); err != nil || ce["traceparent"] != tracecontext.Format(courier.SpanContext()) {
		t.Fatalf("the webhook's CloudEvent traceparent = %v (%v), want the attempt span's", ce["traceparent"], err)
	}
	if want := tracecontext.Format(call.SpanContext()); got["notify"].header.Get("traceparent") != want {
		t.Fatalf("the http step's traceparent header = %q, want the step span's %q", got["notify"].header.Get("traceparent"), want)
	}
	// 1 trigger, 8 attempts, 13 steps that ran (a when that was false
	// skips its step, and with it its span).
	if n := len(ss); n != 22 {
		t.Fatalf("%d spans, want 22: %s", n, ss)
	}
}

// TestTraceSurvivesARestart: the occurrence keeps its trigger span's
// traceparent, so an attempt made by a new engine after a restart is
// still the trigger span's child; a trigger without a traceparent starts
// a trace of its own.
func TestTraceSurvivesARestart(t *testing.T) {
	tp, sr := recording()
	h := newHarness(t, engine.Config{TracerProvider: tp, Handlers: map[string]engine.Handler{"stock": nothing}})
	h.shopDesign()
	if _, err := h.eng.Trigger(context.Background(), order("A-1", 1)); err != nil {
		t.Fatal(err)
	}
	closing, cancel := context.WithCancel(context.Background())
	cancel()
	_ = h.eng.Close(closing) // never started: the delivery waits in the store
	h.eng = nil
	h.open()
	h.start()
	h.waitNote("the delivery after the restart", kind(notify.DeliverySucceeded))
	h.close()
	ss := spans(sr.Ended())
	trig := ss.one(t, "trigger Shop.OrderPlaced")
	if trig.Parent().IsValid() {
		t.Fatalf("a trigger without a traceparent has parent %s, want none (a new trace)", trig.Parent().SpanID())
	}
	childOf(t, ss.one(t, "process Shop.OrderPlaced", engine.AttrApp.String("Stock")), trig)
}

// TestRefusedTriggerSpan: a refused trigger is a span too, marked as an
// error with the refusal, and a batch makes one span per item.
func TestRefusedTriggerSpan(t *testing.T) {
	tp, sr := recording()
	h := newHarness(t, engine.Config{TracerProvider: tp, Handlers: map[string]engine.Handler{"stock": nothing}})
	h.shopDesign()
	_, err := h.eng.TriggerBatch(context.Background(), []engine.TriggerRequest{
		order("A-1", 1),
		{Event: orderPlaced, Values: map[string]any{"Sku": "A-2"}, Traceparent: producerParent},
	})
	if err != nil {
		t.Fatal(err)
	}
	ss := spans(sr.Ended())
	ok := ss.one(t, "trigger Shop.OrderPlaced", engine.AttrOutcome.String("stored"))
	bad := ss.one(t, "trigger Shop.OrderPlaced", engine.AttrOutcome.String("refused"))
	if ok.Status().Code != codes.Unset || bad.Status().Code != codes.Error || !strings.Contains(bad.Status().Description, "Qty") {
		t.Fatalf("statuses = %v and %v; want the refused one an error naming Qty", ok.Status(), bad.Status())
	}
	if bad.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("the refused item's span has parent %s, want its producer's", bad.Parent().SpanID())
	}
}

// TestNoTracerProviderRecordsNothing: without Config.TracerProvider the
// engine makes no spans, not even through a global provider a program
// installed, yet an occurrence still keeps its producer's traceparent
// and a webhook still carries the producer's trace on.
func TestNoTracerProviderRecordsNothing(t *testing.T) {
	global, sr := recording()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(global)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	h, rc, _ := webhookHarness(t, engine.Config{}, status(http.StatusOK))
	if _, ok := h.eng.Config().TracerProvider.(noop.TracerProvider); !ok {
		t.Fatalf("the default TracerProvider is %T, want the no-op one", h.eng.Config().TracerProvider)
	}
	res, err := h.eng.Trigger(context.Background(), engine.TriggerRequest{Event: orderPlaced,
		Values: map[string]any{"Sku": "A-1", "Qty": 1}, Traceparent: producerParent})
	if err != nil {
		t.Fatal(err)
	}
	r := rc.next(t)
	h.waitNote("the webhook's success", kind(notify.DeliverySucceeded))
	if got, want := r.header.Get("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-"; !strings.HasPrefix(got, want) {
		t.Fatalf("the webhook's traceparent header = %q, want the producer's trace %s...", got, want)
	}
	occ, err := h.eng.Occurrence(context.Background(), res.OccurrenceID)
	if err != nil || occ.Traceparent != producerParent {
		t.Fatalf("the occurrence keeps %q (%v), want the producer's %q", occ.Traceparent, err, producerParent)
	}
	h.close()
	if n := len(sr.Ended()) + len(sr.Started()); n != 0 {
		t.Fatalf("the global provider recorded %d spans, want none", n)
	}
}

// TestPullAttemptSpan: a pull worker's receipt starts the attempt span,
// the child of the trigger's; the CloudEvent it gets carries that span's
// traceparent, and the ack ends it as succeeded.
func TestPullAttemptSpan(t *testing.T) {
	tp, sr := recording()
	h := newHarness(t, engine.Config{TracerProvider: tp, Handlers: map[string]engine.Handler{"ship": nothing}})
	h.pullDesign(10)
	h.start()
	h.trigger(1)
	got := h.receive(1, 0)
	if len(got) != 1 {
		t.Fatalf("received %d, want 1", len(got))
	}
	tpOf := got[0].Event.Extensions()["traceparent"]
	if _, err := h.eng.Ack(context.Background(), "Stock", orderPlaced, []string{got[0].LockToken}); err != nil {
		t.Fatal(err)
	}
	ss := spans(sr.Ended())
	att := ss.one(t, "process Shop.OrderPlaced", engine.AttrApp.String("Stock"), engine.AttrOutcome.String("succeeded"),
		engine.AttrHandlerKind.String("pull"))
	childOf(t, att, ss.one(t, "trigger Shop.OrderPlaced"))
	if want := tracecontext.Format(att.SpanContext()); tpOf != want {
		t.Fatalf("the pulled CloudEvent's traceparent = %v, want the attempt span's %s", tpOf, want)
	}
}

// TestGoHandlerRunsInItsAttemptSpan: a Go handler's ctx carries its
// attempt's span, and the occurrence it triggers keeps that span's
// traceparent.
func TestGoHandlerRunsInItsAttemptSpan(t *testing.T) {
	tp, sr := recording()
	seen := make(chan string, 1)
	audit := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		seen <- tracecontext.FromContext(ctx)
		return []engine.Trigger{{Event: "Audit", Values: map[string]any{"Sku": "A-1"}}}, nil
	}
	h := newHarness(t, engine.Config{TracerProvider: tp, Handlers: map[string]engine.Handler{"stock": nothing, "audit": audit}})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.CreateSubscription(ctx, "Shop", design.Subscription{Event: orderPlaced, Enabled: true,
		Handler: design.Handler{Kind: design.KindGo, Name: "audit"}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	res, err := h.eng.Trigger(ctx, order("A-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	inHandler := <-seen
	h.waitNote("the audit", func(n notify.Note) bool { return n.Kind == notify.OccurrenceTriggered && n.Event == "Shop.Audit" })
	chain, err := h.eng.Trace(ctx, res.TraceID)
	if err != nil || len(chain) != 2 {
		t.Fatalf("the chain = %d occurrences (%v), want 2", len(chain), err)
	}
	h.close()
	att := spans(sr.Ended()).one(t, "process Shop.OrderPlaced", engine.AttrApp.String("Shop"))
	want := tracecontext.Format(att.SpanContext())
	if inHandler != want || chain[1].Traceparent != want {
		t.Fatalf("the handler's ctx span = %q and the triggered occurrence keeps %q; want both the attempt span's %q", inHandler, chain[1].Traceparent, want)
	}
}
