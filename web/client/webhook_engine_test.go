package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/store/mem"
	"github.com/eventloom/eventloom/web/client"
)

// TestVerifierReceivesARealDelivery: a real engine delivers a webhook to
// a net/http server built on the Verifier; the handler gets the
// CloudEvent; a request not signed by the secret is refused with 401 and
// never reaches the handler.
func TestVerifierHandlesARealEngineDelivery(t *testing.T) {
	got := make(chan event.Event, 1)
	var v *client.Verifier
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.HandleEvents(func(ctx context.Context, ev event.Event) error {
			got <- ev
			return nil
		}).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	st := mem.New()
	bus := notify.New()
	notes := bus.Subscribe(1000)
	eng, err := engine.New(ctx, engine.Config{Storage: st, Bus: bus, HTTPClient: srv.Client(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = eng.Close(cctx)
	})
	for _, a := range []design.App{{Name: "Shop"}, {Name: "Stock", Endpoint: srv.URL}} {
		if _, err := eng.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ref := design.EventRef{App: "Shop", Event: "OrderPlaced"}
	if _, err := eng.CreateEvent(ctx, "Shop", design.Event{Name: "OrderPlaced", Public: true, Parameters: []design.Parameter{{Name: "Sku", Type: design.Text, Mandatory: true}}}); err != nil {
		t.Fatal(err)
	}
	sec, err := eng.RotateSecret(ctx, "Stock")
	if err != nil {
		t.Fatal(err)
	}
	if v, err = client.NewVerifier([]string{sec.Secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: ref, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook}}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := eng.Trigger(ctx, engine.TriggerRequest{Event: ref, Values: map[string]any{"Sku": "A-1"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		var data map[string]any
		if ev.Type() != "Shop.OrderPlaced" || ev.Source() != "Shop" || ev.DataAs(&data) != nil || data["Sku"] != "A-1" {
			t.Fatalf("handler got %s from %s with %v", ev.Type(), ev.Source(), data)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the handler got no delivery within 20s")
	}
	// The handler returned nil: the receiver answered 204 and the
	// delivery succeeded.
	bound := time.After(20 * time.Second)
	for succeeded := false; !succeeded; {
		select {
		case n := <-notes.C():
			succeeded = n.Kind == notify.DeliverySucceeded && n.OccurrenceID == res.OccurrenceID
			if n.Kind == notify.DeliveryFailed {
				t.Fatalf("the delivery failed: %s", n.Error)
			}
		case <-bound:
			t.Fatal("the delivery did not succeed within 20s of the handler returning nil")
		}
	}

	forged, _ := http.NewRequest("POST", srv.URL, strings.NewReader(`{"specversion":"1.0","id":"1","source":"Shop","type":"Shop.OrderPlaced"}`))
	forged.Header.Set("webhook-id", "1")
	forged.Header.Set("webhook-timestamp", "1700000000")
	forged.Header.Set("webhook-signature", "v1,bm90IGEgc2lnbmF0dXJl")
	resp, err := srv.Client().Do(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(got) != 0 {
		t.Fatalf("forged request = %d (handler called %d times); want 401 and no call", resp.StatusCode, len(got))
	}
	if _, err := client.NewVerifier(nil); err == nil {
		t.Fatal("a verifier without a secret was made")
	}
	if _, err := client.NewVerifier([]string{"whsec_***"}); err == nil || errors.Is(err, client.ErrSignature) {
		t.Fatalf("a verifier of a malformed secret: %v", err)
	}
}
