package engine

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/outbound"
	"github.com/eventloom/eventloom/engine/payload"
	"github.com/eventloom/eventloom/engine/storage"
)

// Config is everything an Engine is built from. Only Storage is required;
// every other zero field takes the default its comment gives (the ODC rules
// of DESIGN.md).
type Config struct {
	// Storage persists the design and the runtime records. The engine does
	// not close it: whoever opened it closes it after Engine.Close.
	Storage storage.Storage
	// Clock is the time source; default clock.Real().
	Clock clock.Clock
	// Logger receives operational logs; default slog.Default().
	Logger *slog.Logger
	// Bus receives every state change; default a new bus (see Engine.Bus).
	Bus *notify.Bus
	// Handlers are the Go handlers a subscription of kind "go" may name.
	Handlers map[string]Handler
	// TracerProvider makes the OpenTelemetry spans of triggers, delivery
	// attempts and flow steps (README: Tracing); default a no-op
	// provider, which records and exports nothing but still carries a
	// producer's traceparent on. The engine never reads or sets the
	// global provider: a program that wants spans passes its own, and
	// shuts it down (flushing it) after Close.
	TracerProvider trace.TracerProvider

	// AdminTokenMemoryKiB is the memory argon2id takes to hash an admin
	// token a person chose; default 19 MiB (OWASP's minimum for argon2id
	// with 2 passes). Tests lower it: under the race detector the default
	// costs seconds a check.
	AdminTokenMemoryKiB uint32

	// QueueCap is the most pending occurrences one event type may have;
	// default 10,000 (ODC).
	QueueCap int
	// RetryUnit scales the retry waits; default a minute (ODC). A second
	// makes demos and tests fast.
	RetryUnit time.Duration
	// RetryWaits are the waits before retries 1, 2, ... in RetryUnits;
	// later retries reuse the last; default 2, 4, 8, 16, 32 (ODC).
	RetryWaits []int
	// MaxRetries is how many retries follow a failed first attempt before
	// the delivery is dead; default 10 (ODC). Negative means none.
	MaxRetries int
	// HandlerTimeout fails a run that lasts longer; default 2 minutes (ODC).
	HandlerTimeout time.Duration
	// DefaultConcurrency caps simultaneous runs of an app whose own
	// Concurrency is 0; default 100 (ODC).
	DefaultConcurrency int
	// Limits bound a payload; defaults 10 KB and 2,000 characters per Text
	// (ODC).
	Limits payload.Limits

	// BulkBatchSize is how many deliveries a bulk action (filtered
	// replay, retry, discard) reads and changes per step; default 100, at
	// most 500 (the largest page a backend's list answers). Progress and
	// cancellation are seen between deliveries.
	BulkBatchSize int
	// BulkPause is the wait between a bulk action's batches, so a long run
	// leaves the store's writer to the dispatcher in between; default 0
	// (none).
	BulkPause time.Duration

	// LeaseDuration is how long a claim is held before another dispatcher
	// may take the delivery over; default 2×HandlerTimeout + 1 minute, so
	// a claim that waits its turn in memory and then runs to the timeout
	// is never taken over while it is alive.
	LeaseDuration time.Duration
	// SweepInterval is how often expired leases (of a crashed process) are
	// returned to pending; default 30 seconds.
	SweepInterval time.Duration
	// MaxChainDepth is how deep one chain may go: the most occurrences
	// from a trace's root (1) down through the events handlers trigger.
	// A handler's trigger that would go deeper is refused and its attempt
	// fails with the reason, so a flow that triggers its own event,
	// directly or round a cycle of apps, stops instead of running
	// forever. Default 32: deeper than any designed chain, shallow enough
	// that a runaway loop ends within a few dozen deliveries.
	MaxChainDepth int
	// Rand drives a flow's fail probability; default math/rand/v2.
	Rand func() float64

	// HTTPClient makes every outbound call: webhook deliveries and flow
	// HTTP steps. Its timeout is left to the handler timeout (the call's
	// context). Default: the outbound guard's client with nothing allowed
	// (outbound.New(outbound.Config{}).Client()), which refuses loopback,
	// private, link-local, multicast and metadata addresses at connect
	// time and follows no redirects, so a designed URL cannot reach
	// inside the network the server runs in. A program that means to call
	// such an address passes a guard that allows it (serve's
	// --allow-endpoints) or, in tests, its own client.
	HTTPClient *http.Client
	// SecretGrace is how long an app's replaced signing secret keeps
	// signing webhooks beside the new one after a rotation; default 24
	// hours, a day for the receiver to switch.
	SecretGrace time.Duration
	// EndpointPauseAfter pauses an app's webhook subscriptions once its
	// endpoint has failed this many attempts in a row (a notice says so;
	// resuming them is one click); 0, the default, never pauses.
	EndpointPauseAfter int
	// AlertEndpointFailures raises an endpoint_failing alert when an
	// app's endpoint has failed this many webhook attempts in a row
	// (once per run of failures); default 5.
	AlertEndpointFailures int
	// AlertCheckInterval is how often the gauge alerts (a queue past 80%
	// of its cap, an app a minute at its concurrency limit) are checked,
	// on Clock; default 10 seconds.
	AlertCheckInterval time.Duration
	// AlertsKept bounds the alerts kept in memory for the console and
	// the API; default 1000.
	AlertsKept int
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.AdminTokenMemoryKiB == 0 {
		c.AdminTokenMemoryKiB = argonMemory
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Bus == nil {
		c.Bus = notify.New()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = noop.NewTracerProvider()
	}
	if c.QueueCap <= 0 {
		c.QueueCap = 10000
	}
	if c.BulkBatchSize <= 0 {
		c.BulkBatchSize = 100
	}
	c.BulkBatchSize = min(c.BulkBatchSize, 500)
	if c.RetryUnit <= 0 {
		c.RetryUnit = time.Minute
	}
	if len(c.RetryWaits) == 0 {
		c.RetryWaits = delivery.DefaultSchedule(c.RetryUnit).Waits
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = 10
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.HandlerTimeout <= 0 {
		c.HandlerTimeout = 2 * time.Minute
	}
	if c.DefaultConcurrency <= 0 {
		c.DefaultConcurrency = 100
	}
	if c.Limits.MaxPayloadBytes <= 0 {
		c.Limits.MaxPayloadBytes = payload.DefaultLimits().MaxPayloadBytes
	}
	if c.Limits.MaxTextLength <= 0 {
		c.Limits.MaxTextLength = payload.DefaultLimits().MaxTextLength
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 2*c.HandlerTimeout + time.Minute
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
	if c.MaxChainDepth <= 0 {
		c.MaxChainDepth = 32
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.SecretGrace <= 0 {
		c.SecretGrace = 24 * time.Hour
	}
	if c.AlertEndpointFailures <= 0 {
		c.AlertEndpointFailures = 5
	}
	if c.AlertCheckInterval <= 0 {
		c.AlertCheckInterval = 10 * time.Second
	}
	if c.AlertsKept <= 0 {
		c.AlertsKept = alertsKeptByDefault
	}
	if c.EndpointPauseAfter < 0 {
		c.EndpointPauseAfter = 0
	}
	if c.HTTPClient == nil {
		c.HTTPClient = outbound.New(outbound.Config{}).Client()
	}
	return c
}

// schedule is the retry schedule the config describes.
func (c Config) schedule() delivery.Schedule {
	return delivery.Schedule{Waits: c.RetryWaits, MaxRetries: c.MaxRetries, Unit: c.RetryUnit}
}
