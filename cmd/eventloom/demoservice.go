package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/web/exampleservice"
)

// The events of the demo design the example service handles.
var (
	shipmentScheduled = design.EventRef{App: "Shipping", Event: "OnShipmentScheduled"}
	paymentCaptured   = design.EventRef{App: "Payments", Event: "OnPaymentCaptured"}
)

// seedDemoService adds the demo's two real-service subscribers to a design
// just seeded with the demo: Courier, handling scheduled shipments by a
// signed webhook to endpoint, and Accounting, whose captured payments a
// pull worker receives.
func seedDemoService(ctx context.Context, eng *engine.Engine, endpoint string) error {
	apps := []design.App{
		{Name: exampleservice.CourierApp, Color: "#65a30d", Endpoint: endpoint,
			Description: "The courier's booking service, a real HTTP service: it receives every scheduled shipment as a signed webhook (CloudEvents, Standard Webhooks)."},
		{Name: exampleservice.AccountingApp, Color: "#475569",
			Description: "Books every captured payment: an external worker pulls its deliveries over the REST API with the app's key."},
	}
	for _, a := range apps {
		if _, err := eng.CreateApp(ctx, a); err != nil {
			return fmt.Errorf("seed the demo service: %w", err)
		}
	}
	subs := []struct {
		app string
		sub design.Subscription
	}{
		{exampleservice.CourierApp, design.Subscription{Event: shipmentScheduled, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook, Path: "/shipments"}}},
		{exampleservice.AccountingApp, design.Subscription{Event: paymentCaptured, Enabled: true, Handler: design.Handler{Kind: design.KindPull}}},
	}
	for _, s := range subs {
		if _, err := eng.CreateSubscription(ctx, s.app, s.sub); err != nil {
			return fmt.Errorf("seed the demo service: %w", err)
		}
	}
	return nil
}

// demoService runs the example service beside the server when the design
// has its two apps: it gives Courier a fresh signing secret and Accounting
// a key of its own (revoked at stop), points Courier's endpoint at this
// server's address, and starts the pull worker against server. handler
// serves the courier's endpoint; everything else goes to next.
func demoService(ctx context.Context, eng *engine.Engine, log *slog.Logger, server, endpoint string, next http.Handler) (handler http.Handler, stop func(), err error) {
	courier, err1 := eng.App(exampleservice.CourierApp)
	_, err2 := eng.App(exampleservice.AccountingApp)
	if err1 != nil || err2 != nil {
		return next, func() {}, nil // not the demo's design: nothing to serve
	}
	if courier.Endpoint != endpoint {
		courier.Endpoint = endpoint
		if _, err := eng.UpdateApp(ctx, courier.Name, courier); err != nil {
			return nil, nil, fmt.Errorf("point %s at this server: %w", courier.Name, err)
		}
	}
	sec, err := eng.RotateSecret(ctx, exampleservice.CourierApp)
	if err != nil {
		return nil, nil, fmt.Errorf("demo service: %w", err)
	}
	key, err := eng.CreateKey(ctx, exampleservice.AccountingApp)
	if err != nil {
		return nil, nil, fmt.Errorf("demo service: %w", err)
	}
	cfg := exampleservice.Config{Server: server, AccountingKey: key.Clear, CourierSecrets: []string{sec.Secret}, Logger: log.With("service", "example")}
	hooks, err := exampleservice.Webhooks(cfg)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(exampleservice.CourierPath+"/", hooks)
	mux.Handle("/", next)

	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := exampleservice.Work(wctx, cfg); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("the demo's accounting worker stopped", "error", err)
		}
	}()
	log.Info("the demo's example service runs beside the server (--no-demo stops it)", "courier_webhooks", endpoint, "accounting_pulls", exampleservice.AccountingSubscription)
	return mux, func() {
		cancel()
		wg.Wait()
		if err := eng.RevokeKey(context.Background(), exampleservice.AccountingApp, key.ID); err != nil {
			log.Warn("revoke the demo worker's key", "error", err)
		}
	}, nil
}
