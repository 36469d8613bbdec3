package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// WorkerOptions tune Work. Zero fields take the defaults their comments
// give.
type WorkerOptions struct {
	// Concurrency is the most handler calls at once; default 10.
	Concurrency int
	// MaxBatch is the most deliveries one receive asks for; default and
	// upper bound Concurrency (a worker never holds a lock it has no
	// place to run), at most 100.
	MaxBatch int
	// Wait is how long one receive long-polls; default 30 seconds, the
	// server's maximum.
	Wait time.Duration
	// Grace is how long running handlers may go on after ctx ends before
	// their context is cancelled; default 10 seconds.
	Grace time.Duration
	// Logger receives the errors Work recovers from (a failed receive,
	// ack or extension); default slog.Default().
	Logger *slog.Logger
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = 10
	}
	if o.MaxBatch <= 0 || o.MaxBatch > o.Concurrency {
		o.MaxBatch = o.Concurrency
	}
	o.MaxBatch = min(o.MaxBatch, 100)
	if o.Wait <= 0 || o.Wait > 30*time.Second {
		o.Wait = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Longest pause between receives after failed ones (the server down):
// retries back off from 1 second to this.
const maxReceiveBackoff = 30 * time.Second

// Work runs a pull worker for subscription ("HandlingApp:Producer.Event")
// until ctx ends: it receives deliveries (never more than it has places
// to run), calls handler for each with at most Concurrency at once,
// extends a delivery's lock while its handler runs (each time a third of
// the lock has passed, so before half of it is used), acknowledges on a
// nil error and releases on an error (retried on the retry schedule).
// When ctx ends it stops receiving, lets running handlers finish for up
// to Grace, then cancels their context; a handler that fails once
// cancelled is released to be retried at once. Work returns nil after
// such a shutdown, or the server's refusal when the subscription cannot
// be pulled with this client's credential (404, 403, 409 not_pull, ...).
func (c *Client) Work(ctx context.Context, subscription string, handler func(ctx context.Context, ev event.Event) error, opts WorkerOptions) error {
	if _, err := subscriptionPath(subscription); err != nil {
		return err
	}
	o := opts.withDefaults()
	// Handlers run under their own context: it ends Grace after ctx.
	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	w := &worker{c: c, sub: subscription, handler: handler, o: o, slots: make(chan struct{}, o.Concurrency), hctx: hctx}
	err := w.receiveLoop(ctx)

	done := make(chan struct{})
	go func() {
		w.running.Wait()
		close(done)
	}()
	grace := time.NewTimer(o.Grace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		cancelHandlers()
		<-done
	}
	return err
}

type worker struct {
	c       *Client
	sub     string
	handler func(ctx context.Context, ev event.Event) error
	o       WorkerOptions
	slots   chan struct{}
	hctx    context.Context
	running sync.WaitGroup
}

// receiveLoop receives and starts handlers until ctx ends (nil) or the
// server refuses the subscription for good (its error).
func (w *worker) receiveLoop(ctx context.Context) error {
	backoff := time.Second
	for {
		// One place first (waiting for it), then as many more as are free.
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		n := 1
	more:
		for n < w.o.MaxBatch {
			select {
			case w.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		got, err := w.c.Receive(ctx, w.sub, n, w.o.Wait)
		for i := len(got); i < n; i++ {
			<-w.slots
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if permanent(err) {
				return fmt.Errorf("pull worker for %s: %w", w.sub, err)
			}
			w.o.Logger.Error("pull worker: receive", "subscription", w.sub, "error", err, "retry_in", backoff.String())
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil
			}
			backoff = min(2*backoff, maxReceiveBackoff)
			continue
		}
		backoff = time.Second
		for _, d := range got {
			w.running.Add(1)
			go w.run(d)
		}
	}
}

// permanent reports whether a receive error will not go away by trying
// again: a refusal other than a server error or a rate limit.
func permanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status/100 == 4 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// run handles one delivery under its lock and settles it.
func (w *worker) run(d Delivery) {
	defer func() {
		<-w.slots
		w.running.Done()
	}()
	ctx, cancel := context.WithCancel(w.hctx)
	defer cancel()
	lock := max(time.Until(d.LockedUntil), 3*time.Second)
	stopExtend := w.keepLocked(ctx, cancel, d, lock)
	err := w.handle(ctx, d)
	lost := stopExtend()
	// Settling is not cut short by the shutdown: it is quick, and a lock
	// left behind would only expire as a timed-out attempt.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(w.hctx), 10*time.Second)
	defer scancel()
	switch {
	case lost:
		// The lock is gone: another worker may hold the delivery now.
		return
	case err == nil:
		_, err = w.c.Ack(sctx, w.sub, d.LockToken)
	case w.hctx.Err() != nil:
		now := time.Duration(0)
		_, err = w.c.Release(sctx, w.sub, &now, d.LockToken)
	default:
		w.o.Logger.Info("pull worker: handler failed; releasing", "subscription", w.sub, "delivery_id", d.DeliveryID, "attempt", d.Attempt, "error", err)
		_, err = w.c.Release(sctx, w.sub, nil, d.LockToken)
	}
	if err != nil {
		w.o.Logger.Error("pull worker: settle delivery", "subscription", w.sub, "delivery_id", d.DeliveryID, "error", err)
	}
}

// handle calls the handler, turning a panic into an error.
func (w *worker) handle(ctx context.Context, d Delivery) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the handler panicked: %v", v)
		}
	}()
	return w.handler(ctx, d.Event)
}

// keepLocked extends d's lock by lock every third of it while the handler
// runs. A lock the server says is lost cancels the handler. stop ends
// the extensions and reports whether the lock was lost.
func (w *worker) keepLocked(ctx context.Context, cancel context.CancelFunc, d Delivery, lock time.Duration) (stop func() bool) {
	done := make(chan struct{})
	var lost bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(lock / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			_, err := w.c.Extend(ctx, w.sub, lock, d.LockToken)
			switch {
			case err == nil:
			case IsCode(err, "lock_lost"):
				lost = true
				cancel()
				return
			case ctx.Err() == nil:
				// extend_too_far or a network error: the lock runs out
				// on its own; the handler may still finish in time.
				w.o.Logger.Warn("pull worker: extend lock", "subscription", w.sub, "delivery_id", d.DeliveryID, "error", err)
			}
		}
	}()
	return func() bool {
		close(done)
		<-finished
		return lost
	}
}
