package httperr

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// QueueFullRetryAfterSeconds is the Retry-After of a 429 queue-full
// answer. The engine keeps no estimate of how fast a queue drains (that
// depends on the subscribers' handlers), so this is a fixed hint: 5
// seconds is long enough that a producer honouring it stops hammering a
// full queue, and short enough that room freed by handlers, which run
// within seconds in the common case, is used soon after.
const QueueFullRetryAfterSeconds = 5

// Problem is one error as the server answers it, whatever face (API,
// console, live) answers.
type Problem struct {
	// Status is the HTTP status.
	Status int
	// Code, Message and Field are the first (or only) error.
	Code, Message, Field string
	// Refs lists related names (the subscribers that keep an event from
	// being deleted).
	Refs []string
	// Breaks lists the subscriptions a refused breaking change breaks.
	Breaks []design.Break
	// Details lists every error when there are several (every parameter
	// error of a trigger); nil for one.
	Details []Item
	// RetryAfterSeconds, when positive, is the answer's Retry-After.
	RetryAfterSeconds int
	// Internal marks an error nobody can act on: Resolve logs it and the
	// answer names only RequestID, never the error's text.
	Internal bool
	// RequestID is set by Resolve on an internal error: the id under
	// which the log has the details.
	RequestID string
	// noRoute marks the router's own 404 (no route serves the path):
	// Resolve names the path in the message.
	noRoute bool
}

// Classify maps err to its answer; the one place an error becomes a
// status and words (STYLE.md). It logs nothing: an internal error's
// message and request id are Resolve's to fill in.
func Classify(err error) Problem {
	var br *BadRequest
	if errors.As(err, &br) {
		return Problem{Status: http.StatusBadRequest, Code: br.Code, Field: br.Field, Message: br.Message}
	}
	if all := fault.All(err); len(all) > 0 {
		return refusal(err, all)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return routerError(he)
	}
	if p, ok := bodyError(err); ok {
		return p
	}
	switch {
	case errors.Is(err, engine.ErrClosed):
		return Problem{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down; try again in a moment"}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Status: http.StatusServiceUnavailable, Code: "timed_out", Message: "the server did not finish this request in time; try again in a moment"}
	case errors.Is(err, context.Canceled):
		// The request's own context ending is a client gone away, which
		// nobody answers; a cancel that reaches an answer is the server
		// stopping the work, as it does when shutting down.
		return Problem{Status: http.StatusServiceUnavailable, Code: "canceled", Message: "the server stopped this request, as it does when shutting down; try again in a moment"}
	}
	return Problem{Status: http.StatusInternalServerError, Code: "internal", Internal: true}
}

// refusal is the answer to the engine's refusals all (at least one).
func refusal(err error, all []*fault.Error) Problem {
	first := all[0]
	if statusOf(first.Kind) == http.StatusInternalServerError {
		// A kind no user can act on (a lost lease) is an internal error.
		return Problem{Status: http.StatusInternalServerError, Code: "internal", Internal: true}
	}
	p := Problem{Status: statusOf(first.Kind), Code: first.Code, Message: first.Message, Field: first.Field, Refs: first.Refs}
	if be := (*design.BreakingError)(nil); errors.As(err, &be) {
		p.Breaks = be.Breaks
	}
	if len(all) > 1 {
		for _, x := range all {
			p.Details = append(p.Details, itemOf(x))
		}
	}
	if p.Status == http.StatusTooManyRequests {
		p.RetryAfterSeconds = QueueFullRetryAfterSeconds
	}
	return p
}

// routerError is echo's own refusal: no route (404), wrong method (405),
// a body over echo's limit (413), or any status a middleware chose.
func routerError(he *echo.HTTPError) Problem {
	msg, _ := he.Message.(string)
	if msg == "" {
		msg = http.StatusText(he.Code)
	}
	p := Problem{Status: he.Code, Code: "http_error", Message: msg}
	switch he.Code {
	case http.StatusNotFound:
		p.Code, p.noRoute = "not_found", true
	case http.StatusMethodNotAllowed:
		p.Code = "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		p.Code = "payload_too_large"
	}
	return p
}

// bodyError is a body-decoding error that reached the classifier
// unwrapped (Malformed words the ones a handler decodes itself).
func bodyError(err error) (Problem, bool) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var me *http.MaxBytesError
	switch {
	case errors.As(err, &se), errors.As(err, &te):
		return Classify(Malformed(err)), true
	case errors.As(err, &me):
		return Problem{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: "the request body is over the limit of " + itoa(me.Limit) + " bytes; send less"}, true
	}
	return Problem{}, false
}

// statusOf maps a refusal's kind to its HTTP status: ErrInvalid 422,
// ErrForbidden 403, ErrNotFound 404, ErrConflict 409, ErrTooLarge 413,
// ErrQueueFull 429, ErrUnauthorized 401; any other kind (ErrLeaseLost is
// internal) is a 500.
func statusOf(kind error) int {
	switch {
	case errors.Is(kind, fault.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(kind, fault.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(kind, fault.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(kind, fault.ErrConflict):
		return http.StatusConflict
	case errors.Is(kind, fault.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(kind, fault.ErrQueueFull):
		return http.StatusTooManyRequests
	case errors.Is(kind, fault.ErrUnauthorized):
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}
