package httperr_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
)

// TestClassifyEveryKind: each error a handler may return maps to one
// status and code, wrapped or not.
func TestClassifyEveryKind(t *testing.T) {
	var syntax error = json.Unmarshal([]byte(`{"a":`), new(any))
	var typed error = json.Unmarshal([]byte(`{"a":"x"}`), new(struct{ A int }))
	for _, c := range []struct {
		name     string
		err      error
		status   int
		code     string
		internal bool
	}{
		{"invalid", fault.New(fault.ErrInvalid, "bad_type", "m"), 422, "bad_type", false},
		{"forbidden", fault.New(fault.ErrForbidden, "not_owner", "m"), 403, "not_owner", false},
		{"not found", fault.New(fault.ErrNotFound, "no_app", "m"), 404, "no_app", false},
		{"conflict", fault.New(fault.ErrConflict, "exists", "m"), 409, "exists", false},
		{"too large", fault.New(fault.ErrTooLarge, "payload_too_large", "m"), 413, "payload_too_large", false},
		{"queue full", fault.New(fault.ErrQueueFull, "queue_full", "m"), 429, "queue_full", false},
		{"unauthorized", fault.New(fault.ErrUnauthorized, "unauthorized", "m"), 401, "unauthorized", false},
		{"lease lost", fault.New(fault.ErrLeaseLost, "lease_lost", "m"), 500, "internal", true},
		{"wrapped refusal", fmt.Errorf("create app: %w", fault.New(fault.ErrConflict, "exists", "m")), 409, "exists", false},
		{"engine closed", fmt.Errorf("trigger: %w", engine.ErrClosed), 503, "shutting_down", false},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), 503, "timed_out", false},
		{"canceled", fmt.Errorf("read: %w", context.Canceled), 503, "canceled", false},
		{"bad request", &httperr.BadRequest{Code: "bad_query", Message: "m"}, 400, "bad_query", false},
		{"json syntax", syntax, 400, "malformed_json", false},
		{"json type", typed, 400, "malformed_json", false},
		{"body over limit", fmt.Errorf("read body: %w", &http.MaxBytesError{Limit: 10}), 413, "payload_too_large", false},
		{"no route", echo.ErrNotFound, 404, "not_found", false},
		{"method", echo.ErrMethodNotAllowed, 405, "method_not_allowed", false},
		{"echo other", echo.NewHTTPError(http.StatusTeapot, "short and stout"), 418, "http_error", false},
		{"unknown", errors.New("disk on fire"), 500, "internal", true},
	} {
		p := httperr.Classify(c.err)
		if p.Status != c.status || p.Code != c.code || p.Internal != c.internal {
			t.Errorf("%s: %+v; want %d %s internal=%v", c.name, p, c.status, c.code, c.internal)
		}
		if !p.Internal && p.Message == "" {
			t.Errorf("%s: no message", c.name)
		}
		if p.Internal && p.Message != "" {
			t.Errorf("%s: an internal error's text reached the answer: %q", c.name, p.Message)
		}
		if (p.Status == 429) != (p.RetryAfterSeconds > 0) {
			t.Errorf("%s: Retry-After %d on a %d", c.name, p.RetryAfterSeconds, p.Status)
		}
	}
}

// TestClassifyKeepsEveryParameterError: a refusal of several errors
// answers the first and lists them all.
func TestClassifyKeepsEveryParameterError(t *testing.T) {
	err := fault.List{fault.Field("Sku", "missing", "Sku is mandatory"), fault.Field("Qty", "bad_type", "Qty must be an Integer")}.Err()
	p := httperr.Classify(err)
	if p.Status != 422 || p.Field != "Sku" || len(p.Details) != 2 || p.Details[1].Field != "Qty" {
		t.Fatalf("%+v", p)
	}
}
