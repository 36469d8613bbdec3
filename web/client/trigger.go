package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TriggerResult is what the server stored for one accepted trigger.
type TriggerResult struct {
	OccurrenceID int64 `json:"occurrenceId"`
	TraceID      int64 `json:"traceId"`
	// Deliveries is how many deliveries were created (one per enabled
	// subscription).
	Deliveries int `json:"deliveries"`
}

// BatchItem is one item's answer in a batch trigger: Result when it was
// accepted, Err (the *Error a single trigger of it would have returned)
// when it was refused.
type BatchItem struct {
	Index  int
	Status int
	Result *TriggerResult
	Err    *Error
}

// BatchResult is a batch trigger's answer, one item per element sent, in
// order. The accepted items were committed together.
type BatchResult struct {
	Accepted int
	Refused  int
	Items    []BatchItem
}

// triggerPath is the route triggering app's event (suffix "" or ":batch").
func triggerPath(app, event, suffix string) string {
	return "/api/v1/apps/" + url.PathEscape(app) + "/events/" + url.PathEscape(event) + "/trigger" + suffix
}

// Trigger triggers app's event with params, any value that encodes as a
// JSON object of the event's parameters (a map or a struct; nil means
// none). A refusal is an *Error: 422 with every parameter error, 403 when
// the client's key is not the owner's, 429 queue_full with RetryAfter.
func (c *Client) Trigger(ctx context.Context, app, event string, params any) (TriggerResult, error) {
	if params == nil {
		params = struct{}{}
	}
	b, err := c.Do(ctx, http.MethodPost, triggerPath(app, event, ""), "", params)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger %s.%s: %w", app, event, err)
	}
	return decodeTrigger(app+"."+event, b)
}

// TriggerCloudEvent triggers the event named by ev's type (Producer.Event)
// with ev's data as its parameters, sent as a structured CloudEvent; a
// traceparent extension is kept on the occurrence and passed on to its
// deliveries.
func (c *Client) TriggerCloudEvent(ctx context.Context, ev event.Event) (TriggerResult, error) {
	app, name, err := eventType(ev)
	if err != nil {
		return TriggerResult{}, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger %s: encode the CloudEvent: %w", ev.Type(), err)
	}
	b, err := c.Do(ctx, http.MethodPost, triggerPath(app, name, ""), event.ApplicationCloudEventsJSON, body)
	if err != nil {
		return TriggerResult{}, fmt.Errorf("trigger %s: %w", ev.Type(), err)
	}
	return decodeTrigger(ev.Type(), b)
}

// eventType splits a CloudEvent's type into the producer app and event.
func eventType(ev event.Event) (string, string, error) {
	app, name, ok := strings.Cut(ev.Type(), ".")
	if !ok || app == "" || name == "" {
		return "", "", fmt.Errorf("the CloudEvent's type %q does not name an event: set it to Producer.Event, such as Storefront.OnPurchaseStarted", ev.Type())
	}
	return app, name, nil
}

func decodeTrigger(what string, b []byte) (TriggerResult, error) {
	var r TriggerResult
	if err := json.Unmarshal(b, &r); err != nil {
		return TriggerResult{}, fmt.Errorf("trigger %s: read the answer: %w", what, err)
	}
	return r, nil
}

// TriggerBatch triggers app's event once per element of items (each
// encoding as a JSON object of parameters), at most 500 per call. Each item
// is accepted or refused on its own; the error is for the batch as a
// whole (too many items, a bad credential, the server unreachable).
func (c *Client) TriggerBatch(ctx context.Context, app, event string, items []any) (BatchResult, error) {
	b, err := c.Do(ctx, http.MethodPost, triggerPath(app, event, ":batch"), "", items)
	if err != nil {
		return BatchResult{}, fmt.Errorf("trigger a batch of %s.%s: %w", app, event, err)
	}
	return decodeBatch(app+"."+event, b)
}

// TriggerCloudEventBatch triggers one event per CloudEvent, sent as a
// CloudEvents batch; every event's type must name the same event.
func (c *Client) TriggerCloudEventBatch(ctx context.Context, evs []event.Event) (BatchResult, error) {
	if len(evs) == 0 {
		return BatchResult{}, fmt.Errorf("trigger a batch: no CloudEvents given; send at least one")
	}
	app, name, err := eventType(evs[0])
	if err != nil {
		return BatchResult{}, err
	}
	body, err := json.Marshal(evs)
	if err != nil {
		return BatchResult{}, fmt.Errorf("trigger a batch of %s: encode the CloudEvents: %w", evs[0].Type(), err)
	}
	b, err := c.Do(ctx, http.MethodPost, triggerPath(app, name, ":batch"), event.ApplicationCloudEventsBatchJSON, body)
	if err != nil {
		return BatchResult{}, fmt.Errorf("trigger a batch of %s: %w", evs[0].Type(), err)
	}
	return decodeBatch(evs[0].Type(), b)
}

// decodeBatch reads a batch answer, each refused item's error in the
// shape decodeError gives a single refusal.
func decodeBatch(what string, b []byte) (BatchResult, error) {
	var raw struct {
		Accepted int `json:"accepted"`
		Refused  int `json:"refused"`
		Items    []struct {
			Index  int `json:"index"`
			Status int `json:"status"`
			TriggerResult
			Error   *Problem  `json:"error"`
			Details []Problem `json:"details"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return BatchResult{}, fmt.Errorf("trigger a batch of %s: read the answer: %w", what, err)
	}
	out := BatchResult{Accepted: raw.Accepted, Refused: raw.Refused, Items: make([]BatchItem, len(raw.Items))}
	for i, it := range raw.Items {
		bi := BatchItem{Index: it.Index, Status: it.Status}
		if it.Error != nil {
			bi.Err = &Error{Status: it.Status, Code: it.Error.Code, Message: it.Error.Message, Details: it.Details}
			if len(bi.Err.Details) == 0 {
				bi.Err.Details = []Problem{*it.Error}
			}
		} else {
			r := it.TriggerResult
			bi.Result = &r
		}
		out.Items[i] = bi
	}
	return out, nil
}
