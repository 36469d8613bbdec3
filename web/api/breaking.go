package api

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
)

// designCtx is the request's context for a design change: confirming
// breaking changes when the query says ?confirm=breaking (the only value
// confirm takes; any other is a 400 saying so).
func designCtx(c echo.Context) (context.Context, error) {
	ctx := c.Request().Context()
	switch v := c.QueryParam(design.ConfirmBreakingQuery); v {
	case "":
		return ctx, nil
	case "breaking":
		return engine.ConfirmBreaking(ctx), nil
	default:
		return ctx, &httperr.BadRequest{Code: "bad_query", Field: design.ConfirmBreakingQuery,
			Message: "confirm takes one value, breaking (?confirm=breaking makes a change that breaks subscriptions); got " + strconv.Quote(v)}
	}
}
