package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/store/mem"
)

// A Go program embeds the engine: it opens a store (here the in-memory
// one of package store/mem; a real program opens SQLite with store.Open,
// which keeps everything across restarts), registers its Go handlers by
// name, designs (or loads) apps, events and subscriptions, starts
// dispatching and triggers events. The handler's returned triggers are
// committed with its success, exactly once.
func Example() {
	ctx := context.Background()
	st := mem.New()
	defer st.Close()

	shipped := make(chan string, 1)
	eng, err := engine.New(ctx, engine.Config{
		Storage: st,
		Handlers: map[string]engine.Handler{
			// Shipping handles Shop.OrderPaid and triggers its own
			// OrderShipped.
			"ship": func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
				return []engine.Trigger{{Event: "OrderShipped", Values: map[string]any{"OrderId": d.Value("OrderId")}}}, nil
			},
			"notify": func(ctx context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
				shipped <- d.Value("OrderId").(string)
				return nil, nil
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close(ctx)

	orderID := []design.Parameter{{Name: "OrderId", Type: design.Identifier, Mandatory: true}}
	paid := design.EventRef{App: "Shop", Event: "OrderPaid"}
	shippedRef := design.EventRef{App: "Shipping", Event: "OrderShipped"}
	for _, step := range []func() error{
		func() error { _, err := eng.CreateApp(ctx, design.App{Name: "Shop"}); return err },
		func() error { _, err := eng.CreateApp(ctx, design.App{Name: "Shipping"}); return err },
		func() error {
			_, err := eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPaid", Public: true, Parameters: orderID})
			return err
		},
		func() error {
			_, err := eng.CreateEvent(ctx, "Shipping", design.Event{Name: "OrderShipped", Public: true, Parameters: orderID})
			return err
		},
		func() error {
			_, err := eng.CreateSubscription(ctx, "Shipping", design.Subscription{Event: paid, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "ship"}})
			return err
		},
		func() error {
			_, err := eng.CreateSubscription(ctx, "Shop", design.Subscription{Event: shippedRef, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "notify"}})
			return err
		},
	} {
		if err := step(); err != nil {
			log.Fatal(err)
		}
	}
	if err := eng.Start(ctx); err != nil {
		log.Fatal(err)
	}
	res, err := eng.Trigger(ctx, engine.TriggerRequest{Caller: "Shop", Event: paid, Values: map[string]any{"OrderId": "A-1001"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("triggered with", res.Deliveries, "delivery")
	fmt.Println("shipped", <-shipped)
	// Output:
	// triggered with 1 delivery
	// shipped A-1001
}
