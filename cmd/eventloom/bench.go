package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	// Via is "http" to run the workload a second time with the triggers
	// sent over the REST API (empty: in process only).
	Via string `json:"via,omitempty"`
	// Viewers, when positive, runs the workload once more with that many
	// live viewers reading the websocket.
	Viewers int `json:"viewers,omitempty"`
	// Nodes is the run's number of JetStream nodes (bench --nats); 0 for
	// SQLite.
	Nodes int `json:"nodes,omitempty"`
	// nats, when set, is the backends of the run's nodes (bench_nats.go).
	nats       []storage.Storage
	cpuProfile string
	memProfile string
}

// textDuration writes as "10s" in the result line.
type textDuration time.Duration

func (d textDuration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a result line back (tests and tools comparing runs).
func (d *textDuration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bench duration: %w", err)
	}
	*d = textDuration(v)
	return nil
}

// benchResult is the JSON line bench prints; its keys match the ceiling's
// so the two lines compare side by side.
type benchResult struct {
	Bench  string      `json:"bench"`
	Config benchConfig `json:"config"`
	// benchPhase is the in-process run: the ceiling's keys, and the
	// producers' side (accepted triggers, how long each call took).
	benchPhase
	Extra map[string]any `json:"extra,omitempty"`
	// ViaHTTP is the -via http run and WithViewers the -viewers run, each
	// measured after the in-process one in the same process; Ratios
	// compare them with it.
	ViaHTTP     *benchPhase        `json:"via_http,omitempty"`
	WithViewers *benchPhase        `json:"with_viewers,omitempty"`
	Ratios      map[string]float64 `json:"ratios,omitempty"`
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
	fs.StringVar(&c.Via, "via", "", "http: also run the workload with the triggers sent over the REST API (app key, keep-alive connections) of a server on 127.0.0.1, reported beside the in-process run as via_http")
	fs.IntVar(&c.Viewers, "viewers", 0, "also run the workload with this many live viewers reading the websocket of a server on 127.0.0.1, reported beside the in-process run (with none) as with_viewers")
	natsRun := fs.Bool("nats", false, "also run the workload on NATS JetStream (an in-process 3-server cluster, R3): one node, then three nodes sharing the producers; prints three lines: sqlite, nats-1, nats-3")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the in-process measured window to this file (and of the -via http and -viewers windows to FILE.http and FILE.viewers)")
	memProfile := fs.String("memprofile", "", "write an allocation profile (allocs, since the start) to this file after the in-process window")
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
	if err := checkBenchVia(c.Via); err != nil {
		return err
	}
	switch {
	case c.Viewers < 0:
		return fmt.Errorf("-viewers is %d; use a positive number of live viewers, or 0 for none", c.Viewers)
	case c.Fill > 0 && (c.Via != "" || c.Viewers > 0):
		return errors.New("-fill measures the memory of a queue, not throughput: leave out -via and -viewers")
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
	c.cpuProfile, c.memProfile = *cpuProfile, *memProfile
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
	rig, err := newBenchRig(ctx, c, dataDir, progress)
	if err != nil {
		return nil, err
	}
	defer rig.close()
	if c.Fill > 0 {
		return benchFill(ctx, c, rig.eng, rig.ref, rig.payloads, progress)
	}
	ph, err := rig.measure(ctx, c, "in process", rig.inProcess, c.cpuProfile, progress)
	if err != nil {
		return nil, err
	}
	var pulled uint64
	if rig.pull != nil {
		pulled = rig.pull.handled.Load()
		rig.pull.stop()
	}
	if c.memProfile != "" {
		if err := writeAllocProfile(c.memProfile); err != nil {
			return nil, err
		}
	}
	res := &benchResult{
		Bench:      benchName(c),
		Config:     c,
		benchPhase: *ph,
		Ratios:     map[string]float64{},
		Extra: map[string]any{
			"db_bytes": fileSize(filepath.Join(dataDir, "eventloom.db")) + fileSize(filepath.Join(dataDir, "eventloom.db-wal")),
		},
	}
	// Whether the payload search index kept up: occurrences it had yet
	// to reach when the measured window ended.
	if x, ok := rig.st.(interface{ SearchIndexLag() int64 }); ok {
		res.Extra["search_index_lag"] = x.SearchIndexLag()
	}
	if rig.pull != nil {
		// Deliveries and events count the Go handlers' (the ceiling's
		// workload); the pull app's are reported beside them.
		res.Extra["pull_deliveries"] = pulled
		res.Extra["pull_deliveries_per_s"] = float64(pulled) / ph.Seconds
		res.Extra["go_deliveries_per_s_per_app"] = ph.DeliveriesPerS / float64(c.Apps)
	}
	if rig.rcv != nil {
		maps.Copy(res.Extra, rig.rcv.extra(ph.Seconds))
	}
	// The other phases run after this one, each on an engine and store of
	// its own, so none inherits another's backlog.
	rig.close()
	return res, runComparedPhases(ctx, c, dataDir, res, progress)
}

// runComparedPhases runs the -via http and -viewers phases of a run and
// reports each beside the in-process figures in res.
func runComparedPhases(ctx context.Context, c benchConfig, dataDir string, res *benchResult, progress io.Writer) error {
	if c.Via == benchViaHTTP {
		ph, err := runHTTPPhase(ctx, c, filepath.Join(dataDir, "via-http"), progress)
		if err != nil {
			return fmt.Errorf("via http: %w", err)
		}
		res.ViaHTTP = ph
		res.Ratios["http_to_in_process_triggers"] = ratio(ph.TriggersPerS, res.TriggersPerS)
		res.Ratios["http_to_in_process_deliveries"] = ratio(ph.DeliveriesPerS, res.DeliveriesPerS)
	}
	if c.Viewers > 0 {
		ph, err := runViewersPhase(ctx, c, filepath.Join(dataDir, "viewers"), progress)
		if err != nil {
			return fmt.Errorf("with %d viewers: %w", c.Viewers, err)
		}
		res.WithViewers = ph
		res.Ratios["viewers_to_none_triggers"] = ratio(ph.TriggersPerS, res.TriggersPerS)
		res.Ratios["viewers_to_none_deliveries"] = ratio(ph.DeliveriesPerS, res.DeliveriesPerS)
	}
	return nil
}

// ratio is a/b, 0 when b is.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// writeAllocProfile writes the heap profile (allocations since the
// process began, and what is in use) to path.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("alloc profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return fmt.Errorf("alloc profile: %w", err)
	}
	return f.Close()
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
		Bench:  "eventloom-fill",
		Config: c,
		benchPhase: benchPhase{
			Seconds:    el,
			Events:     uint64(c.Fill),
			EventsPerS: float64(c.Fill) / el,
			CPUCores:   (cpuTime() - cpu0).Seconds() / el,
			Mem:        memMB(),
		},
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
