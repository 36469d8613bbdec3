package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// benchRig is one phase's engine over its own store, with the bench's
// design: the Shop app's event handled by c.Apps no-op Go handlers (and
// the webhook or pull app of -handler), started and dispatching.
type benchRig struct {
	st  storage.Storage
	eng *engine.Engine
	// engs are every node's engine (eng first) the producers share: one
	// unless bench --nats runs several JetStream nodes.
	engs        []*engine.Engine
	closeOthers func()
	ref         design.EventRef
	measuring   atomic.Bool
	// handled counts the Go handlers' deliveries of the measured window;
	// lat is their trigger-to-handler-start latency.
	handled atomic.Uint64
	lat     *hist
	// commits counts the SQLite writer's batches of the window.
	commits *benchCommits
	rcv     *benchReceiver
	pull    *pullBench
	// payloads are the trigger values the producers cycle through.
	payloads  []map[string]any
	closeOnce sync.Once
}

// newBenchRig opens a store in dir and starts an engine with the bench's
// design; the caller must close it.
func newBenchRig(ctx context.Context, c benchConfig, dir string, progress io.Writer) (_ *benchRig, err error) {
	r := &benchRig{lat: newHist(), ref: design.EventRef{App: "Shop", Event: benchEvent.Name}}
	r.commits = &benchCommits{counting: &r.measuring}
	if r.st, err = benchStorage(ctx, c, dir, r.commits); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	noop := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		if r.measuring.Load() {
			r.lat.record(time.Since(d.TriggeredAt))
			r.handled.Add(1)
		}
		return nil, nil
	}
	queueCap := 10000
	if c.Fill > 0 {
		queueCap = c.Fill + 1
	}
	ecfg := engine.Config{
		Storage:    r.st,
		Logger:     slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handlers:   map[string]engine.Handler{"noop": noop},
		QueueCap:   queueCap,
		HTTPClient: benchHTTPClient(c.Concurrency),
	}
	r.eng, err = engine.New(ctx, ecfg)
	if err != nil {
		return nil, err
	}
	eng := r.eng
	if _, err := eng.CreateApp(ctx, design.App{Name: "Shop"}); err != nil {
		return nil, err
	}
	if _, err := eng.CreateEvent(ctx, "Shop", benchEvent); err != nil {
		return nil, err
	}
	for i := 0; i < c.Apps; i++ {
		name := fmt.Sprintf("Handler%d", i+1)
		if _, err := eng.CreateApp(ctx, design.App{Name: name, Concurrency: c.Concurrency}); err != nil {
			return nil, err
		}
		if _, err := eng.CreateSubscription(ctx, name, design.Subscription{Event: r.ref, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "noop"}}); err != nil {
			return nil, err
		}
	}
	if c.Handler == benchWebhook {
		if r.rcv, err = startBenchReceiver(&r.measuring); err != nil {
			return nil, err
		}
		if err := addBenchWebhook(ctx, eng, r.rcv, r.ref, c.Concurrency); err != nil {
			return nil, err
		}
	}
	if c.Handler == benchPull {
		if r.pull, err = startPullBench(ctx, eng, r.ref, c, &r.measuring, progress); err != nil {
			return nil, err
		}
	}
	if err := eng.Start(ctx); err != nil {
		return nil, err
	}
	if r.engs, r.closeOthers, err = benchOtherNodes(ctx, c, eng, ecfg); err != nil {
		return nil, err
	}
	r.payloads = make([]map[string]any, 1000)
	for i := range r.payloads {
		r.payloads[i] = benchPayload(i)
	}
	return r, nil
}

// close stops the engine, the handlers' sides and the store; it is safe
// on a rig half built, and a second call does nothing.
func (r *benchRig) close() { r.closeOnce.Do(r.shut) }

func (r *benchRig) shut() {
	if r.pull != nil {
		r.pull.stop()
	}
	if r.rcv != nil {
		r.rcv.close()
	}
	if r.closeOthers != nil {
		r.closeOthers()
	}
	if r.eng != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = r.eng.Close(closeCtx)
		cancel()
	}
	if r.st != nil {
		_ = r.st.Close()
	}
}

// triggerFunc triggers the k-th occurrence of a bench run, in process or
// over the REST API.
type triggerFunc func(ctx context.Context, k int64) error

// inProcess triggers through the engine's Go API.
func (r *benchRig) inProcess(ctx context.Context, k int64) error {
	_, err := r.engs[k%int64(len(r.engs))].Trigger(ctx, engine.TriggerRequest{Event: r.ref, Values: r.payloads[k%int64(len(r.payloads))]})
	return err
}

