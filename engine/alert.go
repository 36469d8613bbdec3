package engine

import (
	"strconv"
	"sync"
	"time"

	"github.com/eventloom/eventloom/engine/design"
)

// AlertKind names what an alert is about.
type AlertKind string

// The alert kinds: operational events someone should look at.
const (
	// AlertDeliveryDead: a delivery used its last retry (or a pull worker
	// rejected it) and is dead.
	AlertDeliveryDead AlertKind = "delivery_dead"
	// AlertEndpointFailing: an app's endpoint failed Config's threshold of
	// webhook attempts in a row.
	AlertEndpointFailing AlertKind = "endpoint_failing"
	// AlertQueueFilling: an event's queue passed 80% of its cap.
	AlertQueueFilling AlertKind = "queue_filling"
	// AlertAppAtLimit: an app ran at its concurrency limit for a minute.
	AlertAppAtLimit AlertKind = "app_at_limit"
)

// Alert is one operational event, kept for the console and the API and
// sent to the alert webhook when one is configured.
type Alert struct {
	// ID numbers the alerts of this process from 1.
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Kind       AlertKind `json:"kind"`
	App        string    `json:"app,omitempty"`
	Event      string    `json:"event,omitempty"`
	DeliveryID int64     `json:"deliveryId,omitempty"`
	Message    string    `json:"message"`
}

// Thresholds of the alerts on gauges. A queue alerts once when it passes
// 80% of its cap and again only after it fell back under 70%, so a queue
// hovering at 80% alerts once, not at every check.
const (
	queueAlertPercent   = 80
	queueRearmPercent   = 70
	appAtLimitFor       = time.Minute
	alertsKeptByDefault = 1000
)

// alertLog keeps the newest alerts in memory (a bounded ring), with the
// de-duplication state of the gauge alerts. Memory is enough: every
// alert is about state the store keeps anyway (a dead delivery stays on
// the dead-letters page, a queue's depth and an app's load are live
// gauges), alerts are sent outward as they happen, and a restart starts
// the gauges afresh.
type alertLog struct {
	mu     sync.Mutex
	kept   int
	nextID int64
	items  []Alert // oldest first
	// queueHigh marks events whose queue alerted and has not yet fallen
	// under queueRearmPercent; atLimit is since when each app has run at
	// its limit, limitAlerted whether that stretch alerted already.
	queueHigh    map[string]bool
	atLimit      map[string]time.Time
	limitAlerted map[string]bool
	// changed is closed (and replaced) when an alert is added.
	changed chan struct{}
}

func newAlertLog(kept int) *alertLog {
	return &alertLog{kept: kept, queueHigh: map[string]bool{}, atLimit: map[string]time.Time{}, limitAlerted: map[string]bool{}, changed: make(chan struct{})}
}

// AlertsChanged returns a channel closed when the next alert is kept, so
// a caller waits for alerts on a signal rather than polling.
func (e *Engine) AlertsChanged() <-chan struct{} {
	e.alerts.mu.Lock()
	defer e.alerts.mu.Unlock()
	return e.alerts.changed
}

