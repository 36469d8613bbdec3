package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

func (s *API) trigger(c echo.Context) error {
	// The raw body is bounded by the payload limit before it is parsed,
	// so an oversized request never costs more than the limit.
	// A CloudEvent's envelope gets room beyond the payload limit; its
	// data is held to the limit by the engine.
	mode := triggerModeOf(c.Request().Header)
	limit := int64(s.eng.Config().Limits.MaxPayloadBytes)
	if mode != modeJSON {
		limit += envelopeBytes
	}
	body, err := request.ReadBody(c, limit)
	if err != nil {
		return err
	}
	caller := request.Caller(c.Request().Context())
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
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/occurrences/"+request.Itoa(res.OccurrenceID))
	return c.JSON(http.StatusAccepted, res)
}

// triggerRequest reads a trigger's body in its mode: a CloudEvent, a
// JSON object or a form, with the traceparent header of a plain one.
func (s *API) triggerRequest(c echo.Context, mode triggerMode, caller string, body []byte) (engine.TriggerRequest, error) {
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
	req := engine.TriggerRequest{Caller: caller, Event: request.EventRef(c), JSON: body, Traceparent: tp}
	if request.LooksLikeJSON(body) || !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		// A JSON body, even one sent with curl's default form content
		// type, must be one object; anything else is refused here, as
		// every other route refuses malformed JSON, before the engine
		// reads it.
		if err := request.CheckJSONObject(body); err != nil {
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

func (s *API) listKeys(c echo.Context) error {
	keys, err := s.eng.Keys(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": request.NonNil(keys)})
}

func (s *API) createKey(c echo.Context) error {
	k, err := s.eng.CreateKey(c.Request().Context(), c.Param("app"))
	if err != nil {
		return err
	}
	return created(c, "/api/v1/apps/"+esc(k.App)+"/keys/"+request.Itoa(k.ID), map[string]any{"id": k.ID, "key": k.Clear, "prefix": k.Prefix, "createdAt": k.CreatedAt})
}

func (s *API) revokeKey(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	if err := s.eng.RevokeKey(c.Request().Context(), c.Param("app"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// page is one page of a newest-first list; NextCursor, when present, is
// passed as ?cursor= to get the next page.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

func (s *API) listOccurrences(c echo.Context) error {
	q, err := request.ReadListQuery(c)
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
		App: q.App, Event: q.Event, Status: status, TraceID: q.TraceID,
		Since: q.Since, Until: q.Until, Params: request.ParamQueries(c.QueryParams()), BeforeID: q.Cursor, Limit: q.Limit,
	})
	if err != nil {
		return paramBadRequest(err)
	}
	p := page[delivery.Occurrence]{Items: request.NonNil(items)}
	if len(items) == q.Limit {
		p.NextCursor = request.Itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, p)
}

func (s *API) getOccurrence(c echo.Context) error {
	o, err := request.ByID(c, s.eng.Occurrence)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, o)
}

func (s *API) getTrace(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	q, err := request.ReadListQuery(c)
	if err != nil {
		return err
	}
	// A trace pages oldest first (a chain reads from its root down), so
	// its cursor is the last id of the page before, and the next page
	// holds the ids after it; page sizes are the lists' (50 by default, at
	// most 500).
	occ, err := s.eng.TracePage(c.Request().Context(), id, q.Cursor, q.Limit)
	if err != nil {
		return err
	}
	body := map[string]any{"traceId": id, "occurrences": request.NonNil(occ)}
	if len(occ) == q.Limit {
		body["nextCursor"] = request.Itoa(occ[len(occ)-1].ID)
	}
	return c.JSON(http.StatusOK, body)
}

func (s *API) listDeliveries(c echo.Context) error {
	q, err := request.ReadListQuery(c)
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
		App: q.App, Event: q.Event, OccurrenceID: occ, Status: status, TraceID: q.TraceID,
		Since: q.Since, Until: q.Until, Params: request.ParamQueries(c.QueryParams()), BeforeID: q.Cursor, Limit: q.Limit,
	})
	if err != nil {
		return paramBadRequest(err)
	}
	p := page[delivery.Delivery]{Items: request.NonNil(items)}
	if len(items) == q.Limit {
		p.NextCursor = request.Itoa(items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, p)
}

func (s *API) getDelivery(c echo.Context) error {
	d, err := request.ByID(c, s.eng.Delivery)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *API) deliveryOp(c echo.Context, op func(*engine.Engine, echo.Context, int64) (delivery.Delivery, error)) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	d, err := op(s.eng, c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *API) retryDelivery(c echo.Context) error {
	return s.deliveryOp(c, func(e *engine.Engine, c echo.Context, id int64) (delivery.Delivery, error) {
		return e.RetryNow(c.Request().Context(), id)
	})
}

func (s *API) replayDelivery(c echo.Context) error {
	return s.deliveryOp(c, func(e *engine.Engine, c echo.Context, id int64) (delivery.Delivery, error) {
		return e.Replay(c.Request().Context(), id)
	})
}

func (s *API) discardDelivery(c echo.Context) error {
	return s.deliveryOp(c, func(e *engine.Engine, c echo.Context, id int64) (delivery.Delivery, error) {
		return e.Discard(c.Request().Context(), id)
	})
}

// stats is the runtime at a glance: deliveries by state in the last hour,
// queue depth per event type, in-flight per app.
func (s *API) stats(c echo.Context) error {
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
