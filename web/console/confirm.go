package console

import (
	"context"
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
)

// formConfirmed is the context of a console form's design change:
// confirming breaking changes when the form was sent with its "Save
// anyway" button (confirm=breaking).
func formConfirmed(c echo.Context) context.Context {
	ctx := c.Request().Context()
	if c.Request().PostFormValue(design.ConfirmBreakingQuery) == "breaking" {
		return engine.ConfirmBreaking(ctx)
	}
	return ctx
}

// breaksOf returns the subscriptions err refuses to break, if it is a
// breaking_change refusal.
func breaksOf(err error) []design.Break {
	var be *design.BreakingError
	if errors.As(err, &be) {
		return be.Breaks
	}
	return nil
}
