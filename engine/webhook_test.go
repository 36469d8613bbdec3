package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
)

// received is one request a receiver got.
type received struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is a real HTTP server on 127.0.0.1 standing in for an app's
// endpoint: answer decides each answer (after the request is recorded).
type receiver struct {
	srv *httptest.Server
	got chan received
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan received, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.got <- received{path: r.URL.Path, header: r.Header.Clone(), body: b}
		answer(w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next returns the next request the receiver got.
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(waitBound):
		t.Fatalf("the receiver got no request within %s", waitBound)
		return received{}
	}
}

func status(code int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "answered "+strconv.Itoa(code))
	}
}

// webhookHarness is the shop design with Stock handling OrderPlaced by a
// webhook to the receiver (at path /orders), Stock's secret created. The
// engine's HTTP client is the receiver's own, so it reaches 127.0.0.1.
func webhookHarness(t *testing.T, cfg engine.Config, answer func(http.ResponseWriter, *http.Request)) (*harness, *receiver, string) {
	t.Helper()
	rc := newReceiver(t, answer)
	cfg.HTTPClient = rc.srv.Client()
	h := newHarness(t, cfg)
	ctx := context.Background()
	for _, a := range []design.App{{Name: "Shop"}, {Name: "Stock", Endpoint: rc.srv.URL + "/hooks"}} {
		if _, err := h.eng.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true}, {Name: "Qty", Type: design.Integer, Mandatory: true},
	}}); err != nil {
		t.Fatal(err)
	}
	sec, err := h.eng.RotateSecret(ctx, "Stock")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sec.Secret, "whsec_") || sec.PreviousValidUntil != nil {
		t.Fatalf("first secret = %+v; want whsec_... and no previous", sec)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: orderPlaced, Enabled: true,
		Handler: design.Handler{Kind: design.KindWebhook, Path: "/orders"}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	return h, rc, sec.Secret
}

// verify checks one webhook request as a receiver would: signed by
// secret (the timestamp being the engine's clock at the attempt) and a
// CloudEvent of OrderPlaced for delivery id.
func verify(t *testing.T, r received, secret string, at time.Time, deliveryID int64) event.Event {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	// The engine's clock is fake, so the library's tolerance check
	// against the wall clock is replaced by an exact one against it.
	if err := wh.VerifyIgnoringTimestamp(r.body, r.header); err != nil {
		t.Fatalf("signature does not verify: %v (headers %v)", err, r.header)
	}
	if got := r.header.Get("webhook-timestamp"); got != strconv.FormatInt(at.Unix(), 10) {
		t.Fatalf("webhook-timestamp = %s, want %d", got, at.Unix())
	}
	if got := r.header.Get("webhook-id"); got != strconv.FormatInt(deliveryID, 10) {
		t.Fatalf("webhook-id = %s, want the delivery id %d", got, deliveryID)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/cloudevents+json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if r.path != "/hooks/orders" {
		t.Fatalf("posted to %s, want the endpoint's /hooks plus the handler's /orders", r.path)
	}
	var ev event.Event
	if err := json.Unmarshal(r.body, &ev); err != nil {
		t.Fatalf("body is not a CloudEvent: %v\n%s", err, r.body)
	}
	if ev.ID() != strconv.FormatInt(deliveryID, 10) || ev.Source() != "Shop" || ev.Type() != "Shop.OrderPlaced" || ev.SpecVersion() != "1.0" {
		t.Fatalf("CloudEvent id %s source %s type %s version %s", ev.ID(), ev.Source(), ev.Type(), ev.SpecVersion())
	}
	var data map[string]any
	if err := ev.DataAs(&data); err != nil || data["Sku"] != "A" || data["Qty"] != float64(1) {
		t.Fatalf("data = %v (%v); want Sku A, Qty 1", data, err)
	}
	return ev
}

func noopStock() map[string]engine.Handler {
	return map[string]engine.Handler{"stock": func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }}
}

func deliveryOf(t *testing.T, h *harness, occ int64) delivery.Delivery {
	t.Helper()
	o, err := h.eng.Occurrence(context.Background(), occ)
	if err != nil || len(o.Deliveries) != 1 {
		t.Fatalf("occurrence %d: %+v %v", occ, o, err)
	}
	return o.Deliveries[0]
}

