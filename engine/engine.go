package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/dispatch"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
)

// ErrClosed is returned by verbs called after Close.
var ErrClosed = errors.New("engine closed")

// Engine is the facade the rest of the program uses: it edits the design,
// accepts triggers, dispatches deliveries to handlers and answers queries.
// Create it with New, start dispatching with Start, stop it with Close.
// Every method is safe for concurrent use.
type Engine struct {
	cfg      Config
	st       storage.Storage
	clk      clock.Clock
	log      *slog.Logger
	bus      *notify.Bus
	schedule delivery.Schedule
	// tracer makes the spans of tracing.go, from Config.TracerProvider.
	tracer trace.Tracer

	// designMu serialises design changes: each is validated against the
	// design it replaces.
	designMu sync.Mutex
	snap     atomic.Pointer[snapshot]

	d *dispatcher
	// pull holds the deliveries leased to pull workers (pull.go).
	pull *puller

	// adminOK is the SHA-256 of the stored admin hash and the token last
	// verified against it, so a chosen token pays for argon2id once.
	adminOK atomic.Pointer[[32]byte]
	// argonSlots bounds the argon2id checks running at once.
	argonSlots chan struct{}
	// depths remembers the chain depth of occurrences handlers
	// triggered (see chainDepth).
	depths depthMemo
	// secrets caches the webhook signing secrets (see appSecret), and
	// health counts each endpoint's consecutive failures.
	secrets secretCache
	health  endpointHealth
	// keys remembers the app keys verified recently (keycache.go).
	keys keyCache
	// watch follows what other nodes change (watch.go).
	watch watch
	// bulk holds the bulk actions (filtered replay, retry, discard).
	bulk bulkJobs
	// alerts keeps the newest alerts (alert.go).
	alerts *alertLog
}

// snapshot is one immutable version of the design with everything dispatch
// needs resolved, swapped atomically on each design change.
type snapshot struct {
	idx *design.Index
	// subs holds every subscription, compiled, by id.
	subs map[int64]*compiled
}

// compiled is a subscription ready to run.
type compiled struct {
	sub   *design.Subscription
	app   *design.App
	event *design.Event
	flow  *flow.Flow
	goFn  Handler
	// filter decides which occurrences get a delivery (nil: all).
	filter *flow.Filter
	// ref is the event as "Producer.EventName" and spanName an attempt's
	// span name, built once here rather than for every attempt.
	ref, spanName string
}

// New loads the design from cfg.Storage and returns an engine that accepts
// design changes and triggers; deliveries run once Start is called.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Storage == nil {
		return nil, errors.New("engine: Config.Storage is required")
	}
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg:      cfg,
		st:       cfg.Storage,
		clk:      cfg.Clock,
		log:      cfg.Logger,
		bus:      cfg.Bus,
		schedule: cfg.schedule(),
		tracer:   cfg.TracerProvider.Tracer(TracerName),
		// Two at once: each takes 19 MiB and a core for tens of ms.
		argonSlots: make(chan struct{}, 2),
		alerts:     newAlertLog(cfg.AlertsKept),
	}
	d, err := cfg.Storage.DesignLoad(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: load design: %w", err)
	}
	snap, errs := e.compile(d)
	for _, x := range errs {
		// A stored design was valid when saved; a Go handler missing from
		// this process is the usual cause. Its deliveries fail and retry.
		e.log.Warn("subscription does not compile", "field", x.Field, "error", x.Message)
	}
	e.snap.Store(snap)
	e.pull = newPuller()
	e.d = newDispatcher(e)
	return e, nil
}

// Bus is the notification bus every state change is published on.
func (e *Engine) Bus() *notify.Bus { return e.bus }

// Config returns the configuration in force, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Start begins dispatching: it returns leases of a crashed earlier run that
// have expired to pending, then claims due deliveries and keeps doing so
// until Close.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.d.Start(ctx); err != nil {
		if errors.Is(err, dispatch.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("engine start: %w", err)
	}
	e.startWatch()
	e.watchGauges()
	return nil
}

// Close stops dispatching: queued claims are released at once, runs in
// progress finish; when ctx ends first they are cancelled and released
// (not counted as attempts). Triggers are refused afterwards. Close does
// not close the storage.
func (e *Engine) Close(ctx context.Context) error {
	e.closeWatch()
	e.stopBulk()
	return e.d.Close(ctx)
}

// compile builds a snapshot of d. Subscriptions whose handler does not
// compile are kept (their deliveries fail with the reason) and reported.
func (e *Engine) compile(d design.Design) (*snapshot, fault.List) {
	for i := range d.Events {
		if d.Events[i].Parameters == nil {
			// An event without parameters is [] on the wire, never null.
			d.Events[i].Parameters = []design.Parameter{}
		}
	}
	if d.Apps == nil {
		d.Apps = []design.App{}
	}
	if d.Events == nil {
		d.Events = []design.Event{}
	}
	if d.Subscriptions == nil {
		d.Subscriptions = []design.Subscription{}
	}
	s := &snapshot{idx: design.NewIndex(d), subs: make(map[int64]*compiled, len(d.Subscriptions))}
	var errs fault.List
	for i := range s.idx.Subscriptions {
		sub := &s.idx.Subscriptions[i]
		c, err := e.compileSub(s.idx, sub)
		errs = append(errs, err...)
		if c != nil {
			s.subs[sub.ID] = c
		}
	}
	return s, errs
}
