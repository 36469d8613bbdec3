package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/engine/design"
)

// Delivery is one delivery leased to a pull worker: the CloudEvent to
// handle and the lock token that acknowledges, releases, rejects or
// extends this attempt.
type Delivery struct {
	LockToken   string      `json:"lockToken"`
	DeliveryID  int64       `json:"deliveryId"`
	Attempt     int         `json:"attempt"`
	LockedUntil time.Time   `json:"lockedUntil"`
	Event       event.Event `json:"event"`
}

// LockFailure is a lock token the server did not act on, and why (code
// "lock_lost" for a lock no longer held: an earlier attempt's, or one
// that expired).
type LockFailure struct {
	LockToken string `json:"lockToken"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// LockResult is a lock operation's answer token by token. When no token
// succeeded the server answers 409 (every lock lost) or 400, returned as
// an *Error instead.
type LockResult struct {
	Succeeded []string      `json:"succeeded"`
	Failed    []LockFailure `json:"failed"`
}

// subscriptionPath turns "HandlingApp:Producer.Event" into the
// subscription's API path.
func subscriptionPath(subscription string) (string, error) {
	ref, err := design.ParseSubscriptionRef(subscription)
	if err != nil {
		return "", err
	}
	return "/api/v1/apps/" + url.PathEscape(ref.App) + "/subscriptions/" + url.PathEscape(ref.EventRef().String()), nil
}

// Receive long-polls subscription ("HandlingApp:Producer.Event") for up
// to max deliveries, waiting up to wait (at most 30 seconds, whole
// seconds) when none is due. Each one is locked for the handler timeout.
func (c *Client) Receive(ctx context.Context, subscription string, max int, wait time.Duration) ([]Delivery, error) {
	p, err := subscriptionPath(subscription)
	if err != nil {
		return nil, err
	}
	q := url.Values{"max": {strconv.Itoa(max)}, "wait": {strconv.Itoa(int(wait / time.Second))}}
	b, err := c.Do(ctx, "POST", p+"/receive?"+q.Encode(), "", nil)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("receive %s: read the answer: %w", subscription, err)
	}
	return out, nil
}

// lockOp posts one lock operation.
func (c *Client) lockOp(ctx context.Context, subscription, verb string, body map[string]any) (LockResult, error) {
	p, err := subscriptionPath(subscription)
	if err != nil {
		return LockResult{}, err
	}
	b, err := c.Do(ctx, "POST", p+"/"+verb, "", body)
	if err != nil {
		return LockResult{}, err
	}
	var out LockResult
	if err := json.Unmarshal(b, &out); err != nil {
		return LockResult{}, fmt.Errorf("%s %s: read the answer: %w", verb, subscription, err)
	}
	return out, nil
}

// Ack records the locked attempts as succeeded.
func (c *Client) Ack(ctx context.Context, subscription string, lockTokens ...string) (LockResult, error) {
	return c.lockOp(ctx, subscription, "ack", map[string]any{"lockTokens": lockTokens})
}

// Release records the locked attempts as failed: retried on the retry
// schedule when delay is nil, else after *delay (whole seconds).
func (c *Client) Release(ctx context.Context, subscription string, delay *time.Duration, lockTokens ...string) (LockResult, error) {
	body := map[string]any{"lockTokens": lockTokens}
	if delay != nil {
		body["delaySeconds"] = int64(*delay / time.Second)
	}
	return c.lockOp(ctx, subscription, "release", body)
}

// Reject makes the deliveries dead at once with reason: a retry cannot
// succeed. A person can replay them from the console.
func (c *Client) Reject(ctx context.Context, subscription, reason string, lockTokens ...string) (LockResult, error) {
	return c.lockOp(ctx, subscription, "reject", map[string]any{"lockTokens": lockTokens, "reason": reason})
}

// Extend makes the locks last d from now (whole seconds, at least one).
func (c *Client) Extend(ctx context.Context, subscription string, d time.Duration, lockTokens ...string) (LockResult, error) {
	return c.lockOp(ctx, subscription, "extend", map[string]any{"lockTokens": lockTokens, "seconds": max(int64(d/time.Second), 1)})
}