func TestWebhookDeliversSignedCloudEvent(t *testing.T) {
	h, rc, secret := webhookHarness(t, engine.Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=not-kept")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	req := order("A", 1)
	req.Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	res, err := h.eng.Trigger(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("success", kind(notify.DeliverySucceeded))
	ev := verify(t, rc.next(t), secret, start, n.DeliveryID)
	// The producer's trace goes on, with the delivery as the parent span.
	if got := ev.Extensions()["traceparent"]; got != fmt.Sprintf("00-4bf92f3577b34da6a3ce929d0e0e4736-%016x-01", n.DeliveryID) {
		t.Fatalf("traceparent = %v; want the producer's trace id", got)
	}
	d := deliveryOf(t, h, res.OccurrenceID)
	if d.Status != delivery.Succeeded || len(d.AttemptList) != 1 {
		t.Fatalf("delivery = %+v", d)
	}
	got := d.AttemptList[0].Response
	if got == nil || got.Status != 202 || got.Body != `{"ok":true}` || got.Headers["Content-Type"] != "application/json" || got.Headers["Set-Cookie"] != "" {
		t.Fatalf("kept answer = %+v; want 202, the body, Content-Type and no cookie", got)
	}
}

func TestWebhookBodyKeptUpTo2KB(t *testing.T) {
	long := strings.Repeat("x", 5000)
	h, rc, _ := webhookHarness(t, engine.Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, long)
	})
	res, err := h.eng.Trigger(context.Background(), order("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	h.waitNote("success", kind(notify.DeliverySucceeded))
	rc.next(t)
	a := deliveryOf(t, h, res.OccurrenceID).AttemptList[0].Response
	if a == nil || len(a.Body) != delivery.MaxResponseBodyBytes || !a.BodyTruncated {
		t.Fatalf("kept %d bytes, truncated %v; want the first %d and truncated", len(a.Body), a.BodyTruncated, delivery.MaxResponseBodyBytes)
	}
}

// TestWebhookFailuresFollowTheRetrySchedule: a receiver answering 500,
// one holding the request past the handler timeout and one closing the
// connection each fail every attempt, retried exactly 2, 4 and 8 minutes
// later (MaxRetries 3), every attempt signed with the same webhook-id,
// then dead.
func TestWebhookFailuresFollowTheRetrySchedule(t *testing.T) {
	const timeout = 10 * time.Second
	cases := []struct {
		name    string
		answer  func(http.ResponseWriter, *http.Request)
		timeout bool
		wantErr string
		status  int
	}{
		{"500", status(http.StatusInternalServerError), false, "answered 500 Internal Server Error", 500},
		{"past the handler timeout", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, true, "handler timeout", 0},
		{"connection closed", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}, false, "POST http://127.0.0.1", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, rc, secret := webhookHarness(t, engine.Config{MaxRetries: 3, HandlerTimeout: timeout}, tc.answer)
			res, err := h.eng.Trigger(context.Background(), order("A", 1))
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			for i, wait := range []int{2, 4, 8, 0} {
				n := h.waitNote("start", kind(notify.DeliveryStarted))
				id = n.DeliveryID
				at := h.clk.Now()
				verify(t, rc.next(t), secret, at, id)
				if tc.timeout {
					h.waitTimer(at.Add(timeout))
					h.clk.Set(at.Add(timeout))
				}
				if wait == 0 {
					n = h.waitNote("dead", kind(notify.DeliveryDead))
					if n.Attempt != 4 {
						t.Fatalf("dead after attempt %d, want 4", n.Attempt)
					}
					break
				}
				n = h.waitNote("failure", kind(notify.DeliveryFailed))
				if !strings.Contains(n.Error, tc.wantErr) {
					t.Fatalf("attempt %d failed with %q; want it to say %q", i+1, n.Error, tc.wantErr)
				}
				want := h.clk.Now().Add(time.Duration(wait) * time.Minute)
				if !n.NextAttemptAt.Equal(want) {
					t.Fatalf("attempt %d: next at %s, want %s (+%d min)", i+1, n.NextAttemptAt, want, wait)
				}
				h.waitTimer(want)
				h.clk.Set(want)
			}
			d := deliveryOf(t, h, res.OccurrenceID)
			if d.Status != delivery.Dead || len(d.AttemptList) != 4 {
				t.Fatalf("delivery %s with %d attempts; want dead after 4", d.Status, len(d.AttemptList))
			}
			if tc.status != 0 {
				if r := d.AttemptList[0].Response; r == nil || r.Status != tc.status || r.Body != "answered 500" {
					t.Fatalf("kept answer %+v; want %d with its body", r, tc.status)
				}
			} else if r := d.AttemptList[0].Response; r != nil {
				t.Fatalf("an attempt without an answer kept %+v", r)
			}
			if tc.timeout && d.AttemptList[0].Outcome != delivery.OutcomeTimedOut {
				t.Fatalf("outcome %s, want timed_out", d.AttemptList[0].Outcome)
			}
		})
	}
}

