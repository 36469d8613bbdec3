package console

import (
	"net/http"
	"sort"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/templates"
	"github.com/labstack/echo/v4"
)

func (s *Console) overviewPage(c echo.Context) error {
	ctx := c.Request().Context()
	d := s.eng.Design()
	counts, err := s.eng.DeliveryCounts(ctx, s.eng.Now().Add(-3600e9))
	if err != nil {
		return err
	}
	depths, err := s.eng.QueueDepths(ctx)
	if err != nil {
		return err
	}
	o := templates.OverviewProps{Apps: len(d.Apps), Events: len(d.Events), Subscriptions: len(d.Subscriptions), Counts: counts}
	for _, q := range depths {
		o.Queues = append(o.Queues, templates.QueueRow{Event: q.Event, Pending: q.Pending, Cap: q.Cap})
	}
	sort.Slice(o.Queues, func(i, j int) bool { return o.Queues[i].Event < o.Queues[j].Event })
	for app, l := range s.eng.InFlight() {
		o.Loads = append(o.Loads, templates.LoadRow{App: app, Running: l.Running, Queued: l.Queued, Limit: l.Limit})
	}
	sort.Slice(o.Loads, func(i, j int) bool { return o.Loads[i].App < o.Loads[j].App })
	for _, st := range []delivery.Status{delivery.Dead, delivery.Retrying} {
		ds, err := s.eng.Deliveries(ctx, engine.DeliveryFilter{Status: st, Limit: 10})
		if err != nil {
			return err
		}
		o.Failures = append(o.Failures, ds...)
	}
	return s.render(c, http.StatusOK, templates.Overview(s.page(c, "Overview", "overview"), o), nil)
}
