package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// replayRequest is the body of POST /api/v1/replays.
type replayRequest struct {
	// Filter holds app, event, subscription, status, since, until,
	// trace and param.Name members; see bulkFilter.
	Filter map[string]json.RawMessage `json:"filter"`
	Action string                     `json:"action"`
	DryRun bool                       `json:"dryRun"`
	// Subscription narrows the action to one subscription
	// (HandlingApp:Producer.Event), as filter.subscription does.
	Subscription string `json:"subscription"`
}

// bulkFilter reads a bulk action's filter object: every member is a
// string (trace and param values may also be numbers or booleans);
// unknown members are refused so a typo never widens the selection.
func bulkFilter(raw map[string]json.RawMessage) (engine.DeliveryFilter, error) {
	var f engine.DeliveryFilter
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, err := scalar(raw[k])
		if err != nil {
			return f, &httperr.BadRequest{Code: "bad_filter", Field: "filter." + k, Message: "filter." + k + " must be a string, a number or a boolean"}
		}
		if v == "" {
			continue
		}
		bad := func(msg string) error {
			return &httperr.BadRequest{Code: "bad_filter", Field: "filter." + k, Message: msg + "; got " + strconv.Quote(v)}
		}
		switch {
		case k == "app":
			f.App = v
		case k == "event":
			ref, err := design.ParseEventRef(v)
			if err != nil {
				return f, bad("filter.event names the event as Producer.EventName")
			}
			f.Event = ref
		case k == "subscription":
			f.Subscription = v
		case k == "status":
			st := delivery.Status(v)
			if !st.Valid() {
				return f, bad("filter.status must be pending, running, retrying, succeeded, dead or discarded")
			}
			f.Status = st
		case k == "since" || k == "until":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, bad("filter." + k + " must be an RFC 3339 time such as 2026-11-23T10:00:00Z")
			}
			if k == "since" {
				f.Since = t
			} else {
				f.Until = t
			}
		case k == "trace":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, bad("filter.trace must be a trace id, a positive whole number")
			}
			f.TraceID = n
		case strings.HasPrefix(k, request.ParamPrefix):
			f.Params = append(f.Params, engine.ParamQuery{Name: strings.TrimPrefix(k, request.ParamPrefix), Value: v})
		default:
			return f, &httperr.BadRequest{Code: "bad_filter", Field: "filter." + k,
				Message: "filter has no member " + strconv.Quote(k) + "; use app, event, subscription, status, since, until, trace or param.Name"}
		}
	}
	return f, nil
}

// scalar is a JSON string's text, or a number's or boolean's literal.
func scalar(raw json.RawMessage) (string, error) {
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return "", err
	}
	switch v := x.(type) {
	case string:
		return v, nil
	case float64, bool:
		return strings.TrimSpace(string(raw)), nil
	case nil:
		return "", nil
	}
	return "", &httperr.BadRequest{}
}

// bulkError answers a refused bulk request with 400 (an empty filter, a
// bad action or payload condition), like any other bad request.
func bulkError(err error) error {
	if all := fault.All(err); len(all) > 0 && (all[0].Code == "empty_filter" || all[0].Code == "bad_action" || all[0].Code == "bad_subscription") {
		return &httperr.BadRequest{Code: all[0].Code, Field: all[0].Field, Message: all[0].Message}
	}
	return paramBadRequest(err)
}

// startReplay counts (dryRun) or starts a bulk replay, retry or discard
// over the deliveries a filter selects.
func (s *API) startReplay(c echo.Context) error {
	var req replayRequest
	if err := request.Decode(c, s.maxBody, &req); err != nil {
		return err
	}
	f, err := bulkFilter(req.Filter)
	if err != nil {
		return err
	}
	if req.Subscription != "" {
		if f.Subscription != "" && f.Subscription != req.Subscription {
			return &httperr.BadRequest{Code: "bad_filter", Field: "subscription", Message: "subscription and filter.subscription name different subscriptions; give one"}
		}
		f.Subscription = req.Subscription
	}
	action := engine.BulkAction(req.Action)
	ctx := c.Request().Context()
	if req.DryRun {
		n, err := s.eng.BulkCount(ctx, f, action)
		if err != nil {
			return bulkError(err)
		}
		return c.JSON(http.StatusOK, map[string]any{"matched": n})
	}
	job, err := s.eng.BulkStart(ctx, f, action)
	if err != nil {
		return bulkError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/replays/"+job.ID)
	return c.JSON(http.StatusAccepted, map[string]any{"id": job.ID, "matched": job.Matched})
}

func (s *API) getReplay(c echo.Context) error {
	job, err := s.eng.BulkGet(c.Param("replay"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *API) cancelReplay(c echo.Context) error {
	job, err := s.eng.BulkCancel(c.Request().Context(), c.Param("replay"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}
