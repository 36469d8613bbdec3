package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/store"
	"github.com/eventloom/eventloom/web"
	"github.com/eventloom/eventloom/web/metrics"
)

// metricsServer is a real server over a real engine and SQLite store, wired
// to metrics as cmd/eventloom wires them, on a fake clock.
type metricsServer struct {
	*apiServer
	clk *clock.Fake
	m   *metrics.Metrics
}

func newMetricsServer(t *testing.T, cfg engine.Config, metricsToken string) *metricsServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := metrics.New(metrics.Config{DeadLetterRefresh: -1})
	st, err := store.Open(ctx, store.Config{Dir: t.TempDir(), Commits: m})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	cfg.Storage, cfg.Clock, cfg.AdminTokenMemoryKiB = st, clk, 64
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Bus = notify.New()
	notes := cfg.Bus.Subscribe(100000)
	eng, err := engine.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.InitAdminToken(ctx, adminToken); err != nil {
		t.Fatal(err)
	}
	m.Watch(ctx, eng)
	m.WatchSearchIndex(st)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ws := web.New(web.Config{Engine: eng, Metrics: m, MetricsToken: metricsToken})
	srv := httptest.NewServer(ws.Handler())
	a := &apiServer{t: t, eng: eng, notes: notes, web: ws, srv: srv, url: srv.URL}
	t.Cleanup(func() {
		a.stopWeb()
		cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer ccancel()
		_ = eng.Close(cctx)
		cancel()
		_ = st.Close()
	})
	return &metricsServer{apiServer: a, clk: clk, m: m}
}

// scrape reads /metrics with token and parses it with the Prometheus text
// parser.
func scrape(t *testing.T, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return 200, fams
}

// sample finds the one sample of family name whose labels are exactly
// labels, failing the test when there is none.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no %s sample with labels %v; have %v", name, labels, f.GetMetric())
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

