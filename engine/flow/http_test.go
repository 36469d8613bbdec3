package flow_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/flow"
	"github.com/eventloom/eventloom/engine/outbound"
)

// seen is one request a test receiver got.
type seen struct {
	method, path, query, body string
	header                    http.Header
}

// httpReceiver is a loopback server recording its requests and answering
// with status and body.
func httpReceiver(t *testing.T, status int, body string) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Clone()})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func httpStep(method, url string, headers map[string]string, body string) design.Step {
	return design.Step{Type: design.StepHTTP, Method: method, URL: url, Headers: headers, Body: body}
}

func TestHTTPStepSendsTheRenderedRequest(t *testing.T) {
	t.Parallel()
	srv, got := httpReceiver(t, http.StatusAccepted, "queued")
	f := mustCompile(t, handler(
		httpStep("put", srv.URL+"/stock/{{ ProductId }}?qty={{ Quantity }}", map[string]string{"x-customer": "{{ CustomerEmail }}", "Authorization": "Bearer t0k"}, `{"qty": {{ Quantity * 2 }}, "email": {{ toJSON(CustomerEmail) }}}`),
		design.Step{Type: design.StepLog, Message: "after the call"},
	))
	var logs []string
	_, err := f.Run(context.Background(), params(), flow.Env{HTTPClient: srv.Client(), Log: func(m string) { logs = append(logs, m) }})
	if err != nil {
		t.Fatal(err)
	}
	g := got()
	if len(g) != 1 {
		t.Fatalf("the receiver got %d requests; want 1", len(g))
	}
	r := g[0]
	if r.method != "PUT" || r.path != "/stock/P-7" || r.query != "qty=3" {
		t.Errorf("request %s %s?%s; want PUT /stock/P-7?qty=3", r.method, r.path, r.query)
	}
	if r.body != `{"qty": 6, "email": "ana@example.com"}` {
		t.Errorf("body %q", r.body)
	}
	if r.header.Get("X-Customer") != "ana@example.com" || r.header.Get("Authorization") != "Bearer t0k" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	want := []string{"PUT " + srv.URL + "/stock/P-7 answered 202 Accepted", "after the call"}
	if strings.Join(logs, "|") != strings.Join(want, "|") {
		t.Errorf("logs %q; want %q (the query left out of the log)", logs, want)
	}
}

func TestHTTPStepFailsOnAnErrorStatus(t *testing.T) {
	t.Parallel()
	srv, got := httpReceiver(t, http.StatusInternalServerError, "stock service down: "+strings.Repeat("x", 500))
	f := mustCompile(t, handler(
		httpStep("", srv.URL+"/stock", nil, "{{ ProductId }}"),
		design.Step{Type: design.StepTrigger, Event: "OnOutOfStock", Parameters: map[string]string{"ProductId": "ProductId"}},
	))
	out, err := f.Run(context.Background(), params(), flow.Env{HTTPClient: srv.Client()})
	var se *flow.StepError
	var he *flow.HTTPError
	if !errors.As(err, &se) || se.Step != 0 || se.Type != design.StepHTTP || !errors.As(err, &he) {
		t.Fatalf("err = %v; want a *StepError of step 0 wrapping an *HTTPError", err)
	}
	if he.Status != 500 || len(he.Body) != flow.HTTPErrorBodyBytes || !strings.HasPrefix(he.Body, "stock service down") {
		t.Errorf("HTTPError = %+v; want 500 with the first %d bytes of the body", he, flow.HTTPErrorBodyBytes)
	}
	if msg := err.Error(); !strings.Contains(msg, "POST "+srv.URL+"/stock answered 500 Internal Server Error: stock service down") {
		t.Errorf("message %q should name the method, URL, status and body", msg)
	}
	if out != nil {
		t.Errorf("triggers %v; want none from a failed run", out)
	}
	if g := got(); len(g) != 1 || g[0].method != "POST" || g[0].header.Get("Content-Type") != "text/plain; charset=utf-8" || g[0].body != "P-7" {
		t.Errorf("requests %+v; want one POST (the default) of text", g)
	}
}

// A call cut short by the run's context (the handler timeout) ends the
// run with the context's error, as a wait does.
func TestHTTPStepStopsWithTheContext(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	f := mustCompile(t, handler(httpStep("GET", srv.URL, nil, "")))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.Run(ctx, params(), flow.Env{HTTPClient: srv.Client()})
		done <- err
	}()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
}

