package web_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/notify"
)

// TestChartsAgreeWithMetrics: after a load with accepted and refused
// triggers, successes, failures and dead deliveries, the charts' totals
// (/api/v1/stats/series) equal the sums of the Prometheus counters that
// load produced, in total and per app: both count the same notes.
func TestChartsAgreeWithMetrics(t *testing.T) {
	pick := func(_ context.Context, d *engine.Delivery) ([]engine.Trigger, error) {
		if strings.Contains(string(d.Parameters), `"Qty":9`) {
			return nil, errors.New("out of stock")
		}
		return nil, nil
	}
	s := newMetricsServer(t, engine.Config{MaxRetries: 1, RetryUnit: time.Second, RetryWaits: []int{1}, Handlers: map[string]engine.Handler{"pick": pick}}, "")
	for _, c := range []struct{ path, body string }{
		{"/api/v1/apps", `{"name":"Shop"}`},
		{"/api/v1/apps", `{"name":"Stock"}`},
		{"/api/v1/apps/Shop/events", `{"name":"OrderPlaced","public":true,"parameters":[{"name":"Qty","type":"Integer","mandatory":true}]}`},
		{"/api/v1/apps/Stock/subscriptions", `{"event":"Shop.OrderPlaced","handler":{"kind":"go","name":"pick"}}`},
	} {
		if code, body, _ := s.call("POST", c.path, adminToken, c.body); code != 201 {
			t.Fatalf("POST %s = %d %v", c.path, code, body)
		}
	}
	const trigger = "/api/v1/apps/Shop/events/OrderPlaced/trigger"
	for i, body := range []string{`{"Qty":1}`, `{"Qty":9}`, `{"Qty":1}`, `{"Qty":9}`, `{"Qty":1}`, `{}`, `{"Qty":"x"}`} {
		want := 202
		if i >= 5 {
			want = 422
		}
		if code, got, _ := s.call("POST", trigger, adminToken, body); code != want {
			t.Fatalf("trigger %s = %d %v, want %d", body, code, got, want)
		}
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/Nope/trigger", adminToken, `{}`); code != 404 {
		t.Fatalf("trigger of an unknown event = %d, want 404", code)
	}
	var last uint64
	count := map[notify.Kind]int{}
	await := func(kind notify.Kind, n int) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for count[kind] < n {
			select {
			case note := <-s.notes.C():
				count[note.Kind]++
				last = note.Seq
			case <-deadline:
				t.Fatalf("after 20s saw %v, want %d %s", count, n, kind)
			}
		}
	}
	await(notify.DeliverySucceeded, 3)
	await(notify.DeliveryFailed, 2)
	await(notify.TriggerRefused, 3)
	s.clk.Advance(time.Second) // the retries are due, and fail for good
	await(notify.DeliveryDead, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.m.WaitCounted(ctx, last); err != nil {
		t.Fatal(err)
	}
	if err := s.web.Series().WaitNoted(ctx, last); err != nil {
		t.Fatal(err)
	}

	_, fams := scrape(t, s.url, adminToken)
	sum := func(name string, labels map[string]string) float64 {
		var total float64
		for _, m := range fams[name].GetMetric() {
			match := true
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					match = false
				}
			}
			if match {
				total += value(m)
			}
		}
		return total
	}
	for _, c := range []struct {
		query   string
		metrics map[string]string // the labels every counted series has
	}{
		{"", map[string]string{}},
		{"?event=Shop.OrderPlaced", map[string]string{"event": "Shop.OrderPlaced"}},
		{"?app=Stock", map[string]string{"app": "Stock"}},
	} {
		code, body, _ := s.call("GET", "/api/v1/stats/series"+c.query, adminToken, "")
		if code != 200 {
			t.Fatalf("series%s = %d %v", c.query, code, body)
		}
		tot := body["totals"].(map[string]any)
		want := map[string]float64{
			"succeeded": sum("eventloom_deliveries_total", withLabel(c.metrics, "outcome", "succeeded")),
			"failed":    sum("eventloom_deliveries_total", withLabel(c.metrics, "outcome", "failed")),
			"dead":      sum("eventloom_deliveries_total", withLabel(c.metrics, "outcome", "dead")),
		}
		if c.metrics["app"] == "" { // triggers have no app label: they count for the owner, Shop
			want["accepted"] = sum("eventloom_triggers_total", withLabel(c.metrics, "outcome", "accepted"))
			want["refused"] = sum("eventloom_triggers_total", withLabel(c.metrics, "outcome", "refused"))
		}
		for k, v := range want {
			if tot[k] != v {
				t.Errorf("series%s: %s = %v, the metrics say %v", c.query, k, tot[k], v)
			}
		}
	}
	// The load itself, so the comparison above is not of zeros.
	_, body, _ := s.call("GET", "/api/v1/stats/series", adminToken, "")
	tot := body["totals"].(map[string]any)
	if tot["accepted"] != 5.0 || tot["refused"] != 3.0 || tot["succeeded"] != 3.0 || tot["failed"] != 2.0 || tot["dead"] != 2.0 {
		t.Fatalf("totals %v; want 5 accepted, 3 refused, 3 succeeded, 2 failed, 2 dead", tot)
	}
}

// withLabel is labels and one more.
func withLabel(labels map[string]string, name, value string) map[string]string {
	out := map[string]string{name: value}
	for k, v := range labels {
		out[k] = v
	}
	return out
}
