package request

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
)

// ListQuery is the filters the list endpoints share; zero fields filter
// nothing.
type ListQuery struct {
	App     string
	Event   design.EventRef
	Since   time.Time
	Until   time.Time
	Cursor  int64
	Limit   int
	TraceID int64
}

// ListDefaultLimit is a list page's size when the query names none;
// ListMaxLimit bounds what one request may ask for.
const (
	ListDefaultLimit = 50
	ListMaxLimit     = 500
)

// ReadListQuery reads app, event (Producer.EventName), since and until
// (RFC 3339), cursor, trace and limit; each bad value is a 400 naming the
// parameter and the form it takes.
func ReadListQuery(c echo.Context) (ListQuery, error) {
	var q ListQuery
	q.App = c.QueryParam("app")
	if ev := c.QueryParam("event"); ev != "" {
		ref, err := design.ParseEventRef(ev)
		if err != nil {
			return q, &httperr.BadRequest{Code: "bad_query", Field: "event", Message: "event filters name the event as Producer.EventName; got " + strconv.Quote(ev)}
		}
		q.Event = ref
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if err := TimeQuery(c, t.name, t.dst); err != nil {
			return q, err
		}
	}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"cursor", &q.Cursor}, {"trace", &q.TraceID}} {
		if v := c.QueryParam(n.name); v != "" {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil || x <= 0 {
				return q, &httperr.BadRequest{Code: "bad_query", Field: n.name, Message: n.name + " must be a positive whole number; got " + strconv.Quote(v)}
			}
			*n.dst = x
		}
	}
	q.Limit = ListDefaultLimit
	if v := c.QueryParam("limit"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > ListMaxLimit {
			return q, &httperr.BadRequest{Code: "bad_query", Field: "limit", Message: "limit must be 1 to " + Itoa(ListMaxLimit) + "; got " + strconv.Quote(v)}
		}
		q.Limit = x
	}
	return q, nil
}

// TimeQuery reads the query parameter name as an RFC 3339 time into dst;
// absent leaves dst alone, a bad one is a 400 with an example.
func TimeQuery(c echo.Context, name string, dst *time.Time) error {
	v := c.QueryParam(name)
	if v == "" {
		return nil
	}
	x, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return &httperr.BadRequest{Code: "bad_query", Field: name, Message: name + " must be an RFC 3339 time such as 2026-11-23T10:00:00Z; got " + strconv.Quote(v)}
	}
	*dst = x
	return nil
}
