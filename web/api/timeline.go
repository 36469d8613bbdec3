package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// timelineDefaultWindow is the window a timeline covers when the caller
// names no since: the designer's shortest preset but one.
const timelineDefaultWindow = 15 * time.Minute

// Timeline answers the recorded flow of a window (GET /api/v1/timeline).
// It is exported because the console serves the same answer, behind its
// sign-in, to the designer's time travel.
func (s *API) Timeline(c echo.Context) error {
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

// readTimelineQuery reads since, until (RFC 3339; until defaults to now,
// since to timelineDefaultWindow before until) and limit.
func (s *API) readTimelineQuery(c echo.Context) (engine.TimelineQuery, error) {
	var q engine.TimelineQuery
	if err := request.TimeQuery(c, "since", &q.Since); err != nil {
		return q, err
	}
	if err := request.TimeQuery(c, "until", &q.Until); err != nil {
		return q, err
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
