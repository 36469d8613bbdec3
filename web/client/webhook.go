package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// MaxWebhookBytes bounds the body a Verifier reads: an Eventloom
// delivery's CloudEvent is a 10 KB payload plus its envelope, so 64 KB is
// ample and keeps a forged giant body from being read whole.
const MaxWebhookBytes = 64 << 10

// ErrBadSignature is a webhook request whose signature matches none of the
// verifier's secrets, or whose timestamp is more than five minutes off
// (the Standard Webhooks tolerance): it did not come from Eventloom, or
// was replayed.
var ErrBadSignature = errors.New("webhook signature does not verify")

// Verifier checks webhook requests from Eventloom: their Standard
// Webhooks signature (webhook-id, webhook-timestamp, webhook-signature)
// against the app's signing secrets, then decodes the CloudEvent body.
// Give it the new and the old secret while a rotation's grace lasts.
type Verifier struct {
	whs []*standardwebhooks.Webhook
}

// NewVerifier returns a verifier of the given "whsec_..." secrets (at
// least one); a request signed by any of them verifies.
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhook verifier: give the app's signing secret (whsec_...), from its page or POST /api/v1/apps/{app}/secrets")
	}
	v := &Verifier{}
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return nil, fmt.Errorf("webhook verifier: secret %d is not whsec_ followed by base64: %w", i+1, err)
		}
		v.whs = append(v.whs, wh)
	}
	return v, nil
}

// Verify reads r's body, checks its signature and returns the CloudEvent
// it carries. Its ID is the delivery's id, the same on every retry, so a
// receiver de-duplicates by it. A bad signature is ErrBadSignature.
func (v *Verifier) Verify(r *http.Request) (event.Event, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBytes+1))
	if err != nil {
		return event.Event{}, fmt.Errorf("read the webhook body: %w", err)
	}
	if len(body) > MaxWebhookBytes {
		return event.Event{}, fmt.Errorf("webhook body over %d bytes: %w", MaxWebhookBytes, ErrBadSignature)
	}
	var last error
	for _, wh := range v.whs {
		if last = wh.Verify(body, r.Header); last == nil {
			break
		}
	}
	if last != nil {
		return event.Event{}, fmt.Errorf("%w: %v", ErrBadSignature, last)
	}
	var ev event.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return event.Event{}, fmt.Errorf("the webhook body is not a CloudEvent: %w", err)
	}
	return ev, nil
}

// Handler is a net/http handler of Eventloom webhooks: it verifies each
// request and calls fn with its CloudEvent. It answers 401 to a request
// that does not verify, 400 to a body that is not a CloudEvent, 204 when
// fn returns nil and 500 when it returns an error (Eventloom then retries
// on its schedule).
func (v *Verifier) Handler(fn func(ctx context.Context, ev event.Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := v.Verify(r)
		switch {
		case errors.Is(err, ErrBadSignature):
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), ev); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
