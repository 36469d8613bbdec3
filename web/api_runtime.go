package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/httperr"
)

func (s *Server) trigger(c echo.Context) error {
	// The raw body is bounded by the payload limit before it is parsed,
	// so an oversized request never costs more than the limit.
	// A CloudEvent's envelope gets room beyond the payload limit; its
	// data is held to the limit by the engine.
	mode := triggerModeOf(c.Request().Header)
	limit := int64(s.eng.Config().Limits.MaxPayloadBytes)
	if mode != modeJSON {
		limit += envelopeBytes
	}
	body, err := readBody(c, limit)
	if err != nil {
		return err
	}
	caller, _ := c.Request().Context().Value(callerKey{}).(string)
	req, err := s.triggerRequest(c, mode, caller, body)
	if err != nil {
		return err
	}
	if dry, err := boolQuery(c, "dryRun"); err != nil || dry {
		if err != nil {
			return err
		}
		out, err := s.eng.TriggerDryRun(c.Request().Context(), req)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
	res, err := s.eng.Trigger(c.Request().Context(), req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/occurrences/"+itoa(res.OccurrenceID))
	return c.JSON(http.StatusAccepted, res)
}

// triggerRequest reads a trigger's body in its mode: a CloudEvent, a
// JSON object or a form, with the traceparent header of a plain one.
func (s *Server) triggerRequest(c echo.Context, mode triggerMode, caller string, body []byte) (engine.TriggerRequest, error) {
	switch mode {
	case modeStructured, modeBinary:
		return cloudEventTrigger(c, caller, body)
	case modeBatch:
		return engine.TriggerRequest{}, &httperr.BadRequest{Code: "batch_not_allowed", Message: "a CloudEvents batch goes to .../trigger:batch; post a single event here"}
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	tp, err := headerTraceparent(c)
	if err != nil {
		return engine.TriggerRequest{}, err
	}
	req := engine.TriggerRequest{Caller: caller, Event: eventRef(c), JSON: body, Traceparent: tp}
	if looksLikeJSON(body) || !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		// A JSON body, even one sent with curl's default form content
		// type, must be one object; anything else is refused here, as
		// every other route refuses malformed JSON, before the engine
		// reads it.
		if err := checkJSONObject(body); err != nil {
			return engine.TriggerRequest{}, err
		}
		return req, nil
	}
	// key=value pairs (the CLI, a plain HTML form): each value is read by
	// its parameter's type.
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return engine.TriggerRequest{}, &httperr.BadRequest{Code: "malformed_form", Message: "the form body could not be read: " + err.Error()}
	}
	req.JSON, req.Form = nil, map[string]string{}
	for k, v := range vals {
		req.Form[k] = v[len(v)-1]
	}
	return req, nil
}

func (s *Server) listKeys(c echo.Context) error {
	keys, err := s.eng.Keys(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": nonNil(keys)})
}

func (s *Server) createKey(c echo.Context) error {
	k, err := s.eng.CreateKey(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(k.App)+"/keys/"+itoa(k.ID), map[string]any{"id": k.ID, "key": k.Clear, "prefix": k.Prefix, "createdAt": k.CreatedAt})
}

func (s *Server) revokeKey(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeKey(c.Request().Context(), c.Param("app"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &httperr.BadRequest{Code: "bad_id", Field: "id", Message: "the id in the path must be a positive whole number; got " + strconv.Quote(c.Param("id"))}
	}
	return id, nil
}

// page is one page of a newest-first list; NextCursor, when present, is
// passed as ?cursor= to get the next page.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// nonNil makes an empty list [] on the wire rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// listQuery reads the filters shared by the list endpoints.
type listQuery struct {
	app     string
	event   design.EventRef
	since   time.Time
	until   time.Time
	cursor  int64
	limit   int
	traceID int64
}

func readListQuery(c echo.Context) (listQuery, error) {
	var q listQuery
	q.app = c.QueryParam("app")
	if ev := c.QueryParam("event"); ev != "" {
		ref, err := design.ParseEventRef(ev)
		if err != nil {
			return q, &httperr.BadRequest{Code: "bad_query", Field: "event", Message: "event filters name the event as Producer.EventName; got " + strconv.Quote(ev)}
		}
		q.event = ref
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.since}, {"until", &q.until}} {
		if v := c.QueryParam(t.name); v != "" {
			x, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return q, &httperr.BadRequest{Code: "bad_query", Field: t.name, Message: t.name + " must be an RFC 3339 time such as 2026-11-23T10:00:00Z; got " + strconv.Quote(v)}
			}
			*t.dst = x
		}
	}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"cursor", &q.cursor}, {"trace", &q.traceID}} {
		if v := c.QueryParam(n.name); v != "" {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil || x <= 0 {
				return q, &httperr.BadRequest{Code: "bad_query", Field: n.name, Message: n.name + " must be a positive whole number; got " + strconv.Quote(v)}
			}
			*n.dst = x
		}
	}
	q.limit = 50
	if v := c.QueryParam("limit"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > 500 {
			return q, &httperr.BadRequest{Code: "bad_query", Field: "limit", Message: "limit must be 1 to 500; got " + strconv.Quote(v)}
		}
		q.limit = x
	}
	return q, nil
}

