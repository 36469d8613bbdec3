package metrics

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// noteBuffer is the bus subscriber's buffer: generous, because a note the
// metrics lose is a count that is wrong forever (and is counted in
// eventloom_metrics_notes_dropped_total so the loss is visible).
const noteBuffer = 1 << 16

// LiveStats is what the live hub tells metrics: how many viewers are
// joined, how many messages they lost to full buffers and how many notes
// the hub's rate cap left out (web/live.Hub).
type LiveStats interface {
	Viewers() int
	ViewerDropped() uint64
	Skipped() uint64
}

// Config configures Metrics. The zero value is usable.
type Config struct {
	// DeadLetterRefresh is the least time, on the engine's clock, between
	// two reads of the dead letter count from storage (the one metric a
	// scrape reads from storage, since a dead delivery's replay or discard
	// does not say what it was before). Default 30s; negative means every
	// scrape reads it.
	DeadLetterRefresh time.Duration
}

// Metrics owns one Prometheus registry with Eventloom's metrics. Create it
// with New before the store opens (it is the store's CommitObserver), then
// Watch the engine before the engine starts, so no note is missed.
type Metrics struct {
	cfg Config
	reg *prometheus.Registry

	triggers   *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	attempts   *prometheus.HistogramVec
	batchOps   prometheus.Histogram
	commitSec  prometheus.Histogram
	commitErrs prometheus.Counter

	mu      sync.Mutex
	started map[int64]time.Time // DeliveryID -> its running attempt's start
	counted notify.Mark         // the last note counted (WaitCounted)
}

// New returns metrics with the store's and the process's collectors
// registered; engine and live metrics appear once Watch and WatchLive are
// called.
func New(cfg Config) *Metrics {
	if cfg.DeadLetterRefresh == 0 {
		cfg.DeadLetterRefresh = 30 * time.Second
	}
	m := &Metrics{cfg: cfg, reg: prometheus.NewRegistry(), started: map[int64]time.Time{}}
	m.triggers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eventloom_triggers_total",
		Help: "Triggers by event and outcome (accepted or refused); reason says why a trigger was refused (empty when accepted). An unknown event is counted under event \"\".",
	}, []string{"event", "outcome", "reason"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eventloom_deliveries_total",
		Help: "Finished delivery attempts by subscription (handling app and event) and outcome: succeeded, failed (a retry follows) or dead.",
	}, []string{"app", "event", "outcome"})
	m.attempts = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "eventloom_attempt_duration_seconds",
		Help:    "Handler run time of each attempt, by handler kind (flow, webhook, pull, go).",
		Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 120},
	}, []string{"kind"})
	m.batchOps = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "eventloom_store_commit_batch_ops",
		Help:    "Write operations per store transaction (group commit's batch size).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
	})
	m.commitSec = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "eventloom_store_commit_duration_seconds",
		Help:    "Time of each store transaction, BEGIN to COMMIT.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	m.commitErrs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "eventloom_store_commit_errors_total",
		Help: "Store transactions that failed as a whole (every operation in them failed).",
	})
	m.reg.MustRegister(m.triggers, m.deliveries, m.attempts, m.batchOps, m.commitSec, m.commitErrs,
		// The prometheus package's own Go and process collectors: the
		// collectors package would pull database/sql into web.
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ObserveCommit records one store batch (store.CommitObserver). It does
// not allocate.
func (m *Metrics) ObserveCommit(ops int, took time.Duration, err error) {
	m.batchOps.Observe(float64(ops))
	m.commitSec.Observe(took.Seconds())
	if err != nil {
		m.commitErrs.Inc()
	}
}

// SearchIndex is a backend with a payload search index that trails its
// writes (store.Store).
type SearchIndex interface {
	SearchIndexLag() int64
}

// WatchSearchIndex registers the payload search index's lag gauge.
func (m *Metrics) WatchSearchIndex(x SearchIndex) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "eventloom_search_index_lag_occurrences",
		Help: "Occurrences the payload search index has yet to reach; searches test them one by one meanwhile. Growing without end means the index cannot keep up.",
	}, func() float64 { return float64(x.SearchIndexLag()) }))
}

// WatchLive registers the live hub's viewer gauges.
func (m *Metrics) WatchLive(live LiveStats) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "eventloom_live_viewers", Help: "Live viewers (websockets) joined now."},
			func() float64 { return float64(live.Viewers()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "eventloom_live_dropped_messages_total", Help: "Messages live viewers lost because they did not keep up."},
			func() float64 { return float64(live.ViewerDropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "eventloom_live_skipped_notes_total", Help: "Notes the live view left out because the flow was over its rate cap; viewers see them as a gap."},
			func() float64 { return float64(live.Skipped()) }),
	)
}