func TestWebhookRetryAfterHonouredWhenLonger(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds longer than the schedule", "600", 10 * time.Minute},
		{"an HTTP date longer than the schedule", start.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{"shorter than the schedule", "30", 2 * time.Minute},
		{"not a number or a date", "soon", 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rc, _ := webhookHarness(t, engine.Config{}, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tc.header)
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			res, err := h.eng.Trigger(context.Background(), order("A", 1))
			if err != nil {
				t.Fatal(err)
			}
			n := h.waitNote("failure", kind(notify.DeliveryFailed))
			rc.next(t)
			if want := start.Add(tc.want); !n.NextAttemptAt.Equal(want) {
				t.Fatalf("next attempt at %s, want %s", n.NextAttemptAt, want)
			}
			if got := deliveryOf(t, h, res.OccurrenceID).AttemptList[0].Response.Headers["Retry-After"]; got != tc.header {
				t.Fatalf("kept Retry-After %q, want %q", got, tc.header)
			}
		})
	}
}

func TestWebhookGonePausesTheSubscription(t *testing.T) {
	var resumed atomic.Bool
	h, rc, _ := webhookHarness(t, engine.Config{}, func(w http.ResponseWriter, r *http.Request) {
		if resumed.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusGone)
	})
	res, err := h.eng.Trigger(context.Background(), order("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("pause notice", kind(notify.SubscriptionPaused))
	if n.App != "Stock" || n.Event != "Shop.OrderPlaced" || !strings.Contains(n.Message, "410") {
		t.Fatalf("notice = %+v", n)
	}
	f := h.waitNote("failure", kind(notify.DeliveryFailed))
	rc.next(t)
	sub, err := h.eng.Subscription("Stock", orderPlaced)
	if err != nil || !sub.Paused {
		t.Fatalf("subscription paused = %v (%v); want paused after 410", sub.Paused, err)
	}
	// The retry comes due, but a paused subscription runs nothing until
	// it is resumed: the delivery then has exactly two attempts.
	h.clk.Set(f.NextAttemptAt)
	resumed.Store(true)
	if _, err := h.eng.ResumeSubscription(context.Background(), "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	h.waitNote("success after resuming", kind(notify.DeliverySucceeded))
	rc.next(t)
	if d := deliveryOf(t, h, res.OccurrenceID); len(d.AttemptList) != 2 || d.AttemptList[0].Response.Status != 410 {
		t.Fatalf("delivery has %d attempts; want the 410 and the success after resuming", len(d.AttemptList))
	}
}

// TestWebhookSecretRotation: after a rotation both the old and the new
// secret verify (two signatures) until the grace ends; after it, only the
// new one does.
func TestWebhookSecretRotation(t *testing.T) {
	h, rc, old := webhookHarness(t, engine.Config{SecretGrace: time.Hour}, status(http.StatusOK))
	ctx := context.Background()
	rotated, err := h.eng.RotateSecret(ctx, "Stock")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.PreviousValidUntil == nil || !rotated.PreviousValidUntil.Equal(start.Add(time.Hour)) || rotated.Secret == old {
		t.Fatalf("rotation = %+v; want a new secret, the old one valid until start+1h", rotated)
	}
	if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("success", kind(notify.DeliverySucceeded))
	r := rc.next(t)
	verify(t, r, old, start, n.DeliveryID)
	verify(t, r, rotated.Secret, start, n.DeliveryID)
	if sigs := strings.Fields(r.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("during the grace %d signatures, want 2", len(sigs))
	}

	after := start.Add(time.Hour)
	h.clk.Set(after)
	if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
		t.Fatal(err)
	}
	n = h.waitNote("success", kind(notify.DeliverySucceeded))
	r = rc.next(t)
	verify(t, r, rotated.Secret, after, n.DeliveryID)
	wh, _ := standardwebhooks.NewWebhook(old)
	if err := wh.VerifyIgnoringTimestamp(r.body, r.header); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("after the grace the old secret verifies (%v); want no matching signature", err)
	}
}

