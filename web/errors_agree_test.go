package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web"
	"github.com/eventloom/eventloom/web/httperr"
)

// TestAPIAndConsoleClassifyErrorsAlike: every fault kind, engine.ErrClosed
// and the other errors a handler returns get the same status from the
// REST API, the console's full page and its htmx notice, and the console
// shows the API's message (an internal error shows only a request id).
func TestAPIAndConsoleClassifyErrorsAlike(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"invalid", fault.New(fault.ErrInvalid, "text_too_long", "Note is over 2,000 characters; shorten it"), 422, "text_too_long"},
		{"forbidden", fault.New(fault.ErrForbidden, "not_owner", "only Shop may trigger Shop.OrderPlaced"), 403, "not_owner"},
		{"not found", fault.New(fault.ErrNotFound, "no_app", "there is no app Nope"), 404, "no_app"},
		{"conflict", fault.New(fault.ErrConflict, "exists", "an app Shop exists already; pick another name"), 409, "exists"},
		{"too large", fault.New(fault.ErrTooLarge, "payload_too_large", "the payload is over 10240 bytes; send less"), 413, "payload_too_large"},
		{"queue full", fault.New(fault.ErrQueueFull, "queue_full", "Shop.OrderPlaced has 10000 pending occurrences; try again later"), 429, "queue_full"},
		{"unauthorized", fault.New(fault.ErrUnauthorized, "unauthorized", "missing or wrong credentials"), 401, "unauthorized"},
		{"lease lost (internal)", fmt.Errorf("complete delivery 7: %w", fault.ErrLeaseLost), 500, "internal"},
		{"engine closed", fmt.Errorf("trigger Shop.OrderPlaced: %w", engine.ErrClosed), 503, "shutting_down"},
		{"deadline", fmt.Errorf("queue depths: %w", context.DeadlineExceeded), 503, "timed_out"},
		{"bad request", &httperr.BadRequest{Code: "bad_query", Field: "limit", Message: "limit must be 1 to 500; got \"x\""}, 400, "bad_query"},
		{"method not allowed", echo.ErrMethodNotAllowed, 405, "method_not_allowed"},
		{"unknown", errors.New("disk on fire"), 500, "internal"},
	}
	for i, c := range cases {
		web.AddFailingRoute(s.web, "/api/v1/test-failure/"+strconv.Itoa(i), c.err)
		web.AddFailingRoute(s.web, "/test-failure/"+strconv.Itoa(i), c.err)
	}
	console := newConsoleClient(t, s.url, http.DefaultClient)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, h := s.call("GET", "/api/v1/test-failure/"+strconv.Itoa(i), "", "")
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if status != c.status || errCode(body) != c.code || msg == "" {
				t.Fatalf("API = %d %v; want %d %s with a message", status, body, c.status, c.code)
			}
			if got := h.Get("Retry-After"); (c.status == 429) != (got != "") {
				t.Fatalf("API Retry-After = %q on a %d", got, status)
			}
			internal := c.code == "internal"
			if internal && (strings.Contains(msg, "fire") || strings.Contains(msg, "lease") || body["requestId"] == "") {
				t.Fatalf("an internal error's answer = %v; want only a request id", body)
			}
			resp, doc := console.send("GET", "/test-failure/"+strconv.Itoa(i), nil, nil)
			if resp.StatusCode != c.status {
				t.Fatalf("console page = %d, API = %d", resp.StatusCode, c.status)
			}
			if internal {
				if doc.Find(`[data-testid="request-id"]`).Text() == "" {
					t.Fatal("the console's page of an internal error names no request id")
				}
			} else if got := doc.Find(`[data-testid="error-message"]`).Text(); got != msg {
				t.Fatalf("console page says %q, API %q", got, msg)
			}
			resp, doc = console.send("GET", "/test-failure/"+strconv.Itoa(i), nil, map[string]string{"HX-Request": "true"})
			notice := strings.TrimSpace(doc.Find(`[data-testid="error-notice"]`).Text())
			if resp.StatusCode != c.status || notice == "" || (!internal && !strings.Contains(notice, msg)) {
				t.Fatalf("console notice = %d %q; want %d saying %q", resp.StatusCode, notice, c.status, msg)
			}
		})
	}
}

// TestConsoleAnswersAClosedEngineLikeTheAPI: a trigger after the engine
// has closed is a 503 that says the server is shutting down, from the API
// and from the console's trigger form alike (the console used to answer
// it with a 500).
func TestConsoleAnswersAClosedEngineLikeTheAPI(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, shopDesign); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	c := newConsoleClient(t, s.url, http.DefaultClient)
	c.signIn()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.eng.Close(ctx); err != nil {
		t.Fatal(err)
	}
	status, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", adminToken, `{"Sku":"A-1","Qty":1}`)
	if status != http.StatusServiceUnavailable || errCode(body) != "shutting_down" {
		t.Fatalf("API trigger after close = %d %v; want 503 shutting_down", status, body)
	}
	e, _ := body["error"].(map[string]any)
	resp, doc := c.send("POST", "/apps/Shop/events/OrderPlaced/trigger", url.Values{"Sku": {"A-1"}, "Qty": {"1"}}, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || doc.Find(`[data-testid="error-message"]`).Text() != e["message"] {
		t.Fatalf("console trigger after close = %d %q; want 503 saying %q", resp.StatusCode, doc.Find(`[data-testid="error-message"]`).Text(), e["message"])
	}
}
