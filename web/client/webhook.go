package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// ErrSignature is wrapped by every error Verify returns for a request
// that is not signed by one of the Verifier's secrets within its
// tolerance: a handler answers it with 401.
var ErrSignature = errors.New("webhook signature not verified")

// DefaultWebhookTolerance is how far a webhook's timestamp may be from the
// receiver's clock (either way): 5 minutes, the Standard Webhooks
// recommendation, long enough for clock drift and short enough that a
// captured request cannot be replayed later.
const DefaultWebhookTolerance = 5 * time.Minute

// maxWebhookBytes bounds the body a Verifier reads: a CloudEvent carries
// at most Eventloom's payload limit of parameters (10 KB by default) and
// its attributes; 1 MiB leaves room for any configured limit.
const maxWebhookBytes = 1 << 20

// Verifier checks webhooks an Eventloom server sends to an app's endpoint:
// the Standard Webhooks signature (webhook-id, webhook-timestamp,
// webhook-signature) by one of the app's whsec_ secrets, and the
// timestamp within a tolerance; then it parses the body as a CloudEvent.
// It is safe for concurrent use.
type Verifier struct {
	hooks     []*standardwebhooks.Webhook
	tolerance time.Duration
	now       func() time.Time
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithTolerance sets how far a webhook's timestamp may be from now
// (DefaultWebhookTolerance when not set).
func WithTolerance(d time.Duration) VerifierOption { return func(v *Verifier) { v.tolerance = d } }

// WithClock replaces time.Now as the Verifier's clock (tests, or a
// service with a clock of its own).
func WithClock(now func() time.Time) VerifierOption { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier accepting a signature by any of secrets
// (each "whsec_" and base64, as POST /api/v1/apps/{app}/secrets answers).
// Pass the new and the previous secret while a rotation's grace period
// lasts, so webhooks signed by either verify.
func NewVerifier(secrets []string, opts ...VerifierOption) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhook verifier: no secret given; pass the app's whsec_ secret (and, during a rotation, the previous one too)")
	}
	v := &Verifier{tolerance: DefaultWebhookTolerance, now: time.Now}
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil || s == "" {
			return nil, fmt.Errorf("webhook verifier: secret %d is not a whsec_ secret (whsec_ followed by base64): %v", i+1, err)
		}
		v.hooks = append(v.hooks, wh)
	}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Verify reads r's body, checks its signature and timestamp, and returns
// the CloudEvent it carries. An error wrapping ErrSignature means the
// request is not a webhook signed by one of the secrets; any other error
// means it is signed but not a CloudEvent.
func (v *Verifier) Verify(r *http.Request) (event.Event, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBytes+1))
	if err != nil {
		return event.Event{}, fmt.Errorf("%w: the body could not be read: %v", ErrSignature, err)
	}
	if len(body) > maxWebhookBytes {
		return event.Event{}, fmt.Errorf("%w: the body is over %d bytes", ErrSignature, maxWebhookBytes)
	}
	if err := v.verify(body, r.Header); err != nil {
		return event.Event{}, err
	}
	r2 := r.Clone(r.Context())
	r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	ev, err := cehttp.NewEventFromHTTPRequest(r2)
	if err != nil {
		return event.Event{}, fmt.Errorf("webhook %s is not a CloudEvent: %w", r.Header.Get(standardwebhooks.HeaderWebhookID), err)
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("webhook %s is not a valid CloudEvent: %w", r.Header.Get(standardwebhooks.HeaderWebhookID), err)
	}
	return *ev, nil
}

// verify checks the signature with every secret (the library compares in
// constant time), then the timestamp against the Verifier's clock.
func (v *Verifier) verify(body []byte, h http.Header) error {
	var last error
	ok := false
	for _, wh := range v.hooks {
		if last = wh.VerifyIgnoringTimestamp(body, h); last == nil {
			ok = true
			break
		}
	}
	if !ok {
		return fmt.Errorf("%w: %v", ErrSignature, last)
	}
	// The signature covers the timestamp, so it is checked once signed.
	ts, err := strconv.ParseInt(h.Get(standardwebhooks.HeaderWebhookTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp is not unix seconds", ErrSignature)
	}
	if d := v.now().Sub(time.Unix(ts, 0)); d > v.tolerance || d < -v.tolerance {
		return fmt.Errorf("%w: webhook-timestamp is %s away from this receiver's clock, over the tolerance of %s (a replayed request, or a clock to set right)",
			ErrSignature, d.Round(time.Second), v.tolerance)
	}
	return nil
}

// Handler is an http.Handler that verifies each request and hands its
// CloudEvent to h; a request failing the signature or the timestamp is
// answered 401, a signed body that is not a CloudEvent 400, and h never
// runs for either. h answers the delivery: any 2xx is success, anything
// else a failed attempt the server retries.
func (v *Verifier) Handler(h func(w http.ResponseWriter, r *http.Request, ev event.Event)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := v.Verify(r)
		switch {
		case errors.Is(err, ErrSignature):
			http.Error(w, err.Error(), http.StatusUnauthorized)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			h(w, r, ev)
		}
	})
}

// HandleEvents is a net/http handler for a service that only needs the
// event: it verifies each request like Handler, calls fn with the
// CloudEvent, and answers 204 when fn returns nil and 500 when it returns
// an error, so Eventloom retries the delivery on its schedule.
func (v *Verifier) HandleEvents(fn func(ctx context.Context, ev event.Event) error) http.Handler {
	return v.Handler(func(w http.ResponseWriter, r *http.Request, ev event.Event) {
		if err := fn(r.Context(), ev); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
