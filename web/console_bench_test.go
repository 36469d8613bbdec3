package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// BenchmarkConsolePages times the server side of each console page over
// 100k stored occurrences (each handled by one app): the budget is
// 50 ms a page.
func BenchmarkConsolePages(b *testing.B) {
	s, ref := noopServer(b)
	ctx := context.Background()
	const total = 100_000
	// Count successes while filling: 100k deliveries make 300k notes, more
	// than the test subscriber's buffer holds.
	done := make(chan struct{})
	go func() {
		n := 0
		for note := range s.notes.C() {
			if note.Kind == notify.DeliverySucceeded {
				if n++; n == total {
					close(done)
					return
				}
			}
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for next.Add(1) <= total {
				if _, err := s.eng.Trigger(ctx, engine.TriggerRequest{Event: ref}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("the 100k deliveries were not handled within 5 minutes")
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", s.url+"/signin", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		b.Fatalf("sign in: %v %v", resp, err)
	}
	cookie := resp.Cookies()[0]
	for _, path := range []string{"/", "/apps", "/apps/Stock", "/apps/Shop/events/Placed", "/dead", "/traces/50000"} {
		b.Run(strings.ReplaceAll(path, "/", "_"), func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("GET", s.url+path, nil)
				req.AddCookie(cookie)
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("GET %s: %v %v", path, resp, err)
				}
				resp.Body.Close()
			}
		})
	}
}

// noopServer is a real server whose Stock app handles Shop.Placed with a
// Go handler that does nothing.
func noopServer(t testing.TB) (*apiServer, design.EventRef) {
	noop := func(context.Context, *engine.Delivery) ([]engine.Trigger, error) { return nil, nil }
	s := newAPIServer(t, engine.Config{Handlers: map[string]engine.Handler{"noop": noop}})
	ctx := context.Background()
	for _, a := range []string{"Shop", "Stock"} {
		if _, err := s.eng.CreateApp(ctx, design.App{Name: a}); err != nil {
			t.Fatal(err)
		}
	}
	ref := design.EventRef{App: "Shop", Event: "Placed"}
	if _, err := s.eng.CreateEvent(ctx, "Shop", design.Event{Name: "Placed", Public: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.eng.CreateSubscription(ctx, "Stock", design.Subscription{Event: ref, Enabled: true, Handler: design.Handler{Kind: design.KindGo, Name: "noop"}}); err != nil {
		t.Fatal(err)
	}
	return s, ref
}
