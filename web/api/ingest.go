package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/cloudevent"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
)

// batchContentType is the media type of a CloudEvents batch (a JSON array
// of structured events).
const batchContentType = event.ApplicationCloudEventsBatchJSON

// envelopeBytes is the room a trigger body gets beyond the payload limit
// for a structured CloudEvent's attributes (id, source, type, time,
// extensions): the parameters themselves are still held to the limit.
const envelopeBytes = 4 << 10

// triggerMode is how a trigger's body carries its parameters.
type triggerMode int

const (
	modeJSON       triggerMode = iota // a JSON object (or a form)
	modeStructured                    // application/cloudevents+json
	modeBinary                        // ce-* headers, the data as the body
	modeBatch                         // application/cloudevents-batch+json
)

// triggerModeOf reads the mode from the request's headers.
func triggerModeOf(h http.Header) triggerMode {
	mt, _, _ := mime.ParseMediaType(h.Get(echo.HeaderContentType))
	switch {
	case mt == cloudevent.ContentType:
		return modeStructured
	case mt == batchContentType:
		return modeBatch
	case h.Get("ce-specversion") != "":
		return modeBinary
	}
	return modeJSON
}

// headerTraceparent is the request's W3C traceparent header, refused with
// a 400 naming the header when it is not a valid one.
func headerTraceparent(c echo.Context) (string, error) {
	tp := c.Request().Header.Get("traceparent")
	if tp != "" && !cloudevent.ValidTraceparent(tp) {
		return "", badTraceparent("the traceparent header", tp)
	}
	return tp, nil
}

func badTraceparent(where, got string) error {
	return &httperr.BadRequest{Code: "bad_traceparent", Field: "traceparent", Message: fmt.Sprintf(
		"%s is not a W3C trace context: got %q; send 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags> (ids not all zeros), or leave it out",
		where, got)}
}

// cloudEventTrigger reads a structured or binary CloudEvent from the
// request (its body already read and bounded) with the CloudEvents SDK.
func cloudEventTrigger(c echo.Context, caller string, body []byte) (engine.TriggerRequest, error) {
	ev, err := cehttp.NewEventFromHTTPRequest(withBody(c.Request(), body))
	if err != nil {
		return engine.TriggerRequest{}, &httperr.BadRequest{Code: "bad_cloudevent", Message: "the CloudEvent could not be read: " + err.Error() +
			"; send a structured event (Content-Type application/cloudevents+json with specversion, id, source, type and data) or a binary one (ce-specversion, ce-id, ce-source and ce-type headers, the parameters as a JSON body)"}
	}
	tp, err := headerTraceparent(c)
	if err != nil {
		return engine.TriggerRequest{}, err
	}
	return eventRequest(caller, request.EventRef(c), ev, tp)
}

// withBody is r reading body again (echo's handler has consumed it).
func withBody(r *http.Request, body []byte) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	return r2
}

// eventRequest turns a CloudEvent into a trigger of ref: its type must be
// ref (Producer.Event), its data a JSON object of the parameters (checked
// as a JSON trigger's body is), its traceparent extension (or, without
// one, the HTTP header's value tp) a valid W3C traceparent.
func eventRequest(caller string, ref design.EventRef, ev *event.Event, tp string) (engine.TriggerRequest, error) {
	// The SDK reads an event without checking its required attributes.
	if err := ev.Validate(); err != nil {
		return engine.TriggerRequest{}, &httperr.BadRequest{Code: "bad_cloudevent", Message: "the CloudEvent is not valid: " + err.Error() +
			"; every CloudEvent needs specversion 1.0, id, source and type"}
	}
	if ev.Type() != ref.String() {
		return engine.TriggerRequest{}, &httperr.BadRequest{Code: "cloudevent_type", Field: "type", Message: fmt.Sprintf(
			"the CloudEvent's type is %q but this route triggers %s: set type to %q (Producer.Event), or post it to the route of the event it names",
			ev.Type(), ref, ref.String())}
	}
	if ct := ev.DataContentType(); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return engine.TriggerRequest{}, &httperr.BadRequest{Code: "cloudevent_data", Field: "datacontenttype", Message: fmt.Sprintf(
				"the CloudEvent's datacontenttype is %q; its data must be the parameters as a JSON object (datacontenttype application/json)", ct)}
		}
	}
	data := ev.Data()
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if err := relabel(request.CheckJSONObject(data), "data", "the CloudEvent's data: "); err != nil {
		return engine.TriggerRequest{}, err
	}
	if v, ok := ev.Extensions()["traceparent"]; ok {
		s, isString := v.(string)
		if !isString || !cloudevent.ValidTraceparent(s) {
			return engine.TriggerRequest{}, badTraceparent("the CloudEvent's traceparent extension", fmt.Sprint(v))
		}
		tp = s
	}
	return engine.TriggerRequest{Caller: caller, Event: ref, JSON: data, Traceparent: tp}, nil
}

// batchItem is one item's answer in a batch: its index in the request,
// the status a single trigger of it would have had, and either its ids
// or its error in the shape of a single trigger's error body.
type batchItem struct {
	Index  int `json:"index"`
	Status int `json:"status"`
	*engine.TriggerResult
	Error   *httperr.Item  `json:"error,omitempty"`
	Details []httperr.Item `json:"details,omitempty"`
}

// batchAnswer is the answer of a batch trigger.
type batchAnswer struct {
	Accepted int         `json:"accepted"`
	Refused  int         `json:"refused"`
	Items    []batchItem `json:"items"`
}

