package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/web/client"
)

// pullShop is Shop owning public OrderPlaced, pulled by Stock.
const pullShop = `{
 "apps":[{"name":"Shop"},{"name":"Stock","concurrency":4}],
 "events":[{"app":"Shop","name":"OrderPlaced","public":true,"parameters":[
    {"name":"Sku","type":"Text","mandatory":true},{"name":"Qty","type":"Integer","mandatory":true}]}],
 "subscriptions":[{"app":"Stock","event":"Shop.OrderPlaced","enabled":true,"handler":{"kind":"pull"}}]}`

const pullPath = "/api/v1/apps/Stock/subscriptions/Shop.OrderPlaced/"

// newPullServer serves pullShop and returns the keys of Shop and Stock.
func newPullServer(t *testing.T, cfg engine.Config) (s *apiServer, shopKey, stockKey string) {
	t.Helper()
	s = newAPIServer(t, cfg)
	if code, body, _ := s.call("PUT", "/api/v1/design", adminToken, pullShop); code != 200 {
		t.Fatalf("import = %d %v", code, body)
	}
	_, k, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	shopKey = k["key"].(string)
	_, k, _ = s.call("POST", "/api/v1/apps/Stock/keys", adminToken, "")
	return s, shopKey, k["key"].(string)
}

func (s *apiServer) triggerOrder(key, sku string) {
	s.t.Helper()
	if code, body, _ := s.call("POST", "/api/v1/apps/Shop/events/OrderPlaced/trigger", key, `{"Sku":"`+sku+`","Qty":1}`); code != 202 {
		s.t.Fatalf("trigger = %d %v", code, body)
	}
}

// receiveRaw posts a receive and decodes the array it answers.
func (s *apiServer) receiveRaw(key, query string) (int, []map[string]any) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+pullPath+"receive"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestAPIPull walks the pull API with curl's view of it: receive with the
// handling app's key, a CloudEvent in the answer, ack, a stale ack as
// 409, and each bad input refused with its field.
func TestAPIPull(t *testing.T) {
	s, shopKey, stockKey := newPullServer(t, engine.Config{})
	s.triggerOrder(shopKey, "A-1")
	code, got := s.receiveRaw(stockKey, "?max=5&wait=1")
	if code != 200 || len(got) != 1 {
		t.Fatalf("receive = %d %v; want one delivery", code, got)
	}
	ev, _ := got[0]["event"].(map[string]any)
	data, _ := ev["data"].(map[string]any)
	if ev["type"] != "Shop.OrderPlaced" || ev["source"] != "Shop" || ev["specversion"] != "1.0" || data["Sku"] != "A-1" || got[0]["attempt"] != 1.0 {
		t.Fatalf("received %v; want the CloudEvent of Shop.OrderPlaced with its parameters, attempt 1", got[0])
	}
	tok := got[0]["lockToken"].(string)
	body := `{"lockTokens":["` + tok + `"]}`
	if code, out, _ := s.call("POST", pullPath+"ack", stockKey, body); code != 200 || len(out["succeeded"].([]any)) != 1 || len(out["failed"].([]any)) != 0 {
		t.Fatalf("ack = %d %v", code, out)
	}
	id := int64(got[0]["deliveryId"].(float64))
	if d, _ := s.eng.Delivery(context.Background(), id); d.Status != delivery.Succeeded {
		t.Fatalf("acked delivery is %s", d.Status)
	}
	if code, out, _ := s.call("POST", pullPath+"ack", stockKey, body); code != 409 || errCode(out) != "lock_lost" || len(out["failed"].([]any)) != 1 {
		t.Fatalf("second ack = %d %v; want 409 lock_lost with the per-token answer", code, out)
	}
	cases := []struct {
		name, method, path, key, body string
		status                        int
		code, field                   string
	}{
		{"another app's key", "POST", pullPath + "receive", shopKey, "", 403, "not_owner", ""},
		{"no key", "POST", pullPath + "receive", "", "", 401, "unauthorized", ""},
		{"max 0", "POST", pullPath + "receive?max=0", stockKey, "", 400, "out_of_range", "max"},
		{"max not a number", "POST", pullPath + "receive?max=ten", stockKey, "", 400, "out_of_range", "max"},
		{"wait 31", "POST", pullPath + "receive?wait=31", stockKey, "", 400, "out_of_range", "wait"},
		{"extend without seconds", "POST", pullPath + "extend", stockKey, body, 400, "out_of_range", "seconds"},
		{"release with a negative delay", "POST", pullPath + "release", stockKey, `{"lockTokens":["x"],"delaySeconds":-1}`, 400, "out_of_range", "delaySeconds"},
		{"ack with a delay", "POST", pullPath + "ack", stockKey, `{"lockTokens":["x"],"delaySeconds":5}`, 400, "unknown_field", "delaySeconds"},
		{"no tokens", "POST", pullPath + "ack", stockKey, `{"lockTokens":[]}`, 422, "required", "lockTokens"},
		{"a forged token", "POST", pullPath + "reject", stockKey, `{"lockTokens":["bm90LWEtdG9rZW4tYXQtYWxsLXJlYWxseQ"]}`, 400, "invalid_lock_token", "lockTokens"},
		{"not a pull subscription", "POST", "/api/v1/apps/Shop/subscriptions/Shop.OrderPlaced/receive", adminToken, "", 404, "unknown_subscription", ""},
	}
	for _, c := range cases {
		code, out, _ := s.call(c.method, c.path, c.key, c.body)
		e, _ := out["error"].(map[string]any)
		if code != c.status || errCode(out) != c.code || (c.field != "" && e["field"] != c.field) {
			t.Errorf("%s: %d %v; want %d %s on %q", c.name, code, out, c.status, c.code, c.field)
		}
	}
	// The admin token receives too.
	s.triggerOrder(shopKey, "A-2")
	if code, got := s.receiveRaw(adminToken, "?wait=1"); code != 200 || len(got) != 1 {
		t.Fatalf("receive with the admin token = %d %v", code, got)
	}
}

