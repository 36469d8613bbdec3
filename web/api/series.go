package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/series"
)

// StatsSeries answers the charts' data: one window (1h by default, or
// 24h) of the total, or of one event or one app. It is exported because
// the console's charts read the same answer by session at /stats/series.
func (s *API) StatsSeries(c echo.Context) error {
	key, w, err := s.seriesQuery(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.series.Frame(key, w, s.eng.Now()))
}

// seriesQuery reads window, event and app, refusing a bad window, both
// filters at once and a name the design does not have.
func (s *API) seriesQuery(c echo.Context) (series.Key, series.Window, error) {
	wq := c.QueryParam("window")
	if wq == "" {
		wq = string(series.Hour)
	}
	w, ok := series.ParseWindow(wq)
	if !ok {
		return series.Key{}, "", &httperr.BadRequest{Code: "bad_query", Field: "window", Message: "window must be 1h (10-second points) or 24h (one-minute points); got " + strconv.Quote(wq)}
	}
	event, app := c.QueryParam("event"), c.QueryParam("app")
	switch {
	case event != "" && app != "":
		return series.Key{}, "", &httperr.BadRequest{Code: "bad_query", Field: "app", Message: "give event or app, not both: a chart is of the total, one event or one app"}
	case event != "":
		ref, err := design.ParseEventRef(event)
		if err != nil {
			return series.Key{}, "", &httperr.BadRequest{Code: "bad_query", Field: "event", Message: "event names the event as Producer.EventName; got " + strconv.Quote(event)}
		}
		if _, err := s.eng.Event(ref); err != nil {
			return series.Key{}, "", err
		}
		return series.Key{Event: ref.String()}, w, nil
	case app != "":
		if _, err := s.eng.App(app); err != nil {
			return series.Key{}, "", err
		}
		return series.Key{App: app}, w, nil
	}
	return series.Total(), w, nil
}
