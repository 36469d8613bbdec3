package console

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/httperr"
	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

func (s *Console) occurrenceRedirect(c echo.Context) error {
	o, err := request.ByID(c, s.eng.Occurrence)
	if err != nil {
		return err
	}
	// An occurrence past the trace's first page opens the page that
	// starts at it.
	page := "/traces/" + request.Itoa(o.TraceID)
	first, err := s.eng.TracePage(c.Request().Context(), o.TraceID, 0, TracePageSize)
	if err != nil {
		return err
	}
	if len(first) == TracePageSize && first[len(first)-1].ID < o.ID {
		page += "?after=" + request.Itoa(o.ID-1)
	}
	return c.Redirect(http.StatusSeeOther, page+"#occ-"+request.Itoa(o.ID))
}

// TracePageSize is how many occurrences one trace page shows. A chain
// has no bound on its size (it fans out), so the page reads one slice of
// it at a time, oldest first.
const TracePageSize = 300

// traceTree builds the chain's tree from one page of its occurrences
// (oldest first): an occurrence hangs under the delivery that triggered
// it, or starts the tree when that delivery is on an earlier page.
func traceTree(traceID int64, occ []delivery.Occurrence) templates.TraceProps {
	children := map[int64][]delivery.Occurrence{}
	onPage := map[int64]bool{}
	for _, o := range occ {
		for _, d := range o.Deliveries {
			onPage[d.ID] = true
		}
	}
	var roots []delivery.Occurrence
	running := false
	for _, o := range occ {
		if o.Status == delivery.OccurrencePending {
			running = true
		}
		if o.ParentDeliveryID == 0 || !onPage[o.ParentDeliveryID] {
			roots = append(roots, o)
		} else {
			children[o.ParentDeliveryID] = append(children[o.ParentDeliveryID], o)
		}
	}
	var build func([]delivery.Occurrence) []templates.TraceNode
	build = func(os []delivery.Occurrence) []templates.TraceNode {
		out := make([]templates.TraceNode, 0, len(os))
		for _, o := range os {
			n := templates.TraceNode{Occurrence: o, ParentOffPage: o.ParentDeliveryID != 0 && !onPage[o.ParentDeliveryID]}
			for _, d := range o.Deliveries {
				n.Deliveries = append(n.Deliveries, templates.TraceDelivery{Delivery: d, Children: build(children[d.ID])})
			}
			out = append(out, n)
		}
		return out
	}
	return templates.TraceProps{TraceID: traceID, Roots: build(roots), Running: running}
}

// tracePage shows one page of a trace: ?after= is the last occurrence
// id of the page before (none: from the root).
func (s *Console) tracePage(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	var after int64
	if v := c.QueryParam("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return &httperr.BadRequest{Code: "bad_query", Field: "after", Message: "after must be the id of the last occurrence of the page before; got " + strconv.Quote(v)}
		}
	}
	occ, err := s.eng.TracePage(c.Request().Context(), id, after, TracePageSize+1)
	if err != nil {
		return err
	}
	if len(occ) == 0 && after == 0 {
		return fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("trace %d has no occurrences", id))
	}
	more := len(occ) > TracePageSize
	if more {
		occ = occ[:TracePageSize]
	}
	t := traceTree(id, occ)
	t.After, t.PageSize = after, TracePageSize
	t.ExternalURL, t.ExternalTraceID = externalTrace(s.traceURL, occ)
	if more {
		t.Next = occ[len(occ)-1].ID
	}
	return s.render(c, http.StatusOK, templates.TracePage(s.page(c, "Trace #"+request.Itoa(id), ""), t), templates.TraceTree(t))
}
