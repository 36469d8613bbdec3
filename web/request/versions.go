package request

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/web/httperr"
)

// VersionDiff reads the ?from=&to= of a design diff and asks diff for
// the changes between them, so the API and the console refuse a bad
// range alike.
func VersionDiff[T any](c echo.Context, diff func(ctx context.Context, from, to int64) (T, error)) (from, to int64, changes T, err error) {
	if from, to, err = versionRange(c); err != nil {
		return 0, 0, changes, err
	}
	changes, err = diff(c.Request().Context(), from, to)
	return from, to, changes, err
}

// versionRange reads the ?from=&to= of a design diff: from is required,
// to is 0 (the current design) when absent; each names a version number.
func versionRange(c echo.Context) (from, to int64, err error) {
	if c.QueryParam("from") == "" {
		return 0, 0, &httperr.BadRequest{Code: "required", Field: "from", Message: "from names the version to compare from, e.g. ?from=3&to=7 (to defaults to the current design)"}
	}
	if from, err = Version(c.QueryParam("from"), "from"); err != nil {
		return 0, 0, err
	}
	if v := c.QueryParam("to"); v != "" {
		if to, err = Version(v, "to"); err != nil {
			return 0, 0, err
		}
	}
	return from, to, nil
}

// Version reads v, the parameter name, as a design version number (1 or
// more); anything else is a 400 naming the parameter.
func Version(v, name string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, &httperr.BadRequest{Code: "bad_query", Field: name, Message: name + " must be a design version number (1 or more); got " + strconv.Quote(v)}
	}
	return n, nil
}