// triggerBatch triggers up to engine.MaxTriggerBatch occurrences of one
// event: a JSON array of parameter objects, or a CloudEvents batch. It
// answers 200 with one item per element, accepted (202, its ids) or
// refused (its error); the accepted ones are committed together.
func (s *API) triggerBatch(c echo.Context) error {
	limit := int64(engine.MaxTriggerBatch) * int64(s.eng.Config().Limits.MaxPayloadBytes+envelopeBytes)
	body, err := request.ReadBody(c, limit)
	if err != nil {
		return err
	}
	caller := request.Caller(c.Request().Context())
	ref := request.EventRef(c)
	tp, err := headerTraceparent(c)
	if err != nil {
		return err
	}
	if c.QueryParam("dryRun") != "" {
		return &httperr.BadRequest{Code: "bad_query", Field: "dryRun", Message: "trigger:batch has no dry run; check items one at a time with .../trigger?dryRun=true"}
	}
	var reqs []engine.TriggerRequest
	var errs []error
	switch triggerModeOf(c.Request().Header) {
	case modeStructured, modeBinary:
		return &httperr.BadRequest{Code: "not_a_batch", Message: "a batch takes a JSON array of parameter objects or a CloudEvents batch (Content-Type " + batchContentType + "); post a single CloudEvent to .../trigger instead"}
	case modeBatch:
		evs, err := cehttp.NewEventsFromHTTPRequest(withBody(c.Request(), body))
		if err != nil {
			return &httperr.BadRequest{Code: "bad_cloudevent", Message: "the CloudEvents batch could not be read: " + err.Error() + "; send a JSON array of structured CloudEvents"}
		}
		if err := checkBatchSize(len(evs)); err != nil {
			return err
		}
		reqs, errs = make([]engine.TriggerRequest, len(evs)), make([]error, len(evs))
		for i := range evs {
			reqs[i], errs[i] = eventRequest(caller, ref, &evs[i], tp)
		}
	default:
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			if !request.LooksLikeJSON(body) || !json.Valid(body) {
				return httperr.Malformed(err)
			}
			return &httperr.BadRequest{Code: "malformed_json", Message: "the batch body must be a JSON array of parameter objects such as [{\"Quantity\": 3}, {\"Quantity\": 5}]"}
		}
		if err := checkBatchSize(len(items)); err != nil {
			return err
		}
		reqs, errs = make([]engine.TriggerRequest, len(items)), make([]error, len(items))
		for i, it := range items {
			reqs[i] = engine.TriggerRequest{Caller: caller, Event: ref, JSON: it, Traceparent: tp}
			errs[i] = relabel(request.CheckJSONObject(it), "", "item "+strconv.Itoa(i)+" of the batch: ")
		}
	}
	return s.runBatch(c, reqs, errs)
}

// relabel says which part of a request a body check's refusal is about:
// request.CheckJSONObject speaks of "the body", which a CloudEvent's data or a
// batch item is not.
func relabel(err error, field, prefix string) error {
	var br *httperr.BadRequest
	if !errors.As(err, &br) {
		return err
	}
	return &httperr.BadRequest{Code: br.Code, Field: field, Message: prefix + strings.Replace(br.Message, "the body", "it", 1)}
}

// checkBatchSize refuses an empty batch (400) and one over
// engine.MaxTriggerBatch items (413), naming the limit.
func checkBatchSize(n int) error {
	if n == 0 {
		return &httperr.BadRequest{Code: "empty_batch", Message: "the batch has no items; send at least one (at most " + strconv.Itoa(engine.MaxTriggerBatch) + ")"}
	}
	if n > engine.MaxTriggerBatch {
		return fault.New(fault.ErrTooLarge, "batch_too_large", fmt.Sprintf(
			"a batch holds at most %d items; got %d: split it into several batches", engine.MaxTriggerBatch, n))
	}
	return nil
}

// runBatch triggers the items that were read (errs[i] nil) in one engine
// batch and answers every item.
func (s *API) runBatch(c echo.Context, reqs []engine.TriggerRequest, errs []error) error {
	ans := batchAnswer{Items: make([]batchItem, len(reqs))}
	var ok []engine.TriggerRequest
	var at []int
	for i, err := range errs {
		ans.Items[i].Index = i
		if err == nil {
			ok, at = append(ok, reqs[i]), append(at, i)
		}
	}
	if len(ok) > 0 {
		out, err := s.eng.TriggerBatch(c.Request().Context(), ok)
		if err != nil {
			return err
		}
		for j, o := range out {
			if o.Err != nil {
				errs[at[j]] = o.Err
				continue
			}
			ans.Items[at[j]].TriggerResult = o.Result
		}
	}
	for i, err := range errs {
		it := &ans.Items[i]
		if err == nil {
			it.Status = http.StatusAccepted
			ans.Accepted++
			continue
		}
		ans.Refused++
		it.Status, it.Error, it.Details = s.itemError(c, err)
	}
	return c.JSON(http.StatusOK, ans)
}

// itemError is err as a single trigger would have answered it: its
// status, its first error and, when there are several, all of them.
func (s *API) itemError(c echo.Context, err error) (int, *httperr.Item, []httperr.Item) {
	p := httperr.Resolve(c, s.log, "batch item failed", err)
	first := p.Item()
	return p.Status, &first, p.Details
}
