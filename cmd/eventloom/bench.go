package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// benchConfig is the workload of one bench run; the defaults are the
// ceiling's (../shared/ceiling): 3 subscribers, 64 producers, FULL sync.
type benchConfig struct {
	Duration    textDuration `json:"duration"`
	Warmup      textDuration `json:"warmup"`
	Producers   int          `json:"producers"`
	Rate        int          `json:"rate"`
	Apps        int          `json:"apps"`
	Concurrency int          `json:"concurrency"`
	Sync        string       `json:"sync"`
	Fill        int          `json:"fill"`
	Dir         string       `json:"dir"`
	// Handler is "go" (no-op Go handlers only), "webhook" (one more app
	// handling by a signed webhook to a loopback receiver) or "pull" (one
	// more app whose pull subscription Workers pull workers serve over
	// the REST API on loopback).
	Handler string `json:"handler"`
	Workers int    `json:"workers,omitempty"`
	// Nodes is the run's number of JetStream nodes (bench --nats); 0 for
	// SQLite.
	Nodes      int `json:"nodes,omitempty"`
	cpuProfile string
	// nats, when set, is the backends of the run's nodes (bench_nats.go).
	nats []storage.Storage
}

// textDuration writes as "10s" in the result line.
type textDuration time.Duration

func (d textDuration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// benchResult is the JSON line bench prints; its keys match the ceiling's
// so the two lines compare side by side.
type benchResult struct {
	Bench          string             `json:"bench"`
	Config         benchConfig        `json:"config"`
	Seconds        float64            `json:"seconds"`
	Events         uint64             `json:"events"`
	Deliveries     uint64             `json:"deliveries"`
	EventsPerS     float64            `json:"events_per_s"`
	DeliveriesPerS float64            `json:"deliveries_per_s"`
	StartLatencyMS map[string]float64 `json:"handler_start_latency_ms"`
	CPUCores       float64            `json:"cpu_cores_used"`
	Mem            map[string]float64 `json:"mem"`
	Extra          map[string]any     `json:"extra,omitempty"`
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := benchConfig{}
	fs.DurationVar((*time.Duration)(&c.Duration), "duration", 10*time.Second, "how long to measure, after the warm-up")
	fs.DurationVar((*time.Duration)(&c.Warmup), "warmup", 2*time.Second, "how long to run before measuring")
	fs.IntVar(&c.Producers, "producers", 64, "concurrent producers triggering the event")
	fs.IntVar(&c.Rate, "rate", 0, "trigger this many events per second in total instead of as fast as possible (0: saturate)")
	fs.IntVar(&c.Apps, "apps", 3, "subscribing apps, each with a no-op Go handler")
	fs.IntVar(&c.Concurrency, "concurrency", 100, "each app's concurrency")
	fs.StringVar(&c.Sync, "sync", "FULL", "SQLite synchronous setting: FULL, NORMAL or OFF")
	fs.IntVar(&c.Fill, "fill", 0, "instead of a throughput run, queue this many occurrences behind a paused subscription and report memory")
	fs.StringVar(&c.Dir, "dir", "", "data directory (default: a fresh temporary one, removed afterwards)")
	fs.StringVar(&c.Handler, "handler", benchGo, "go: the apps' no-op Go handlers only; webhook: also one app handling by a signed webhook to a loopback receiver that verifies every signature; pull: also one app whose deliveries -workers pull workers receive and acknowledge over HTTP on loopback; each reported beside the Go handlers'")
	fs.IntVar(&c.Workers, "workers", 4, "pull workers (web/client Work) sharing the pull app's concurrency, with -handler pull")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured window to this file")
	natsRun := fs.Bool("nats", false, "also run the workload on NATS JetStream (an in-process 3-server cluster, R3): one node, then three nodes sharing the producers; prints three lines: sqlite, nats-1, nats-3")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: eventloom bench [flags]\n\nRuns the ceiling's workload through the real engine and SQLite store and\nprints one JSON line (events_per_s, deliveries_per_s, handler_start_latency_ms,\ncpu_cores_used, mem.rss_mb). Progress goes to stderr.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if c.Producers < 1 || c.Apps < 1 || c.Duration <= 0 {
		return errors.New("-producers, -apps and -duration must be positive")
	}
	if err := checkBenchHandler(c.Handler); err != nil {
		return err
	}
	switch {
	case c.Handler == benchPull && (c.Workers < 1 || c.Fill > 0):
		return errors.New("-handler pull needs -workers of at least 1, and no -fill")
	case c.Handler != benchPull:
		c.Workers = 0
	}
	dir := c.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "eventloom-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	c.cpuProfile = *cpuProfile
	if *natsRun {
		return benchNATS(ctx, c, dir, stdout, stderr)
	}
	res, err := runBench(ctx, c, dir, stderr)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// benchEvent is the benchmark's event: parameters that add up to a payload
// of about 1 KB, like the ceiling's order.
var benchEvent = design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{
	{Name: "OrderId", Type: design.Identifier, Mandatory: true},
	{Name: "Customer", Type: design.Text, Mandatory: true},
	{Name: "Email", Type: design.Email, Mandatory: true},
	{Name: "Amount", Type: design.Currency, Mandatory: true},
	{Name: "Paid", Type: design.Boolean},
	{Name: "Items", Type: design.Text},
	{Name: "Comment", Type: design.Text},
}}