// countingTransport counts the requests whose path ends in suffix and
// signals each on seen.
type countingTransport struct {
	suffix string
	seen   chan struct{}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == 200 && strings.HasSuffix(r.URL.Path, c.suffix) {
		select {
		case c.seen <- struct{}{}:
		default:
		}
	}
	return resp, err
}

// TestClientWork runs two of the Go client's pull workers against a real
// server: every delivery is handled once, and never more at once than
// Stock's concurrency of 4 though the workers could run 6, a failing
// handler's delivery is released to its retry, a handler that outlives
// the lock keeps it by extension and is still acknowledged, and a
// cancelled context stops the worker cleanly.
func TestClientWork(t *testing.T) {
	// A lock of 3 seconds: the worker extends it every second.
	s, shopKey, stockKey := newPullServer(t, engine.Config{HandlerTimeout: 3 * time.Second})
	extends := &countingTransport{suffix: "/extend", seen: make(chan struct{}, 1)}
	c := client.New(s.url, stockKey, client.WithHTTPClient(&http.Client{Transport: extends}))
	const n = 12
	for i := 0; i < n; i++ {
		s.triggerOrder(shopKey, "ok")
	}
	s.triggerOrder(shopKey, "fail")
	s.triggerOrder(shopKey, "slow")

	var running, most atomic.Int32
	var mu sync.Mutex
	handled := map[string]int{}
	handler := func(ctx context.Context, ev event.Event) error {
		r := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		var p struct{ Sku string }
		if err := ev.DataAs(&p); err != nil {
			return err
		}
		mu.Lock()
		handled[ev.ID()]++
		mu.Unlock()
		switch p.Sku {
		case "fail":
			return errors.New("out of stock")
		case "slow":
			// Past the 3-second lock: outlived only by extension.
			for i := 0; i < 4; i++ {
				select {
				case <-extends.seen:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	worked := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			worked <- c.Work(ctx, "Stock:Shop.OrderPlaced", handler, client.WorkerOptions{Concurrency: 3, Wait: time.Second})
		}()
	}
	succeeded, failed := 0, 0
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for succeeded < n+1 || failed < 1 {
		select {
		case note := <-s.notes.C():
			switch note.Kind {
			case notify.DeliverySucceeded:
				succeeded++
			case notify.DeliveryFailed:
				failed++
			}
		case <-deadline.C:
			t.Fatalf("within a minute %d deliveries succeeded and %d failed; want %d and 1", succeeded, failed, n+1)
		}
	}
	cancel()
	for i := 0; i < 2; i++ {
		if err := <-worked; err != nil {
			t.Fatalf("work after cancel = %v; want nil", err)
		}
	}
	if m := most.Load(); m > 4 {
		t.Fatalf("%d handlers ran at once; Stock's concurrency is 4", m)
	}
	for id, k := range handled {
		if k != 1 {
			t.Fatalf("delivery %s was handled %d times", id, k)
		}
	}
	if len(handled) != n+2 {
		t.Fatalf("%d deliveries handled; want %d", len(handled), n+2)
	}
	// A subscription the key cannot pull stops the worker with the reason.
	err := client.New(s.url, shopKey).Work(context.Background(), "Stock:Shop.OrderPlaced", handler, client.WorkerOptions{})
	if !client.IsCode(err, "not_owner") {
		t.Fatalf("work with another app's key = %v; want not_owner (the access check refuses another app's key before the route runs)", err)
	}
}

// TestClientWorkShutdownReleases: a handler still running when the
// worker's context ends and its grace runs out is cancelled, and its
// delivery released to be retried at once rather than on the schedule.
func TestClientWorkShutdownReleases(t *testing.T) {
	s, shopKey, stockKey := newPullServer(t, engine.Config{})
	s.triggerOrder(shopKey, "block")
	started := make(chan string, 1)
	handler := func(ctx context.Context, ev event.Event) error {
		started <- ev.ID()
		<-ctx.Done()
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() {
		worked <- client.New(s.url, stockKey).Work(ctx, "Stock:Shop.OrderPlaced", handler, client.WorkerOptions{Wait: time.Second, Grace: time.Millisecond})
	}()
	id := <-started
	cancel()
	if err := <-worked; err != nil {
		t.Fatalf("work = %v; want nil after a shutdown", err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("CloudEvent id %q is not the delivery id: %v", id, err)
	}
	d, err := s.eng.Delivery(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != delivery.Retrying || d.Attempts != 1 || d.NextAttemptAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("after the shutdown the delivery is %s, %d attempts, next at %s; want released to retry at once", d.Status, d.Attempts, d.NextAttemptAt)
	}
}
