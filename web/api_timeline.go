package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web/httperr"
)

// timelineDefaultWindow is the window a timeline covers when the caller
// names no since: the designer's shortest preset but one.
const timelineDefaultWindow = 15 * time.Minute

// timeline answers the recorded flow of a window (GET /api/v1/timeline).
func (s *Server) timeline(c echo.Context) error {
	q, err := s.readTimelineQuery(c)
	if err != nil {
		return err
	}
	t, err := s.eng.Timeline(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// designerTimeline is the same timeline for the designer's time travel,
// behind the console's sign-in.
func (s *Server) designerTimeline(c echo.Context) error {
	if err := s.timeline(c); err != nil {
		return s.writeError(c, err)
	}
	return nil
}

// readTimelineQuery reads since, until (RFC 3339; until defaults to now,
// since to timelineDefaultWindow before until) and limit.
func (s *Server) readTimelineQuery(c echo.Context) (engine.TimelineQuery, error) {
	var q engine.TimelineQuery
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if v := c.QueryParam(t.name); v != "" {
			x, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return q, &httperr.BadRequest{Code: "bad_query", Field: t.name, Message: t.name + " must be an RFC 3339 time such as 2026-11-23T10:00:00Z; got " + strconv.Quote(v)}
			}
			*t.dst = x
		}
	}
	if q.Until.IsZero() {
		q.Until = s.eng.Now()
	}
	if q.Since.IsZero() {
		q.Since = q.Until.Add(-timelineDefaultWindow)
	}
	if v := c.QueryParam("limit"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > engine.TimelineMaxItems {
			return q, &httperr.BadRequest{Code: "bad_query", Field: "limit", Message: "limit must be a whole number from 1 to " + strconv.Itoa(engine.TimelineMaxItems) + "; got " + strconv.Quote(v)}
		}
		q.Limit = x
	}
	return q, nil
}