// TestMetricsCountAKnownLoad runs 10 accepted triggers (3 of which fail,
// are retried once and die), 4 refused ones, and finds exactly those
// counts in a scrape.
func TestMetricsCountAKnownLoad(t *testing.T) {
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
	_, key, _ := s.call("POST", "/api/v1/apps/Stock/keys", adminToken, "")
	stockKey := key["key"].(string)

	const trigger = "/api/v1/apps/Shop/events/OrderPlaced/trigger"
	for i := range 10 {
		qty := "1"
		if i%3 == 0 && i > 0 { // 3, 6, 9: three failures
			qty = "9"
		}
		if code, body, _ := s.call("POST", trigger, adminToken, `{"Qty":`+qty+`}`); code != 202 {
			t.Fatalf("trigger %d = %d %v", i, code, body)
		}
	}
	refusals := []struct {
		path, token, body string
		status            int
	}{
		{trigger, adminToken, `{}`, 422},             // missing mandatory Qty
		{trigger, adminToken, `{"Qty":"many"}`, 422}, // wrong type
		{trigger, stockKey, `{"Qty":1}`, 403},        // not the owner
		{"/api/v1/apps/Shop/events/Nope/trigger", adminToken, `{}`, 404},
	}
	for _, r := range refusals {
		if code, body, _ := s.call("POST", r.path, r.token, r.body); code != r.status {
			t.Fatalf("POST %s %s = %d %v, want %d", r.path, r.body, code, body, r.status)
		}
	}

	// Three first attempts fail; once every run is done, the retries are
	// made due by the clock and fail for good.
	var last uint64
	await := func(want map[notify.Kind]int) {
		t.Helper()
		got := map[notify.Kind]int{}
		deadline := time.After(20 * time.Second)
		for {
			done := true
			for k, n := range want {
				done = done && got[k] >= n
			}
			if done {
				return
			}
			select {
			case n := <-s.notes.C():
				got[n.Kind]++
				last = n.Seq
			case <-deadline:
				t.Fatalf("after 20s saw %v, want %v", got, want)
			}
		}
	}
	await(map[notify.Kind]int{notify.DeliverySucceeded: 7, notify.DeliveryFailed: 3, notify.TriggerRefused: 4})
	s.clk.Advance(time.Second)
	await(map[notify.Kind]int{notify.DeliveryDead: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.m.WaitCounted(ctx, last); err != nil {
		t.Fatal(err)
	}
	// The last run's note goes out before its worker gives its place back:
	// wait for the place, or the in-flight gauge may still read 1.
	for s.eng.InFlight()["Stock"].Running > 0 {
		if ctx.Err() != nil {
			t.Fatalf("Stock still has %d runs in flight after every delivery ended", s.eng.InFlight()["Stock"].Running)
		}
		runtime.Gosched()
	}

	code, fams := scrape(t, s.url, adminToken)
	if code != 200 {
		t.Fatalf("scrape with the admin token = %d", code)
	}
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"eventloom_triggers_total", map[string]string{"event": "Shop.OrderPlaced", "outcome": "accepted", "reason": ""}, 10},
		{"eventloom_triggers_total", map[string]string{"event": "Shop.OrderPlaced", "outcome": "refused", "reason": "invalid"}, 2},
		{"eventloom_triggers_total", map[string]string{"event": "Shop.OrderPlaced", "outcome": "refused", "reason": "forbidden"}, 1},
		{"eventloom_triggers_total", map[string]string{"event": "", "outcome": "refused", "reason": "not_found"}, 1},
		{"eventloom_deliveries_total", map[string]string{"app": "Stock", "event": "Shop.OrderPlaced", "outcome": "succeeded"}, 7},
		{"eventloom_deliveries_total", map[string]string{"app": "Stock", "event": "Shop.OrderPlaced", "outcome": "failed"}, 3},
		{"eventloom_deliveries_total", map[string]string{"app": "Stock", "event": "Shop.OrderPlaced", "outcome": "dead"}, 3},
		{"eventloom_dead_letters", map[string]string{}, 3},
		{"eventloom_queue_cap_occurrences", map[string]string{"event": "Shop.OrderPlaced"}, 10000},
		{"eventloom_inflight_limit_handler_runs", map[string]string{"app": "Stock"}, 100},
		{"eventloom_inflight_handler_runs", map[string]string{"app": "Stock"}, 0},
		{"eventloom_live_viewers", map[string]string{}, 0},
		{"eventloom_live_dropped_messages_total", map[string]string{}, 0},
		{"eventloom_live_skipped_notes_total", map[string]string{}, 0},
		{"eventloom_metrics_notes_dropped_total", map[string]string{}, 0},
	}
	for _, w := range want {
		if got := value(sample(t, fams, w.name, w.labels)); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
	if n := len(fams["eventloom_triggers_total"].GetMetric()); n != 4 {
		t.Errorf("eventloom_triggers_total has %d series, want the 4 above", n)
	}
	// 13 attempts of a Go handler: 10 first runs and 3 retries.
	if h := sample(t, fams, "eventloom_attempt_duration_seconds", map[string]string{"kind": "go"}).GetHistogram(); h.GetSampleCount() != 13 {
		t.Errorf("attempt histogram count = %d, want 13", h.GetSampleCount())
	}
	// Every accepted trigger and every attempt went through the writer.
	h := sample(t, fams, "eventloom_store_commit_batch_ops", map[string]string{}).GetHistogram()
	if h.GetSampleCount() == 0 || h.GetSampleSum() < 10+13 {
		t.Errorf("commit batches: %d holding %v ops, want at least 23 ops", h.GetSampleCount(), h.GetSampleSum())
	}
	if c := sample(t, fams, "eventloom_store_commit_duration_seconds", map[string]string{}).GetHistogram().GetSampleCount(); c != h.GetSampleCount() {
		t.Errorf("commit latency has %d samples, batch sizes %d", c, h.GetSampleCount())
	}
	// The shipped Grafana dashboard queries only metrics that exist.
	dash, err := os.ReadFile("metrics/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`eventloom_[a-z_]+`).FindAllString(string(dash), -1)
	if len(names) < 10 {
		t.Fatalf("the dashboard queries %d metrics; want every one", len(names))
	}
	for _, n := range names {
		base := n
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suf); ok && fams[b].GetType() == dto.MetricType_HISTOGRAM {
				base = b
			}
		}
		if fams[base] == nil {
			t.Errorf("the dashboard queries %s, which /metrics does not serve", n)
		}
	}
}

// TestMetricsNeedTheAdminOrMetricsToken: /metrics on the main listener
// refuses no token, a wrong one and an app key, and serves the admin and
// the metrics token.
func TestMetricsNeedTheAdminOrMetricsToken(t *testing.T) {
	s := newMetricsServer(t, engine.Config{}, "metrics-reader-token-0123")
	if code, body, _ := s.call("POST", "/api/v1/apps", adminToken, `{"name":"Shop"}`); code != 201 {
		t.Fatalf("create app = %d %v", code, body)
	}
	_, key, _ := s.call("POST", "/api/v1/apps/Shop/keys", adminToken, "")
	for _, tok := range []string{"", "wrong-token", key["key"].(string)} {
		req, _ := http.NewRequest("GET", s.url+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(body), "EVENTLOOM_METRICS_TOKEN") {
			t.Errorf("/metrics with %q = %d %s, want 401 naming the metrics token", tok, resp.StatusCode, body)
		}
	}
	for _, tok := range []string{adminToken, "metrics-reader-token-0123"} {
		if code, fams := scrape(t, s.url, tok); code != 200 || fams["eventloom_store_commit_batch_ops"] == nil {
			t.Errorf("/metrics with %q = %d, want 200 with the metrics", tok, code)
		}
	}
}