func (s *Server) listOccurrences(c echo.Context) error {
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	status := delivery.OccurrenceStatus(c.QueryParam("status"))
	switch status {
	case "", delivery.OccurrencePending, delivery.OccurrenceCompleted, delivery.OccurrenceDead:
	default:
		return &httperr.BadRequest{Code: "bad_query", Field: "status", Message: "status must be pending, completed or dead; got " + strconv.Quote(string(status))}
	}
	items, err := s.eng.Occurrences(c.Request().Context(), engine.OccurrenceFilter{
		App: q.app, Event: q.event, Status: status, TraceID: q.traceID,
		Since: q.since, Until: q.until, Params: paramQueries(c.QueryParams()), BeforeID: q.cursor, Limit: q.limit,
	})
	if err != nil {
		return paramBadRequest(err)
	}
	p := page[delivery.Occurrence]{Items: nonNil(items)}
	if len(items) == q.limit {
		p.NextCursor = itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) getOccurrence(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := s.eng.Occurrence(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o)
}

func (s *Server) getTrace(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	// A trace pages oldest first (a chain reads from its root down), so
	// its cursor is the last id of the page before, and the next page
	// holds the ids after it; page sizes are the lists' (50 by default, at
	// most 500).
	occ, err := s.eng.TracePage(c.Request().Context(), id, q.cursor, q.limit)
	if err != nil {
		return err
	}
	body := map[string]any{"traceId": id, "occurrences": nonNil(occ)}
	if len(occ) == q.limit {
		body["nextCursor"] = itoa(occ[len(occ)-1].ID)
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) listDeliveries(c echo.Context) error {
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	status := delivery.Status(c.QueryParam("status"))
	if status != "" && !status.Valid() {
		return &httperr.BadRequest{Code: "bad_query", Field: "status", Message: "status must be pending, running, retrying, succeeded, dead or discarded; got " + strconv.Quote(string(status))}
	}
	var occ int64
	if v := c.QueryParam("occurrence"); v != "" {
		if occ, err = strconv.ParseInt(v, 10, 64); err != nil {
			return &httperr.BadRequest{Code: "bad_query", Field: "occurrence", Message: "occurrence must be an id"}
		}
	}
	items, err := s.eng.Deliveries(c.Request().Context(), engine.DeliveryFilter{
		App: q.app, Event: q.event, OccurrenceID: occ, Status: status, TraceID: q.traceID,
		Since: q.since, Until: q.until, Params: paramQueries(c.QueryParams()), BeforeID: q.cursor, Limit: q.limit,
	})
	if err != nil {
		return paramBadRequest(err)
	}
	p := page[delivery.Delivery]{Items: nonNil(items)}
	if len(items) == q.limit {
		p.NextCursor = itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) getDelivery(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := s.eng.Delivery(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) deliveryOp(c echo.Context, op func(*engine.Engine, echo.Context, int64) (delivery.Delivery, error)) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := op(s.eng, c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) retryDelivery(c echo.Context) error {
	return s.deliveryOp(c, func(e *engine.Engine, c echo.Context, id int64) (delivery.Delivery, error) {
		return e.RetryNow(c.Request().Context(), id)
	})
}

func (s *Server) replayDelivery(c echo.Context) error {
	return s.deliveryOp(c, func(e *engine.Engine, c echo.Context, id int64) (delivery.Delivery, error) {
		return e.Replay(c.Request().Context(), id)
	})
}

func (s *Server) discardDelivery(c echo.Context) error {
	return s.deliveryOp(c, func(e *engine.Engine, c echo.Context, id int64) (delivery.Delivery, error) {
		return e.Discard(c.Request().Context(), id)
	})
}

// stats is the runtime at a glance: deliveries by state in the last hour,
// queue depth per event type, in-flight per app.
func (s *Server) stats(c echo.Context) error {
	ctx := c.Request().Context()
	counts, err := s.eng.DeliveryCounts(ctx, s.eng.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	depths, err := s.eng.QueueDepths(ctx)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"deliveriesLastHour": counts,
		"queues":             depths,
		"inFlight":           s.eng.InFlight(),
	})
}

// boolQuery reads a true/false query parameter; absent is false, and
// anything but true or false is a 400 naming it.
func boolQuery(c echo.Context, name string) (bool, error) {
	switch v := c.QueryParam(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, &httperr.BadRequest{Code: "bad_query", Field: name, Message: name + " must be true or false; got " + strconv.Quote(v)}
	}
}
