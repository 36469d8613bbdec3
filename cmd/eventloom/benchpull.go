package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/client"
)

// pullBenchApp is the app whose pull subscription the bench's workers
// serve, beside the apps with a no-op Go handler.
const pullBenchApp = "Puller"

// pullBench is a running pull side of a bench: the server on loopback and
// the workers (web/client Work) acknowledging every delivery.
type pullBench struct {
	handled atomic.Uint64
	// stop ends the workers and the server; safe to call twice.
	stop func()
}

// startPullBench subscribes pullBenchApp to ref with a pull handler,
// serves the API on 127.0.0.1 and starts c.Workers pull workers with the
// app's key, each running up to c.Concurrency/c.Workers handlers.
// measuring says when handled deliveries count.
func startPullBench(ctx context.Context, eng *engine.Engine, ref design.EventRef, c benchConfig, measuring *atomic.Bool, progress io.Writer) (*pullBench, error) {
	if _, err := eng.CreateApp(ctx, design.App{Name: pullBenchApp, Concurrency: c.Concurrency}); err != nil {
		return nil, err
	}
	if _, err := eng.CreateSubscription(ctx, pullBenchApp, design.Subscription{Event: ref, Enabled: true, Handler: design.Handler{Kind: design.KindPull}}); err != nil {
		return nil, err
	}
	key, err := eng.CreateKey(ctx, pullBenchApp)
	if err != nil {
		return nil, err
	}
	srv, err := startBenchServer(eng)
	if err != nil {
		return nil, err
	}

	pb := &pullBench{}
	wctx, cancel := context.WithCancel(ctx)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * c.Concurrency}}
	cl := client.New(srv.url, key.Clear, client.WithHTTPClient(hc))
	per := max(c.Concurrency/c.Workers, 1)
	var wg sync.WaitGroup
	for i := 0; i < c.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cl.Work(wctx, design.NewSubscriptionRef(pullBenchApp, ref).String(), func(context.Context, event.Event) error {
				if measuring.Load() {
					pb.handled.Add(1)
				}
				return nil
			}, client.WorkerOptions{Concurrency: per, Wait: 5 * time.Second, Grace: 5 * time.Second})
			if err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintln(progress, "bench: pull worker:", err)
			}
		}()
	}
	var once sync.Once
	pb.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			srv.close()
			hc.CloseIdleConnections()
		})
	}
	return pb, nil
}
