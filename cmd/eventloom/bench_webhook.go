package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
)

// benchHandlerKinds are the values of bench's -handler flag.
const (
	benchGo      = "go"
	benchWebhook = "webhook"
	benchPull    = "pull"
)

// benchWebhookApp is the app whose webhook subscription -handler webhook
// adds beside the Go handlers.
const benchWebhookApp = "Webhook1"

// benchReceiver is bench's loopback webhook receiver: it verifies every
// request's signature with the Standard Webhooks library, as a real
// receiver would, and counts the verified deliveries of the measured
// window.
type benchReceiver struct {
	ln        net.Listener
	srv       *http.Server
	wh        atomic.Pointer[standardwebhooks.Webhook]
	measuring *atomic.Bool
	verified  atomic.Uint64
	refused   atomic.Uint64
}

// benchHTTPClient is the engine's outbound client in a bench run: enough
// idle connections to the loopback receiver for every concurrent run,
// redirects not followed (as the engine's default).
func benchHTTPClient(concurrency int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// startBenchReceiver listens on a free loopback port; it answers 503
// until verify has a secret.
func startBenchReceiver(measuring *atomic.Bool) (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench receiver: %w", err)
	}
	r := &benchReceiver{ln: ln, measuring: measuring}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// ServeHTTP verifies one webhook: 204 when its signature holds, 401 when
// it does not.
func (r *benchReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	wh := r.wh.Load()
	if err != nil || wh == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err := wh.Verify(body, req.Header); err != nil {
		r.refused.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.measuring.Load() {
		r.verified.Add(1)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *benchReceiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}

// addBenchWebhook creates the webhook app (its endpoint the receiver),
// its signing secret and its subscription to ref.
func addBenchWebhook(ctx context.Context, eng *engine.Engine, r *benchReceiver, ref design.EventRef, concurrency int) error {
	if _, err := eng.CreateApp(ctx, design.App{Name: benchWebhookApp, Concurrency: concurrency, Endpoint: "http://" + r.ln.Addr().String()}); err != nil {
		return err
	}
	sec, err := eng.RotateSecret(ctx, benchWebhookApp)
	if err != nil {
		return err
	}
	wh, err := standardwebhooks.NewWebhook(sec.Secret)
	if err != nil {
		return fmt.Errorf("bench receiver: %w", err)
	}
	r.wh.Store(wh)
	_, err = eng.CreateSubscription(ctx, benchWebhookApp, design.Subscription{Event: ref, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook, Path: "/bench"}})
	return err
}

// webhookExtra is what a -handler webhook run reports beside the Go
// handlers' numbers.
func (r *benchReceiver) extra(seconds float64) map[string]any {
	v := r.verified.Load()
	return map[string]any{
		"webhook_deliveries":       v,
		"webhook_deliveries_per_s": float64(v) / seconds,
		"webhook_refused":          r.refused.Load(),
	}
}

// checkBenchHandler refuses a -handler that names no kind the bench runs.
func checkBenchHandler(kind string) error {
	switch kind {
	case benchGo, benchWebhook, benchPull:
		return nil
	}
	return fmt.Errorf("-handler is %q; use go (no-op Go handlers only), webhook (a signed webhook to a loopback receiver beside them) or pull (pull workers over HTTP beside them)", kind)
}