func benchPayload(i int) map[string]any {
	items := make([]string, 0, 8)
	for j := 0; j < 8; j++ {
		items = append(items, fmt.Sprintf("sku-%04d-%d x%d @ %d.99 gift-wrapped, deliver to the side door", (i+j)%10000, j, j+1, 10+j))
	}
	return map[string]any{
		"OrderId":  "ord-" + strconv.Itoa(i),
		"Customer": "Customer " + strconv.Itoa(i%977),
		"Email":    "customer" + strconv.Itoa(i%977) + "@example.com",
		"Amount":   float64(i%10000) + 0.99,
		"Paid":     i%2 == 0,
		"Items":    strings.Join(items, "; "),
		"Comment":  strings.Repeat("fragile ", 14),
	}
}

func runBench(ctx context.Context, c benchConfig, dataDir string, progress io.Writer) (*benchResult, error) {
	st, err := benchStorage(ctx, c, dataDir)
	if err != nil {
		return nil, err
	}
	defer st.Close()

	var measuring atomic.Bool
	var handled atomic.Uint64
	lat := newHist()
	noop := func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		if measuring.Load() {
			lat.record(time.Since(d.TriggeredAt))
			handled.Add(1)
		}
		return nil, nil
	}
	queueCap := 10000
	if c.Fill > 0 {
		queueCap = c.Fill + 1
	}
	ecfg := engine.Config{
		Storage:    st,
		Logger:     slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handlers:   map[string]engine.Handler{"noop": noop},
		QueueCap:   queueCap,
		HTTPClient: benchHTTPClient(c.Concurrency),
	}
	eng, err := engine.New(ctx, ecfg)
	if err != nil {
		return nil, err
	}
	if _, err := eng.CreateApp(ctx, design.App{Name: "Shop"}); err != nil {
		return nil, err
	}
	ref := design.EventRef{App: "Shop", Event: benchEvent.Name}
	if _, err := eng.CreateEvent(ctx, "Shop", benchEvent); err != nil {
		return nil, err
	}
	for i := 0; i < c.Apps; i++ {
		name := fmt.Sprintf("Handler%d", i+1)
		if _, err := eng.CreateApp(ctx, design.App{Name: name, Concurrency: c.Concurrency}); err != nil {
			return nil, err
		}
		if _, err := eng.CreateSubscription(ctx, name, design.Subscription{Event: ref, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "noop"}}); err != nil {
			return nil, err
		}
	}
	var rcv *benchReceiver
	if c.Handler == benchWebhook {
		if rcv, err = startBenchReceiver(&measuring); err != nil {
			return nil, err
		}
		defer rcv.close()
		if err := addBenchWebhook(ctx, eng, rcv, ref, c.Concurrency); err != nil {
			return nil, err
		}
	}
	var pull *pullBench
	if c.Handler == benchPull {
		if pull, err = startPullBench(ctx, eng, ref, c, &measuring, progress); err != nil {
			return nil, err
		}
		defer pull.stop()
	}
	if err := eng.Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = eng.Close(closeCtx)
	}()
	engs, closeOthers, err := benchOtherNodes(ctx, c, eng, ecfg)
	if err != nil {
		return nil, err
	}
	defer closeOthers()
	payloads := make([]map[string]any, 1000)
	for i := range payloads {
		payloads[i] = benchPayload(i)
	}
	if c.Fill > 0 {
		return benchFill(ctx, c, eng, ref, payloads, progress)
	}

	var triggered, refused atomic.Uint64
	var lastErr atomic.Value
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
				_, err := engs[k%int64(len(engs))].Trigger(ctx, engine.TriggerRequest{Event: ref, Values: payloads[k%int64(len(payloads))]})
				if err != nil {
					refused.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				triggered.Add(1)
			}
		}()
	}
	fmt.Fprintf(progress, "bench: warming up for %s with %d producers\n", time.Duration(c.Warmup), c.Producers)
	if !sleepCtx(ctx, time.Duration(c.Warmup)) {
		close(stop)
		wg.Wait()
		return nil, ctx.Err()
	}
	cpu0 := cpuTime()
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	measuring.Store(true)
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
			fmt.Fprintf(progress, "bench: %4.0fs  %8.0f deliveries/s  %d triggered  %d refused\n", el, float64(handled.Load())/el, triggered.Load(), refused.Load())
		}
	}
	measuring.Store(false)
	el := time.Since(m0).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	d := handled.Load()
	close(stop)
	wg.Wait()
	var pulled uint64
	if pull != nil {
		pulled = pull.handled.Load()
		pull.stop()
	}
	res := &benchResult{
		Bench:          benchName(c),
		Config:         c,
		Seconds:        el,
		Events:         d / uint64(c.Apps),
		Deliveries:     d,
		EventsPerS:     float64(d) / float64(c.Apps) / el,
		DeliveriesPerS: float64(d) / el,
		StartLatencyMS: lat.latencyMS(),
		CPUCores:       cpu / el,
		Mem:            memMB(),
		Extra: map[string]any{
			"triggered_total": triggered.Load(),
			"refused_total":   refused.Load(),
			"db_bytes":        fileSize(filepath.Join(dataDir, "eventloom.db")) + fileSize(filepath.Join(dataDir, "eventloom.db-wal")),
		},
	}
	if pull != nil {
		// Deliveries and events count the Go handlers' (the ceiling's
		// workload); the pull app's are reported beside them.
		res.Extra["pull_deliveries"] = pulled
		res.Extra["pull_deliveries_per_s"] = float64(pulled) / el
		res.Extra["go_deliveries_per_s_per_app"] = float64(d) / float64(c.Apps) / el
	}
	if v := lastErr.Load(); v != nil {
		res.Extra["last_error"] = v
	}
	if rcv != nil {
		maps.Copy(res.Extra, rcv.extra(el))
	}
	return res, ctx.Err()
}

