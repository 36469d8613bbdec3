package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/templates"
	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// maxReplayed bounds the deliveries the dead-letters page follows after a
// replay: a bulk replay of a whole page (100) fits.
const maxReplayed = 100

// replayedQuery is the dead-letters page's query naming the deliveries
// just replayed, so the page follows them to their outcome.
func replayedQuery(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return url.Values{"replayed": {strings.Join(parts, ",")}}.Encode()
}

// parseReplayed reads ?replayed=12,13; a bad list is an error saying how
// to write one.
func parseReplayed(v string) ([]int64, string) {
	if v == "" {
		return nil, ""
	}
	var ids []int64
	for _, p := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return nil, "replayed= lists delivery ids separated by commas, such as 12,13; " + strconv.Quote(p) + " is not one."
		}
		ids = append(ids, id)
	}
	if len(ids) > maxReplayed {
		return nil, "replayed= lists at most " + strconv.Itoa(maxReplayed) + " deliveries; this one lists " + strconv.Itoa(len(ids)) + "."
	}
	return ids, ""
}

// deadProps reads the dead-letters page: dead deliveries, those waiting
// for a retry, and the ones just replayed (with their current state, live
// while any is unfinished), each with its occurrence's event and payload.
func (s *Console) deadProps(ctx context.Context, replayed []int64) (templates.DeadProps, error) {
	var p templates.DeadProps
	skip := map[int64]bool{}
	var traces []string
	seenTrace := map[int64]bool{}
	var rep []delivery.Delivery
	for _, id := range replayed {
		d, err := s.eng.Delivery(ctx, id)
		if err != nil {
			// Gone since (a deleted subscription): nothing to follow.
			continue
		}
		skip[id] = true
		rep = append(rep, d)
	}
	rows, err := s.deliveryRows(ctx, rep)
	if err != nil {
		return p, err
	}
	p.Replayed = rows
	for _, r := range rows {
		if r.Status.Finished() {
			continue
		}
		if t := r.Occurrence.TraceID; t != 0 && !seenTrace[t] {
			seenTrace[t] = true
			traces = append(traces, strconv.FormatInt(t, 10))
		}
	}
	p.LiveTraces = strings.Join(traces, " ")
	p.ReplayedQuery = replayedQuery(replayed)
	for _, st := range []delivery.Status{delivery.Dead, delivery.Retrying} {
		ds, err := s.eng.Deliveries(ctx, engine.DeliveryFilter{Status: st, Limit: 100})
		if err != nil {
			return p, err
		}
		kept := ds[:0]
		for _, d := range ds {
			if !skip[d.ID] {
				kept = append(kept, d)
			}
		}
		rows, err := s.deliveryRows(ctx, kept)
		if err != nil {
			return p, err
		}
		if st == delivery.Dead {
			p.Deliveries = rows
		} else {
			p.Waiting = rows
		}
	}
	return p, nil
}

// deadPage lists dead letters and waiting retries; ?replayed= names
// deliveries just replayed, which the page follows live to their outcome
// (an htmx refresh gets only that part).
func (s *Console) deadPage(c echo.Context) error {
	ids, bad := parseReplayed(c.QueryParam("replayed"))
	d, err := s.deadProps(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	d.CanOperate = request.WhoOf(c).Role.May(engine.RightOperate)
	p, status := s.page(c, "Dead letters", "dead"), http.StatusOK
	if bad != "" {
		p.Flash, p.FlashKind, status = bad, "error", http.StatusUnprocessableEntity
	}
	return s.render(c, status, templates.DeadLetters(p, d), templates.ReplayedDeliveries(d))
}

func (s *Console) deliveryAction(c echo.Context) error {
	id, err := request.PathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	flash, to := "", "/dead"
	switch c.Param("op") {
	case "replay":
		_, err = s.eng.Replay(ctx, id)
		flash = "Delivery #" + request.Itoa(id) + " replayed: it runs again now, with the whole retry schedule."
		to = "/dead?" + replayedQuery([]int64{id})
	case "retry":
		_, err = s.eng.RetryNow(ctx, id)
		flash = "Delivery #" + request.Itoa(id) + " will be retried now."
	case "discard":
		_, err = s.eng.Discard(ctx, id)
		flash = "Delivery #" + request.Itoa(id) + " discarded."
	default:
		return echo.NewHTTPError(http.StatusNotFound, "no such action")
	}
	if err != nil {
		return err
	}
	return back(c, to, flash)
}
