package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/cloudevent"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// maxRetryAfter bounds how far a receiver's Retry-After may push a retry:
// a day, so a misconfigured receiver cannot park a delivery for months.
const maxRetryAfter = 24 * time.Hour

// webhookError is a failed webhook attempt. retryAt is the time the
// receiver's Retry-After asked for (zero when it asked for none); gone is
// a 410 answer, which pauses the subscription.
type webhookError struct {
	msg     string
	retryAt time.Time
	gone    bool
}

func (e *webhookError) Error() string { return e.msg }

// webhookURL is where a subscription's webhook POSTs: the app's endpoint
// with the handler's path appended to its path (one slash between them; a
// query the endpoint carries stays at the end).
func webhookURL(endpoint, path string) string {
	if path == "" {
		return endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		// Validated when saved; the request then reports it.
		return endpoint
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + strings.TrimLeft(path, "/")
	u.RawPath = ""
	return u.String()
}

// callWebhook makes one webhook attempt: it POSTs the delivery's
// CloudEvent (structured JSON) to the app's endpoint, signed per the
// Standard Webhooks spec with webhook-id the delivery's id (so retries
// share it and a receiver de-duplicates by it). A 2xx answer is success;
// anything else, a network error or the handler timeout (ctx) fails. The
// answer is kept on logs for the attempt's record, and the endpoint's
// health counts the outcome.
func (e *Engine) callWebhook(ctx context.Context, cs *compiled, c storage.Claim, logs *attemptLog) error {
	err := e.postWebhook(ctx, cs, c, logs)
	if e.d.runCtx.Err() == nil { // a shutdown is not the endpoint's failure
		e.endpointOutcome(cs.app, err == nil)
	}
	var we *webhookError
	if errors.As(err, &we) && we.gone {
		e.pauseGone(cs, we.msg)
	}
	return err
}

func (e *Engine) postWebhook(ctx context.Context, cs *compiled, c storage.Claim, logs *attemptLog) error {
	if cs.app.Endpoint == "" {
		return fmt.Errorf("app %s has no endpoint for its webhook handlers; set one on its page (or PATCH /api/v1/apps/%s)", cs.app.Name, cs.app.Name)
	}
	secret, err := e.appSecret(ctx, cs.app.ID, cs.app.Name)
	if err != nil {
		return err
	}
	d := cloudevent.Delivery{
		ID: c.DeliveryID, OccurrenceID: c.OccurrenceID, TraceID: c.TraceID,
		Producer: cs.event.App, Event: cs.event.Name, Time: c.CreatedAt, Parameters: c.Parameters, Traceparent: c.Traceparent,
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		// The attempt's span goes on, so the receiver's spans are its
		// children.
		d.Span = tracecontext.Format(span.SpanContext())
	}
	body, err := cloudevent.Structured(d)
	if err != nil {
		return err
	}
	target := webhookURL(cs.app.Endpoint, cs.sub.Handler.Path)
	id := strconv.FormatInt(c.DeliveryID, 10)
	now := e.clk.Now()
	sig, err := signature(secret, now, id, now, body)
	if err != nil {
		return fmt.Errorf("sign the webhook of %s: %w", cs.app.Name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook to %s: %w", target, err)
	}
	signedHeaders(req.Header, cloudevent.ContentType, id, now, sig)
	// The same trace context as the envelope's, for receivers that read
	// the header (an OpenTelemetry HTTP server middleware).
	req.Header.Set("traceparent", cloudevent.Traceparent(d))

	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", target, err)
	}
	defer resp.Body.Close()
	answer := readAnswer(resp)
	answer.LatencyMillis = e.clk.Now().Sub(now).Milliseconds()
	logs.setAnswer(answer)
	// Drain a little more so the connection can be reused; a receiver
	// streaming without end is cut here.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	we := &webhookError{msg: fmt.Sprintf("POST %s answered %s", target, resp.Status)}
	if resp.StatusCode == http.StatusGone {
		we.gone = true
		we.msg += ": the receiver says the endpoint is gone, so the subscription is paused; resume it once the endpoint takes deliveries again"
		return we
	}
	if at, ok := retryAfter(resp.Header.Get("Retry-After"), e.clk.Now()); ok {
		we.retryAt = at
		we.msg += fmt.Sprintf(" (Retry-After asks for a retry at %s or later)", at.UTC().Format(time.RFC3339))
	}
	return we
}

// readAnswer keeps the answer's status, headers of interest and the first
// delivery.MaxResponseBodyBytes of its body.
func readAnswer(resp *http.Response) *delivery.Response {
	a := &delivery.Response{Status: resp.StatusCode}
	for name, v := range resp.Header {
		if delivery.KeptHeader(name) && len(v) > 0 {
			if a.Headers == nil {
				a.Headers = map[string]string{}
			}
			a.Headers[name] = strings.Join(v, ", ")
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, delivery.MaxResponseBodyBytes+1))
	if len(b) > delivery.MaxResponseBodyBytes {
		b, a.BodyTruncated = b[:delivery.MaxResponseBodyBytes], true
	}
	a.Body = strings.ToValidUTF8(string(b), "\uFFFD")
	return a
}

// retryAfter reads a Retry-After header (seconds, or an HTTP date) as the
// time it asks for, at most maxRetryAfter after now.
func retryAfter(h string, now time.Time) (time.Time, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return time.Time{}, false
	}
	var at time.Time
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			secs = int64(maxRetryAfter / time.Second)
		}
		at = now.Add(time.Duration(secs) * time.Second)
	} else if t, err := http.ParseTime(h); err == nil {
		at = t
	} else {
		return time.Time{}, false
	}
	if at.After(now.Add(maxRetryAfter)) {
		at = now.Add(maxRetryAfter)
	}
	return at, true
}

// pauseGone pauses a subscription whose receiver answered 410 Gone, with
// a notice in the log and on the bus.
func (e *Engine) pauseGone(cs *compiled, why string) {
	ref := cs.event.Ref()
	if now, ok := e.snap.Load().subs[cs.sub.ID]; ok && now.sub.Paused {
		return // paused already (another delivery's 410, or a person)
	}
	ctx := WithActor(context.WithoutCancel(e.d.runCtx), Actor{Name: "system"})
	if _, err := e.PauseSubscription(ctx, cs.app.Name, ref); err != nil {
		e.log.Error("pause a subscription whose endpoint is gone", "app", cs.app.Name, "event", ref.String(), "error", err)
		return
	}
	e.log.Warn("subscription paused: its endpoint answered 410 Gone", "app", cs.app.Name, "event", ref.String(), "endpoint", cs.app.Endpoint)
	e.notice(notify.SubscriptionPaused, cs.app.Name, ref.String(), why, 0)
}

// notice publishes a note that is about an app (and maybe one of its
// subscriptions) rather than one delivery.
func (e *Engine) notice(kind notify.Kind, app, event, msg string, failures int) {
	if !e.bus.Active() {
		return
	}
	e.bus.Publish(notify.Note{Kind: kind, At: e.clk.Now(), App: app, Event: event, Message: msg, Failures: failures})
}

// setAnswer keeps a webhook receiver's answer for the attempt's record.
func (l *attemptLog) setAnswer(a *delivery.Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resp = a
}

// answer returns a copy of the kept answer; nil when none came.
func (l *attemptLog) answer() *delivery.Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.resp.Clone()
}
