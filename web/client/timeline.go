package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// TimelineItem is one recorded step of a window, as the live view reported
// it: Kind is occurrence.triggered, delivery.started, delivery.succeeded,
// delivery.failed (NextAttemptAt set when a retry was due),
// delivery.dead or delivery.discarded. App is an occurrence's producer or
// a delivery's handling app; Event is Producer.EventName.
type TimelineItem struct {
	Seq              int64     `json:"seq"`
	Kind             string    `json:"kind"`
	At               time.Time `json:"at"`
	TraceID          int64     `json:"traceId"`
	OccurrenceID     int64     `json:"occurrenceId"`
	DeliveryID       int64     `json:"deliveryId,omitempty"`
	ParentDeliveryID int64     `json:"parentDeliveryId,omitempty"`
	App              string    `json:"app"`
	Event            string    `json:"event"`
	Attempt          int       `json:"attempt,omitempty"`
	Error            string    `json:"error,omitempty"`
	NextAttemptAt    time.Time `json:"nextAttemptAt,omitzero"`
}

// Timeline is the recorded flow of [Since, Until), oldest first.
type Timeline struct {
	Since time.Time      `json:"since"`
	Until time.Time      `json:"until"`
	Items []TimelineItem `json:"items"`
}

// Timeline reads the recorded flow of the window [since, until) (at most a
// day). A zero since means 15 minutes before until, a zero until now, a
// zero limit the server's default (2000). A window holding more than limit
// steps is refused with a 422 *Error (window_too_busy): ask for a shorter
// one.
func (c *Client) Timeline(ctx context.Context, since, until time.Time, limit int) (Timeline, error) {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", since.Format(time.RFC3339Nano))
	}
	if !until.IsZero() {
		q.Set("until", until.Format(time.RFC3339Nano))
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var t Timeline
	return t, c.doJSON(ctx, http.MethodGet, "/api/v1/timeline?"+q.Encode(), nil, &t)
}