// Watch subscribes to eng's notification bus and registers the engine's
// gauges; it counts notes until ctx is done. Call it before eng.Start.
func (m *Metrics) Watch(ctx context.Context, eng *engine.Engine) {
	sub := eng.Bus().Subscribe(noteBuffer)
	m.reg.MustRegister(
		&engineCollector{eng: eng, refresh: m.cfg.DeadLetterRefresh},
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "eventloom_metrics_notes_dropped_total", Help: "Engine notes the metrics lost because they fell behind; when above 0 the counters undercount."},
			func() float64 { return float64(sub.Dropped()) }),
	)
	go func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-sub.C():
				m.count(eng, &n)
			}
		}
	}()
}

// count turns one note into counter increments.
func (m *Metrics) count(eng *engine.Engine, n *notify.Note) {
	switch n.Kind {
	case notify.OccurrenceTriggered:
		m.triggers.WithLabelValues(n.Event, "accepted", "").Inc()
	case notify.TriggerRefused:
		m.triggers.WithLabelValues(n.Event, "refused", n.Reason).Inc()
	case notify.DeliveryStarted:
		m.mu.Lock()
		m.started[n.DeliveryID] = n.At
		m.mu.Unlock()
	case notify.DeliverySucceeded, notify.DeliveryFailed, notify.DeliveryDead:
		outcome := "succeeded"
		switch n.Kind {
		case notify.DeliveryFailed:
			outcome = "failed"
		case notify.DeliveryDead:
			outcome = "dead"
		}
		m.deliveries.WithLabelValues(n.App, n.Event, outcome).Inc()
		m.mu.Lock()
		at, ok := m.started[n.DeliveryID]
		delete(m.started, n.DeliveryID)
		m.mu.Unlock()
		if ok {
			m.attempts.WithLabelValues(handlerKind(eng, n)).Observe(n.At.Sub(at).Seconds())
		}
	}
	m.counted.Set(n.Seq)
}

// handlerKind is the kind of handler the note's subscription runs, or
// "unknown" when the design no longer has it.
func handlerKind(eng *engine.Engine, n *notify.Note) string {
	ref, err := design.ParseEventRef(n.Event)
	if err != nil {
		return "unknown"
	}
	s, err := eng.Subscription(n.App, ref)
	if err != nil {
		return "unknown"
	}
	return string(s.Handler.Kind)
}

// WaitCounted returns once every note up to seq has been counted, or with
// ctx's error: a caller that saw a note on the bus can then read metrics
// that include it.
func (m *Metrics) WaitCounted(ctx context.Context, seq uint64) error {
	if err := m.counted.Wait(ctx, seq); err != nil {
		return fmt.Errorf("metrics: wait for note %d: %w", seq, err)
	}
	return nil
}

// engineCollector reads the engine's gauges at scrape time.
type engineCollector struct {
	eng     *engine.Engine
	refresh time.Duration

	mu     sync.Mutex
	deadAt time.Time
	dead   float64
	deadOK bool
}

var (
	descQueuePending = prometheus.NewDesc("eventloom_queue_pending_occurrences", "Pending occurrences of an event type (its queue).", []string{"event"}, nil)
	descQueueCap     = prometheus.NewDesc("eventloom_queue_cap_occurrences", "Most pending occurrences an event type may have; a trigger past it is refused with queue_full.", []string{"event"}, nil)
	descRunning      = prometheus.NewDesc("eventloom_inflight_handler_runs", "Handler runs in progress for an app.", []string{"app"}, nil)
	descQueued       = prometheus.NewDesc("eventloom_inflight_queued_deliveries", "Claimed deliveries of an app waiting in memory for a run slot.", []string{"app"}, nil)
	descLimit        = prometheus.NewDesc("eventloom_inflight_limit_handler_runs", "An app's concurrency limit.", []string{"app"}, nil)
	descDead         = prometheus.NewDesc("eventloom_dead_letters", "Dead deliveries waiting to be replayed or discarded.", nil, nil)
)

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueuePending, descQueueCap, descRunning, descQueued, descLimit, descDead} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	ctx := context.Background()
	if depths, err := c.eng.QueueDepths(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descQueuePending, fmt.Errorf("queue depths: %w", err))
	} else {
		for name, d := range depths {
			ch <- prometheus.MustNewConstMetric(descQueuePending, prometheus.GaugeValue, float64(d.Pending), name)
			ch <- prometheus.MustNewConstMetric(descQueueCap, prometheus.GaugeValue, float64(d.Cap), name)
		}
	}
	for app, l := range c.eng.InFlight() {
		ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, float64(l.Running), app)
		ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(l.Queued), app)
		ch <- prometheus.MustNewConstMetric(descLimit, prometheus.GaugeValue, float64(l.Limit), app)
	}
	if dead, err := c.deadLetters(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descDead, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, dead)
	}
}

// deadLetters reads the dead count from storage at most once per refresh.
func (c *engineCollector) deadLetters(ctx context.Context) (float64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.eng.Now()
	if c.deadOK && c.refresh > 0 && now.Sub(c.deadAt) < c.refresh {
		return c.dead, nil
	}
	n, err := c.eng.DeadLetters(ctx)
	if err != nil {
		return 0, err
	}
	c.dead, c.deadAt, c.deadOK = float64(n), now, true
	return c.dead, nil
}
