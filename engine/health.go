package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// endpointHealth counts each endpoint's consecutive failed webhook
// attempts, by URL (the app's endpoint, whatever the handler's path). It
// lives in memory: after a restart an endpoint starts healthy, and its
// next failures count again.
type endpointHealth struct {
	mu       sync.Mutex
	failures map[string]int
}

// record counts one attempt's outcome and returns the failures in a row
// afterwards, and whether that changed the count.
func (h *endpointHealth) record(endpoint string, ok bool) (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures == nil {
		h.failures = make(map[string]int)
	}
	n := h.failures[endpoint]
	if ok {
		delete(h.failures, endpoint)
		return 0, n != 0
	}
	h.failures[endpoint] = n + 1
	return n + 1, true
}

func (h *endpointHealth) get(endpoint string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failures[endpoint]
}

// EndpointFailures is how many webhook attempts to app's endpoint have
// failed in a row (0 when it answered the last one with success, has no
// endpoint, or the app is unknown), for the console to show its health.
func (e *Engine) EndpointFailures(app string) int {
	a, ok := e.snap.Load().idx.App(app)
	if !ok || a.Endpoint == "" {
		return 0
	}
	return e.health.get(a.Endpoint)
}

// endpointOutcome counts one webhook attempt against app's endpoint,
// publishes the new count when it changed, and pauses the app's webhook
// subscriptions when the failures in a row reach Config.EndpointPauseAfter.
func (e *Engine) endpointOutcome(app *design.App, ok bool) {
	n, changed := e.health.record(app.Endpoint, ok)
	if !changed {
		return
	}
	e.notice(notify.EndpointHealth, app.Name, "", "", n)
	if n == e.cfg.AlertEndpointFailures {
		e.alert(Alert{Kind: AlertEndpointFailing, App: app.Name, Message: fmt.Sprintf(
			"%s's endpoint %s has failed %d webhook attempts in a row; its deliveries retry and may die. Check the endpoint", app.Name, app.Endpoint, n)})
	}
	if limit := e.cfg.EndpointPauseAfter; limit > 0 && n == limit {
		e.pauseUnhealthy(app.Name, n)
	}
}

// pauseUnhealthy pauses every running webhook subscription of app, with
// a notice in the log and on the bus naming how to resume them.
func (e *Engine) pauseUnhealthy(app string, failures int) {
	ctx := WithActor(context.WithoutCancel(e.d.runCtx), Actor{Name: "system"})
	ctx = withAuditLabel(ctx, "subscription.pause", app+":webhooks")
	var paused []string
	_, _, err := e.change(ctx, false, func(d *design.Design) error {
		for i := range d.Subscriptions {
			s := &d.Subscriptions[i]
			if s.App == app && s.Handler.Kind == design.KindWebhook && !s.Paused {
				s.Paused = true
				paused = append(paused, s.Event.String())
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("pause the webhook subscriptions of an unhealthy endpoint", "app", app, "error", err)
		return
	}
	if len(paused) == 0 {
		return
	}
	msg := fmt.Sprintf("%s's endpoint failed %d attempts in a row, so its webhook subscriptions (%d) are paused; resume them once it answers again", app, failures, len(paused))
	e.log.Warn("webhook subscriptions paused: endpoint unhealthy", "app", app, "failures", failures, "subscriptions", paused)
	for _, ev := range paused {
		e.notice(notify.SubscriptionPaused, app, ev, msg, failures)
	}
}
