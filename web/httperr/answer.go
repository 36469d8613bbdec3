package httperr

import (
	"log/slog"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// Item is one error on the wire: {"code","message","field"}.
type Item struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Field   string   `json:"field,omitempty"`
	Refs    []string `json:"refs,omitempty"`
	// Breaks lists the subscriptions a refused breaking_change breaks.
	Breaks []design.Break `json:"breaks,omitempty"`
}

// Body is every JSON error answer: the first error, and all of them when
// there are several (every parameter error of a trigger).
type Body struct {
	Error     Item   `json:"error"`
	Details   []Item `json:"details,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

func itemOf(e *fault.Error) Item {
	return Item{Code: e.Code, Message: e.Message, Field: e.Field, Refs: e.Refs}
}

// Item is the problem's first error as the wire shows it.
func (p Problem) Item() Item {
	return Item{Code: p.Code, Message: p.Message, Field: p.Field, Refs: p.Refs, Breaks: p.Breaks}
}

// Body is the problem as a JSON error answer.
func (p Problem) Body() Body {
	return Body{Error: p.Item(), Details: p.Details, RequestID: p.RequestID}
}

// Resolve classifies err for the request of c. An internal error is
// logged with the request's id, method and path under what, and its
// answer names only that id; the router's 404 names the path.
func Resolve(c echo.Context, log *slog.Logger, what string, err error) Problem {
	p := Classify(err)
	r := c.Request()
	switch {
	case p.noRoute:
		p.Message = "There is no page at " + r.URL.Path + "."
	case p.Internal:
		id := c.Response().Header().Get(echo.HeaderXRequestID)
		log.Error(what, "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
		p.RequestID = id
		p.Message = "something went wrong on the server; the log has the details under request id " + id
	}
	return p
}

// WriteJSON answers err as JSON with the status it maps to, and a
// Retry-After when the problem has one.
func WriteJSON(c echo.Context, log *slog.Logger, err error) error {
	p := Resolve(c, log, "request failed", err)
	if p.RetryAfterSeconds > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(p.RetryAfterSeconds))
	}
	return c.JSON(p.Status, p.Body())
}
