package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// apiError is one error on the wire: {"code","message","field"}.
type apiError struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Field   string   `json:"field,omitempty"`
	Refs    []string `json:"refs,omitempty"`
	// Breaks lists the subscriptions a refused breaking_change breaks.
	Breaks []design.Break `json:"breaks,omitempty"`
}

// errorBody is every API error response: the first error, and all of
// them when there are several (every parameter error of a trigger).
type errorBody struct {
	Error     apiError   `json:"error"`
	Details   []apiError `json:"details,omitempty"`
	RequestID string     `json:"requestId,omitempty"`
}

// statusOf maps a refusal's kind to its HTTP status; the one place this
// mapping lives (STYLE.md).
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

// queueFullRetryAfterSeconds is the Retry-After of a 429 queue-full
// answer. The engine keeps no estimate of how fast a queue drains (that
// depends on the subscribers' handlers), so this is a fixed hint: 5
// seconds is long enough that a producer honouring it stops hammering a
// full queue, and short enough that room freed by handlers, which run
// within seconds in the common case, is used soon after.
const queueFullRetryAfterSeconds = 5

// badRequest is a request the server cannot read at all (malformed JSON,
// a bad query parameter): 400.
type badRequest struct {
	code, field, message string
}

func (b *badRequest) Error() string { return b.message }

// writeError answers err as JSON with the status its kind maps to. An
// error that is not a refusal is logged with a request id and answered
// with a generic 500 that names only the id.
func (s *Server) writeError(c echo.Context, err error) error {
	var br *badRequest
	if errors.As(err, &br) {
		return c.JSON(http.StatusBadRequest, errorBody{Error: apiError{Code: br.code, Field: br.field, Message: br.message}})
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		code := "http_error"
		switch he.Code {
		case http.StatusNotFound:
			code = "not_found"
		case http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		case http.StatusRequestEntityTooLarge:
			code = "payload_too_large"
		}
		return c.JSON(he.Code, errorBody{Error: apiError{Code: code, Message: msg}})
	}
	if all := fault.All(err); len(all) > 0 {
		body := errorBody{Error: wire(all[0])}
		if be := (*design.BreakingError)(nil); errors.As(err, &be) {
			body.Error.Breaks = be.Breaks
		}
		if len(all) > 1 {
			for _, x := range all {
				body.Details = append(body.Details, wire(x))
			}
		}
		status := statusOf(all[0].Kind)
		if status == http.StatusTooManyRequests {
			c.Response().Header().Set("Retry-After", strconv.Itoa(queueFullRetryAfterSeconds))
		}
		return c.JSON(status, body)
	}
	if errors.Is(err, engine.ErrClosed) {
		return c.JSON(http.StatusServiceUnavailable, errorBody{Error: apiError{Code: "shutting_down", Message: "the server is shutting down; try again in a moment"}})
	}
	id := c.Response().Header().Get(echo.HeaderXRequestID)
	s.log.Error("request failed", "request_id", id, "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	return c.JSON(http.StatusInternalServerError, errorBody{
		Error:     apiError{Code: "internal", Message: "something went wrong on the server; the log has the details under request id " + id},
		RequestID: id,
	})
}

func wire(e *fault.Error) apiError {
	return apiError{Code: e.Code, Message: e.Message, Field: e.Field, Refs: e.Refs}
}