// add numbers a and keeps it, dropping the oldest past the bound.
func (l *alertLog) add(a Alert) Alert {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextID++
	a.ID = l.nextID
	l.items = append(l.items, a)
	if len(l.items) > l.kept {
		l.items = append(l.items[:0], l.items[len(l.items)-l.kept:]...)
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return a
}

// Alerts lists the kept alerts newest first, those with an id below
// before (0: from the newest), at most limit (1 to 500; default 50).
func (e *Engine) Alerts(before int64, limit int) []Alert {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	l := e.alerts
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Alert{}
	for i := len(l.items) - 1; i >= 0 && len(out) < limit; i-- {
		if before > 0 && l.items[i].ID >= before {
			continue
		}
		out = append(out, l.items[i])
	}
	return out
}

// AlertsSince counts the kept alerts at or after t, for the console's
// badge.
func (e *Engine) AlertsSince(t time.Time) int {
	l := e.alerts
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i := len(l.items) - 1; i >= 0 && !l.items[i].At.Before(t); i-- {
		n++
	}
	return n
}

// deadAlert raises the alert of a delivery that died.
func (e *Engine) deadAlert(cs *compiled, id int64, attempts int, lastError string) {
	e.alert(Alert{Kind: AlertDeliveryDead, App: cs.app.Name, Event: cs.event.Ref().String(), DeliveryID: id,
		Message: "delivery " + strconv.FormatInt(id, 10) + " of " + cs.event.Ref().String() + " to " + cs.app.Name + " is dead after " + strconv.Itoa(attempts) +
			" attempt(s): " + lastError + ". Replay it from the dead letters once the cause is fixed"})
}

// alert records a and sends it to the alert webhook, if one is set.
func (e *Engine) alert(a Alert) {
	a.At = e.clk.Now()
	a = e.alerts.add(a)
	e.log.Warn("alert", "kind", string(a.Kind), "app", a.App, "event", a.Event, "delivery_id", a.DeliveryID, "message", a.Message)
	e.sendAlert(a)
}

// checkGauges raises the gauge alerts: a queue past 80% of its cap (once
// until it falls under 70%), an app at its concurrency limit for a
// minute (once per such stretch).
func (e *Engine) checkGauges() {
	ctx := e.d.runCtx
	if depths, err := e.QueueDepths(ctx); err != nil {
		if ctx.Err() == nil {
			e.log.Error("alerts: read the queue depths", "error", err)
		}
	} else {
		for name, q := range depths {
			e.checkQueue(name, q)
		}
	}
	now := e.clk.Now()
	loads := e.InFlight()
	l := e.alerts
	var raise []Alert
	l.mu.Lock()
	for app, ld := range loads {
		if ld.Limit <= 0 || ld.Running < ld.Limit {
			delete(l.atLimit, app)
			delete(l.limitAlerted, app)
			continue
		}
		since, ok := l.atLimit[app]
		if !ok {
			l.atLimit[app] = now
			continue
		}
		if now.Sub(since) >= appAtLimitFor && !l.limitAlerted[app] {
			l.limitAlerted[app] = true
			raise = append(raise, Alert{Kind: AlertAppAtLimit, App: app,
				Message: app + " has run at its concurrency limit (" + strconv.Itoa(ld.Limit) + " at once) since " + since.UTC().Format(time.RFC3339) +
					"; its deliveries wait. Raise its concurrency, or make its handlers faster"})
		}
	}
	l.mu.Unlock()
	for _, a := range raise {
		e.alert(a)
	}
}

func (e *Engine) checkQueue(name string, q QueueDepth) {
	if q.Cap <= 0 {
		return
	}
	l := e.alerts
	l.mu.Lock()
	high := l.queueHigh[name]
	fire := false
	switch {
	case !high && q.Pending*100 >= q.Cap*queueAlertPercent:
		l.queueHigh[name], fire = true, true
	case high && q.Pending*100 < q.Cap*queueRearmPercent:
		delete(l.queueHigh, name)
	}
	l.mu.Unlock()
	if fire {
		ref, _ := design.ParseEventRef(name)
		e.alert(Alert{Kind: AlertQueueFilling, App: ref.App, Event: name,
			Message: "the queue of " + name + " holds " + strconv.Itoa(q.Pending) + " of its " + strconv.Itoa(q.Cap) + " pending occurrences (80% or more); past the cap, triggers are refused. Check its subscribers' handlers"})
	}
}

// watchGauges runs checkGauges every Config.AlertCheckInterval on the
// engine's clock until the dispatcher stops.
func (e *Engine) watchGauges() {
	var tick func()
	tick = func() {
		if e.d.isClosed() {
			return
		}
		e.checkGauges()
		e.clk.AfterFunc(e.cfg.AlertCheckInterval, tick)
	}
	e.clk.AfterFunc(e.cfg.AlertCheckInterval, tick)
}
