package live

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/notify"
)

const (
	// viewerBuffer is each live viewer's buffer of messages: the hub
	// sends at most one per hubFlushEvery, so this is several seconds of
	// a busy engine; past it the viewer loses messages and sees the gap.
	viewerBuffer = 128
	// writeWait bounds one websocket write, so a stalled client is
	// dropped rather than holding its goroutine.
	writeWait = 10 * time.Second
	// pingEvery keeps idle connections (and proxies) alive.
	pingEvery = 30 * time.Second
	// statsEvery is how often the counters are computed and sent to
	// every viewer, often enough for a rate that reads as live.
	statsEvery = time.Second
)

// Runtime is what the live counters read of the engine (*engine.Engine
// has it): the time, each app's runs against its limit, and each event's
// queue against its cap.
type Runtime interface {
	Now() time.Time
	InFlight() map[string]engine.Load
	QueueDepths(ctx context.Context) (map[string]engine.QueueDepth, error)
}

// Config is what a Server is built from.
type Config struct {
	// Bus carries the notes viewers see; required. A node of a cluster
	// passes a bus carrying every node's notes.
	Bus *notify.Bus
	// Runtime is read for the live counters; required.
	Runtime Runtime
	// Logger receives failures to compute the counters; default
	// slog.Default().
	Logger *slog.Logger
	// StatsClock ticks the counters; default the wall clock, as viewers
	// watch in real time even under an engine whose clock a test moves by
	// hand.
	StatsClock clock.Clock
	// StatsEvery is how often the counters go out; default 1 s.
	StatsEvery time.Duration
}

// Server is the live view: a hub relaying the bus, the counters' ticker
// and the websocket endpoint (Serve). New starts its work; Close stops
// it and ends every stream.
type Server struct {
	hub     *Hub
	runtime Runtime
	log     *slog.Logger
	// done is closed by Close: streams end with a going-away close.
	done      chan struct{}
	stop      context.CancelFunc
	closeOnce sync.Once
}

// New builds the live view over cfg and starts relaying; call Close when
// the HTTP server has shut down.
func New(cfg Config) *Server {
	log := cmp.Or(cfg.Logger, slog.Default())
	s := &Server{hub: NewHub(cfg.Bus), runtime: cfg.Runtime, log: log, done: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.hub.Run(ctx)
	clk := cfg.StatsClock
	if clk == nil {
		clk = clock.Real()
	}
	go s.hub.RunStats(ctx, clk, cmp.Or(cfg.StatsEvery, statsEvery), s.counters, log)
	return s
}

// Hub is the fan-out the streams read (metrics and benchmarks read its
// counts).
func (s *Server) Hub() *Hub { return s.hub }

// Close ends every stream and stops the hub; calling it again does
// nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.stop()
	})
}

// statsMessage is the counters every viewer gets every StatsEvery: the
// hub's totals, each event's queue against its cap, each app's runs
// against its limit.
type statsMessage struct {
	Stats struct {
		At       time.Time                    `json:"at"`
		Counts   Counts                       `json:"counts"`
		Queues   map[string]engine.QueueDepth `json:"queues"`
		InFlight map[string]engine.Load       `json:"inFlight"`
	} `json:"stats"`
}

// counters computes the counters once for every viewer (the hub's stats
// ticker calls it).
func (s *Server) counters(ctx context.Context) (any, error) {
	var m statsMessage
	m.Stats.At = s.runtime.Now()
	m.Stats.Counts = s.hub.Counts()
	m.Stats.InFlight = s.runtime.InFlight()
	q, err := s.runtime.QueueDepths(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	m.Stats.Queues = q
	return m, nil
}
