package request

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
)

// Itoa writes a whole number in decimal, as ids appear in paths, cursors
// and messages.
func Itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// NonNil makes an empty list [] on the wire rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// PathID reads the :id path parameter, a positive whole number; anything
// else is a 400 naming what came.
func PathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &httperr.BadRequest{Code: "bad_id", Field: "id", Message: "the id in the path must be a positive whole number; got " + strconv.Quote(c.Param("id"))}
	}
	return id, nil
}

// EventRef is the event a path names by its :app and :event parameters.
func EventRef(c echo.Context) design.EventRef {
	return design.EventRef{App: c.Param("app"), Event: c.Param("event")}
}

// SubscriptionRef reads the :ref path parameter, the
// {producer}.{event} that names a subscription of the path's :app; a
// malformed one is a 400 with an example.
func SubscriptionRef(c echo.Context) (design.EventRef, error) {
	ref, err := design.ParseEventRef(c.Param("ref"))
	if err != nil {
		return ref, &httperr.BadRequest{Code: "bad_reference", Field: "event", Message: "the subscription is named by its event as Producer.EventName, e.g. Storefront.OnPurchaseStarted; got " + strconv.Quote(c.Param("ref"))}
	}
	return ref, nil
}

// ByID reads the :id path parameter and fetches what it names with get,
// so every face refuses a malformed id, and answers a missing one, alike.
func ByID[T any](c echo.Context, get func(context.Context, int64) (T, error)) (T, error) {
	id, err := PathID(c)
	if err != nil {
		var zero T
		return zero, err
	}
	return get(c.Request().Context(), id)
}