func TestWebhookWithoutSecretFailsWithTheFix(t *testing.T) {
	rc := newReceiver(t, status(http.StatusOK))
	h := newHarness(t, engine.Config{HTTPClient: rc.srv.Client(), Handlers: noopStock()})
	h.shopDesign()
	ctx := context.Background()
	if _, err := h.eng.UpdateApp(ctx, "Mail", design.App{Name: "Mail", Endpoint: rc.srv.URL}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook}}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.DeleteSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	h.start()
	if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
		t.Fatal(err)
	}
	n := h.waitNote("failure", kind(notify.DeliveryFailed))
	if !strings.Contains(n.Error, "POST /api/v1/apps/Mail/secrets") {
		t.Fatalf("failure %q does not say how to create the secret", n.Error)
	}
}

func TestWebhookSubscriptionChecksAtSave(t *testing.T) {
	h := newHarness(t, engine.Config{Handlers: noopStock()})
	h.shopDesign()
	ctx := context.Background()
	_, err := h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook}})
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Code != "endpoint_required" || !strings.Contains(fe.Message, "PATCH /api/v1/apps/Mail") {
		t.Fatalf("webhook without an endpoint: %v; want endpoint_required naming the fix", err)
	}
	if _, err := h.eng.UpdateApp(ctx, "Mail", design.App{Name: "Mail", Endpoint: "https://mail.example.com/in"}); err != nil {
		t.Fatal(err)
	}
	_, err = h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook, Path: "orders?x=1"}})
	if !errors.As(err, &fe) || fe.Code != "invalid_path" {
		t.Fatalf("webhook with a bad path: %v; want invalid_path", err)
	}
	if _, err := h.eng.CreateSubscription(ctx, "Mail", design.Subscription{Event: orderPlaced, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook, Path: "/orders"}}); err != nil {
		t.Fatalf("a webhook with an endpoint and a path: %v", err)
	}
	// The endpoint cannot be taken away from an app its webhooks need.
	_, err = h.eng.UpdateApp(ctx, "Mail", design.App{Name: "Mail"})
	if !errors.As(err, &fe) || fe.Code != "endpoint_required" {
		t.Fatalf("clearing the endpoint of a webhook's app: %v; want endpoint_required", err)
	}
	for _, f := range h.eng.Lint() {
		if f.Subject == "Mail:Shop.OrderPlaced" {
			t.Fatalf("lint reports a valid webhook subscription: %+v", f)
		}
	}
}

func TestEndpointHealthPausesAfterThreshold(t *testing.T) {
	answers := make(chan int, 10)
	h, rc, _ := webhookHarness(t, engine.Config{EndpointPauseAfter: 3}, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(<-answers)
	})
	ctx := context.Background()
	// A success first, then three failures of three occurrences in a row.
	answers <- http.StatusOK
	if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
		t.Fatal(err)
	}
	h.waitNote("success", kind(notify.DeliverySucceeded))
	for i := 1; i <= 3; i++ {
		answers <- http.StatusBadGateway
		if _, err := h.eng.Trigger(ctx, order("A", 1)); err != nil {
			t.Fatal(err)
		}
		n := h.waitNote("health", kind(notify.EndpointHealth))
		if n.App != "Stock" || n.Failures != i {
			t.Fatalf("health note %+v; want Stock with %d failures", n, i)
		}
		if got := h.eng.EndpointFailures("Stock"); got != i {
			t.Fatalf("EndpointFailures = %d, want %d", got, i)
		}
		if i < 3 {
			if sub, _ := h.eng.Subscription("Stock", orderPlaced); sub.Paused {
				t.Fatalf("paused after %d failures, the threshold is 3", i)
			}
		}
	}
	n := h.waitNote("pause notice", kind(notify.SubscriptionPaused))
	if n.Failures != 3 || !strings.Contains(n.Message, "3 attempts in a row") {
		t.Fatalf("notice = %+v", n)
	}
	if sub, _ := h.eng.Subscription("Stock", orderPlaced); !sub.Paused {
		t.Fatal("not paused after 3 failures in a row")
	}
	for range 4 {
		rc.next(t)
	}
	// Resuming is one call; the next success resets the count.
	for range 3 {
		answers <- http.StatusOK
	}
	h.clk.Set(start.Add(2 * time.Minute)) // the three retries are due
	if _, err := h.eng.ResumeSubscription(ctx, "Stock", orderPlaced); err != nil {
		t.Fatal(err)
	}
	n = h.waitNote("recovered", func(n notify.Note) bool { return n.Kind == notify.EndpointHealth && n.Failures == 0 })
	if got := h.eng.EndpointFailures("Stock"); got != 0 {
		t.Fatalf("EndpointFailures after a success = %d, want 0", got)
	}
}