// benchPhase is what one measured window of a run did; its keys are the
// ceiling's where it has them.
type benchPhase struct {
	Seconds float64 `json:"seconds"`
	// Triggered counts accepted triggers in the window; TriggersPerS is
	// their rate and TriggerLatencyMS the time each trigger call took
	// (the producer's wait, over HTTP the whole request).
	Triggered        uint64             `json:"triggered,omitempty"`
	Refused          uint64             `json:"refused,omitempty"`
	TriggersPerS     float64            `json:"triggers_per_s,omitempty"`
	TriggerLatencyMS map[string]float64 `json:"trigger_latency_ms,omitempty"`
	// Events is Deliveries over the apps (occurrences handled by all);
	// Deliveries counts the Go handlers' deliveries in the window.
	Events         uint64             `json:"events"`
	Deliveries     uint64             `json:"deliveries"`
	EventsPerS     float64            `json:"events_per_s"`
	DeliveriesPerS float64            `json:"deliveries_per_s"`
	StartLatencyMS map[string]float64 `json:"handler_start_latency_ms"`
	CPUCores       float64            `json:"cpu_cores_used"`
	Mem            map[string]float64 `json:"mem"`
	LastError      string             `json:"last_error,omitempty"`
	// Viewers is how many live viewers were connected; ViewerMessages
	// how many websocket messages they read in the window (a message
	// holds up to 50 notes), ViewerDropped how many notes all of them
	// lost to full buffers, ViewerSkipped how many notes the hub's rate
	// cap kept from them (counted once for all).
	Viewers        int     `json:"viewers,omitempty"`
	ViewerMessages uint64  `json:"viewer_messages,omitempty"`
	ViewerMsgsPerS float64 `json:"viewer_messages_per_s,omitempty"`
	ViewerDropped  uint64  `json:"viewer_dropped,omitempty"`
	ViewerSkipped  uint64  `json:"viewer_skipped,omitempty"`
	// Commits is the SQLite writer's batches in the window (commits_per_s,
	// ops_per_commit, commit_ms_mean); absent on JetStream.
	Commits map[string]any `json:"commits,omitempty"`
}

// measure runs c.Producers producers calling trigger (at c.Rate in all,
// or as fast as they can), warms up for c.Warmup, measures for
// c.Duration, and stops them. With cpuProfile set, the measured window
// is profiled into that file.
func (r *benchRig) measure(ctx context.Context, c benchConfig, label string, trigger triggerFunc, cpuProfile string, progress io.Writer) (*benchPhase, error) {
	var triggered, refused atomic.Uint64
	var lastErr atomic.Value
	tlat := newHist()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq atomic.Int64
	t0 := time.Now()
	interval := time.Duration(0)
	if c.Rate > 0 {
		interval = time.Second / time.Duration(c.Rate)
	}
	for p := 0; p < c.Producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := seq.Add(1)
				if interval > 0 {
					if wait := time.Until(t0.Add(time.Duration(k) * interval)); wait > 0 {
						select {
						case <-stop:
							return
						case <-time.After(wait):
						}
					}
				}
				start := time.Now()
				err := trigger(ctx, k)
				if !r.measuring.Load() {
					continue
				}
				if err != nil {
					refused.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				tlat.record(time.Since(start))
				triggered.Add(1)
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	fmt.Fprintf(progress, "bench %s: warming up for %s with %d producers\n", label, time.Duration(c.Warmup), c.Producers)
	if !sleepCtx(ctx, time.Duration(c.Warmup)) {
		return nil, ctx.Err()
	}
	cpu0 := cpuTime()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	r.measuring.Store(true)
	m0 := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(time.Duration(c.Duration))
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-deadline:
			break loop
		case <-tick.C:
			el := time.Since(m0).Seconds()
			fmt.Fprintf(progress, "bench %s: %4.0fs  %8.0f deliveries/s  %d triggered  %d refused\n", label, el, float64(r.handled.Load())/el, triggered.Load(), refused.Load())
		}
	}
	r.measuring.Store(false)
	el := time.Since(m0).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	d := r.handled.Load()
	ph := &benchPhase{
		Seconds:          el,
		Triggered:        triggered.Load(),
		Refused:          refused.Load(),
		TriggersPerS:     float64(triggered.Load()) / el,
		TriggerLatencyMS: tlat.latencyMS(),
		Events:           d / uint64(c.Apps),
		Deliveries:       d,
		EventsPerS:       float64(d) / float64(c.Apps) / el,
		DeliveriesPerS:   float64(d) / el,
		StartLatencyMS:   r.lat.latencyMS(),
		CPUCores:         cpu / el,
		Mem:              memMB(),
	}
	if v := lastErr.Load(); v != nil {
		ph.LastError = v.(string)
	}
	ph.Commits = r.commits.extra(el)
	return ph, ctx.Err()
}
