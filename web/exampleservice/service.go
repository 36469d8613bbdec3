// Package exampleservice is a small real service on both ends of
// Eventloom, written only against web/client as any service would be: a
// courier's booking endpoint that receives signed webhooks, and an
// accounting worker that pulls its deliveries. The demo runs it beside the
// server (eventloom serve, unless --no-demo) so a new user sees both kinds
// of handler at work; cmd/eventloom-example runs it on its own.
package exampleservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/web/client"
)

// The demo's parts the service serves.
const (
	// CourierApp receives every scheduled shipment as a signed webhook.
	CourierApp = "Courier"
	// CourierPath is where the courier's endpoint takes the webhooks:
	// the app's endpoint ends in it.
	CourierPath = "/demo/courier"
	// AccountingApp books every captured payment, pulling its deliveries.
	AccountingApp = "Accounting"
	// AccountingSubscription is what the accounting worker pulls.
	AccountingSubscription = AccountingApp + ":Payments.OnPaymentCaptured"
)

// Config is what the service needs from the server it works with.
type Config struct {
	// Server is the Eventloom server's address, e.g. http://127.0.0.1:8080.
	Server string
	// AccountingKey is an app key of AccountingApp, for pulling.
	AccountingKey string
	// CourierSecrets are CourierApp's webhook signing secrets (the new
	// and the previous one during a rotation's grace).
	CourierSecrets []string
	// Logger receives what the service does; default slog.Default().
	Logger *slog.Logger
	// HTTPClient calls the server; default http.DefaultClient.
	HTTPClient *http.Client
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// Webhooks is the courier's endpoint: it verifies each webhook's
// signature and books the shipment it carries (answering 204), or
// answers 401 to a request Eventloom did not sign.
func Webhooks(cfg Config) (http.Handler, error) {
	v, err := client.NewVerifier(cfg.CourierSecrets)
	if err != nil {
		return nil, fmt.Errorf("courier webhooks: %w", err)
	}
	log := cfg.logger()
	return v.HandleEvents(func(ctx context.Context, ev event.Event) error {
		var s struct{ ProductId, CustomerEmail string }
		if err := ev.DataAs(&s); err != nil {
			return fmt.Errorf("read the shipment: %w", err)
		}
		log.Info("courier booked a pickup (signed webhook)", "delivery", ev.ID(), "type", ev.Type(), "product", s.ProductId, "customer", s.CustomerEmail)
		return nil
	}), nil
}

// Work runs the accounting worker until ctx ends: it pulls captured
// payments with AccountingApp's key and books each one.
func Work(ctx context.Context, cfg Config) error {
	if cfg.AccountingKey == "" {
		return errors.New("accounting worker: no app key of " + AccountingApp + " given")
	}
	var opts []client.Option
	if cfg.HTTPClient != nil {
		opts = append(opts, client.WithHTTPClient(cfg.HTTPClient))
	}
	c := client.New(cfg.Server, cfg.AccountingKey, opts...)
	log := cfg.logger()
	return c.Work(ctx, AccountingSubscription, func(ctx context.Context, ev event.Event) error {
		var p struct {
			CustomerEmail string
			Amount        float64
		}
		if err := ev.DataAs(&p); err != nil {
			return fmt.Errorf("read the payment: %w", err)
		}
		log.Info("accounting booked a payment (pull worker)", "delivery", ev.ID(), "customer", p.CustomerEmail, "amount", p.Amount)
		return nil
	}, client.WorkerOptions{Concurrency: 4, Logger: log})
}