// benchFill pauses one subscription, queues c.Fill occurrences behind it
// while the other subscriptions keep handling theirs, and reports memory:
// the stored queue must not grow the process.
func benchFill(ctx context.Context, c benchConfig, eng *engine.Engine, ref design.EventRef, payloads []map[string]any, progress io.Writer) (*benchResult, error) {
	if _, err := eng.PauseSubscription(ctx, "Handler1", ref); err != nil {
		return nil, err
	}
	memBefore := memMB()
	t0 := time.Now()
	cpu0 := cpuTime()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for p := 0; p < c.Producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := next.Add(1)
				if k > int64(c.Fill) || ctx.Err() != nil {
					return
				}
				if _, err := eng.Trigger(ctx, engine.TriggerRequest{Event: ref, Values: payloads[k%int64(len(payloads))]}); err != nil {
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				if k%10000 == 0 {
					fmt.Fprintf(progress, "bench: queued %d of %d\n", k, c.Fill)
				}
			}
		}()
	}
	wg.Wait()
	if v := firstErr.Load(); v != nil {
		return nil, fmt.Errorf("fill: %v", v)
	}
	el := time.Since(t0).Seconds()
	depths, err := eng.QueueDepths(ctx)
	if err != nil {
		return nil, err
	}
	return &benchResult{
		Bench:      "eventloom-fill",
		Config:     c,
		Seconds:    el,
		Events:     uint64(c.Fill),
		EventsPerS: float64(c.Fill) / el,
		CPUCores:   (cpuTime() - cpu0).Seconds() / el,
		Mem:        memMB(),
		Extra: map[string]any{
			"pending_occurrences": depths[ref.String()].Pending,
			"mem_before_fill":     memBefore,
		},
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