// The outbound guard's client refuses the loopback receiver before any
// request reaches it, and the step's error says why and how to allow it.
func TestHTTPStepRefusedByTheGuard(t *testing.T) {
	t.Parallel()
	srv, got := httpReceiver(t, http.StatusOK, "")
	f := mustCompile(t, handler(httpStep("POST", srv.URL+"/hook", nil, "hi")))
	_, err := f.Run(context.Background(), params(), flow.Env{HTTPClient: outbound.New(outbound.Config{}).Client()})
	if !errors.Is(err, outbound.ErrRefused) {
		t.Fatalf("err = %v; want the guard's refusal", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "step 0 (http): POST "+srv.URL+"/hook failed: the outbound guard refused") || !strings.Contains(msg, "loopback") || !strings.Contains(msg, "--allow-endpoints") {
		t.Errorf("message %q", msg)
	}
	if g := got(); len(g) != 0 {
		t.Fatalf("the receiver got %d requests; want none", len(g))
	}
}

func TestHTTPStepWithoutAClientFails(t *testing.T) {
	t.Parallel()
	f := mustCompile(t, handler(httpStep("POST", "https://example.com/x", nil, "")))
	if _, err := f.Run(context.Background(), params(), flow.Env{}); err == nil || !strings.Contains(err.Error(), "no HTTP client") {
		t.Fatalf("err = %v; want no HTTP client", err)
	}
}

func TestHTTPStepRefusesBadRenderedValues(t *testing.T) {
	t.Parallel()
	srv, got := httpReceiver(t, http.StatusOK, "")
	cases := []struct {
		step design.Step
		want string
	}{
		{httpStep("POST", "http://{{ Note }}", nil, ""), "has no host"},
		{httpStep("POST", srv.URL, map[string]string{"X-Note": `{{ "a\nb" }}`}, ""), "not a header value"},
		{httpStep("POST", srv.URL, nil, strings.Repeat(`{{ repeat("0123456789", 9000) }}`, 12)), "the body rendered to 1080000 bytes"},
		{httpStep("POST", srv.URL, nil, `{{ repeat(repeat("x", 1000), Quantity * 2000) }}`), "budget"},
	}
	for _, c := range cases {
		f := mustCompile(t, handler(c.step))
		if _, err := f.Run(context.Background(), params(), flow.Env{HTTPClient: srv.Client()}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v; want %q", c.step, err, c.want)
		}
	}
	if g := got(); len(g) != 0 {
		t.Fatalf("the receiver got %d requests; want none", len(g))
	}
}

func TestCompileRefusesBadHTTPSteps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		step  design.Step
		field string
		code  string
	}{
		{"unknown method", httpStep("FETCH", "https://example.com", nil, ""), "handler.steps[0].method", "invalid_value"},
		{"no url", httpStep("POST", " ", nil, ""), "handler.steps[0].url", "required"},
		{"not http", httpStep("POST", "ftp://example.com/x", nil, ""), "handler.steps[0].url", "invalid_value"},
		{"scheme from a parameter", httpStep("POST", "{{ Note }}://example.com", nil, ""), "handler.steps[0].url", "invalid_value"},
		{"no host", httpStep("POST", "https:///path", nil, ""), "handler.steps[0].url", "invalid_value"},
		{"url template", httpStep("POST", "https://example.com/{{ Nope }}", nil, ""), "handler.steps[0].url", "expression"},
		{"unclosed body", httpStep("POST", "https://example.com", nil, "{{ Quantity"), "handler.steps[0].body", "expression"},
		{"header name", httpStep("POST", "https://example.com", map[string]string{"Bad Name": "x"}, ""), "handler.steps[0].headers.Bad Name", "invalid_value"},
		{"reserved header", httpStep("POST", "https://example.com", map[string]string{"host": "inside"}, ""), "handler.steps[0].headers.host", "invalid_value"},
		{"header template", httpStep("POST", "https://example.com", map[string]string{"X-Q": "{{ Quantity + }}"}, ""), "handler.steps[0].headers.X-Q", "expression"},
		{"costly body", httpStep("POST", "https://example.com", nil, "{{ map(1..2000, map(1..2000, #)) }}"), "handler.steps[0].body", "too_costly"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := flow.Compile(handler(c.step), purchase, own)
			var hit *fault.Error
			for _, e := range fault.All(err) {
				if e.Field == c.field && e.Code == c.code {
					hit = e
				}
			}
			if hit == nil {
				t.Fatalf("errors %v; want %s at %s", err, c.code, c.field)
			}
			if !errors.Is(hit, fault.ErrInvalid) || hit.Message == "" {
				t.Errorf("error %+v; want an ErrInvalid with a message", hit)
			}
		})
	}
}

// Preview says what an http step would call and calls nothing.
func TestPreviewDoesNotCallOut(t *testing.T) {
	t.Parallel()
	srv, got := httpReceiver(t, http.StatusOK, "")
	f := mustCompile(t, handler(
		httpStep("DELETE", srv.URL+"/hold/{{ ProductId }}", map[string]string{"X-Q": "{{ Quantity }}"}, ""),
		httpStep("POST", srv.URL, nil, "{{ 1 / (Quantity - 3) > 0 }}"),
	))
	steps := f.Preview(context.Background(), params(), nil)
	if len(steps) != 2 || steps[0].Outcome != "http" || steps[0].Message != "would DELETE "+srv.URL+"/hold/P-7" {
		t.Fatalf("preview %+v; want step 0 to say it would DELETE the rendered URL", steps)
	}
	if steps[1].Outcome != "http" {
		t.Errorf("step 1 = %+v", steps[1])
	}
	if g := got(); len(g) != 0 {
		t.Fatalf("the receiver got %d requests during a preview; want none", len(g))
	}
}
