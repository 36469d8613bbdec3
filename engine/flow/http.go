package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/tracecontext"
)

// HTTPMethods are the methods an http step may use, the first the
// default.
func HTTPMethods() []string {
	return []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}
}

// The sizes an http step's rendered request may reach. A URL past 8 KiB is
// refused by most servers anyway; a body of 1 MiB is a hundred times the
// largest payload an event may carry, so a designed body can hold the
// whole event and more, but a runaway template cannot send megabytes for
// every delivery.
const (
	MaxHTTPURLBytes    = 8 << 10
	MaxHTTPHeaderBytes = 8 << 10
	MaxHTTPBodyBytes   = 1 << 20
	// HTTPErrorBodyBytes is how much of a failing answer's body the run's
	// error quotes: enough for a service's error message, not a page.
	HTTPErrorBodyBytes = 200
	// httpDrainBytes is how much of an answer is read before the
	// connection is closed, so a small answer leaves it reusable.
	httpDrainBytes = 64 << 10
)

// reservedHeaders are set by the HTTP client from the request itself; a
// step that set them would be ignored or break the request.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Upgrade": true, "Te": true, "Trailer": true, "Proxy-Connection": true,
}

// httpCall is a compiled http step.
type httpCall struct {
	method  string
	url     []part
	headers []httpHeader // sorted by name, for a stable request
	body    []part
}

type httpHeader struct {
	name  string
	value []part
}

// httpStep checks and compiles an http step: a known method, a URL that
// starts with a literal http:// or https:// (so the scheme cannot come
// from a parameter), header names that are tokens and not set by the
// client itself, and templates that compile under the budgets.
func (c *compiler) httpStep(field string, s design.Step) *httpCall {
	h := &httpCall{method: strings.ToUpper(strings.TrimSpace(s.Method))}
	if h.method == "" {
		h.method = http.MethodPost
	}
	if !slices.Contains(HTTPMethods(), h.method) {
		c.fail(field+".method", "invalid_value", fmt.Sprintf("%q is not a method an http step may use; use one of %s", s.Method, strings.Join(HTTPMethods(), ", ")))
	}
	switch u := strings.TrimSpace(s.URL); {
	case u == "":
		c.fail(field+".url", "required", "an http step needs a URL, e.g. https://example.com/hooks/orders")
	case !hasHTTPScheme(u):
		c.fail(field+".url", "invalid_value", fmt.Sprintf("the URL %q does not start with http:// or https://; write the scheme and host literally, e.g. https://example.com/orders/{{ OrderId }}", clip(u)))
	default:
		h.url = c.template(field+".url", u)
		if !hasExpr(h.url) {
			if _, err := checkURL(u); err != nil {
				c.fail(field+".url", "invalid_value", err.Error())
			}
		}
	}
	names := make([]string, 0, len(s.Headers))
	for name := range s.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		hf := field + ".headers." + name
		canon := http.CanonicalHeaderKey(strings.TrimSpace(name))
		switch {
		case !validHeaderName(strings.TrimSpace(name)):
			c.fail(hf, "invalid_value", fmt.Sprintf("%q is not a header name; use letters, digits and - such as X-Request-Source", name))
			continue
		case reservedHeaders[canon]:
			c.fail(hf, "invalid_value", fmt.Sprintf("the %s header is set by the HTTP client from the request itself; remove it", canon))
			continue
		}
		h.headers = append(h.headers, httpHeader{name: canon, value: c.template(hf, s.Headers[name])})
	}
	h.body = c.template(field+".body", s.Body)
	return h
}

// httpRequest is an http step's request, rendered.
type httpRequest struct {
	method, url string
	header      http.Header
	body        string
}

// render fills the step's templates in and checks what they give: a URL
// of http or https with a host, header values on one line, and sizes
// within their bounds.
func (h *httpCall) render(ctx context.Context, vars map[string]any) (httpRequest, error) {
	r := httpRequest{method: h.method, header: http.Header{}}
	u, err := render(ctx, h.url, vars)
	if err != nil {
		return r, fmt.Errorf("url: %w", err)
	}
	if len(u) > MaxHTTPURLBytes {
		return r, fmt.Errorf("the URL rendered to %d bytes; at most %d", len(u), MaxHTTPURLBytes)
	}
	if _, err := checkURL(u); err != nil {
		return r, err
	}
	r.url = u
	for _, hd := range h.headers {
		v, err := render(ctx, hd.value, vars)
		if err != nil {
			return r, fmt.Errorf("header %s: %w", hd.name, err)
		}
		if strings.ContainsAny(v, "\r\n\x00") || len(v) > MaxHTTPHeaderBytes || !utf8.ValidString(v) {
			return r, fmt.Errorf("header %s rendered to %q, which is not a header value: it must be one line of at most %d bytes", hd.name, clip(v), MaxHTTPHeaderBytes)
		}
		r.header.Set(hd.name, v)
	}
	if r.body, err = render(ctx, h.body, vars); err != nil {
		return r, fmt.Errorf("body: %w", err)
	}
	if len(r.body) > MaxHTTPBodyBytes {
		return r, fmt.Errorf("the body rendered to %d bytes; at most %d", len(r.body), MaxHTTPBodyBytes)
	}
	if r.body != "" && r.header.Get("Content-Type") == "" {
		r.header.Set("Content-Type", contentType(r.body))
	}
	return r, nil
}

// contentType guesses a body's type when the step names none: JSON when
// it looks like a JSON object or array, else plain text.
func contentType(body string) string {
	if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// HTTPError is an http step whose call was answered with a status other
// than 2xx: the run fails with it, and the delivery is retried.
type HTTPError struct {
	Method, URL string
	Status      int
	// Body is the start of the answer's body, at most HTTPErrorBodyBytes.
	Body string
}

// Error says what was called, what came back and the start of the body.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s answered %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// call sends the rendered request through client under ctx (the handler
// timeout) and fails on a network error, the guard's refusal or a status
// other than 2xx. It returns a line for the attempt's log.
func (r httpRequest) call(ctx context.Context, client *http.Client) (string, error) {
	if client == nil {
		return "", errors.New("this run has no HTTP client (flow.Env.HTTPClient is nil); the engine passes its Config.HTTPClient")
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", r.method, r.url, err)
	}
	req.Header = r.header
	if tp := tracecontext.FromContext(ctx); tp != "" {
		// The step's span (the attempt's when none records) goes on, so
		// the called service's spans join the trace.
		req.Header.Set("traceparent", tp)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Eventloom-flow")
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the method and URL
		}
		return "", fmt.Errorf("%s %s failed: %w", r.method, r.url, err)
	}
	defer resp.Body.Close()
	head := make([]byte, HTTPErrorBodyBytes)
	n, _ := io.ReadFull(resp.Body, head)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, httpDrainBytes))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &HTTPError{Method: r.method, URL: r.url, Status: resp.StatusCode, Body: strings.ToValidUTF8(string(head[:n]), "�")}
	}
	return fmt.Sprintf("%s %s answered %s", r.method, withoutQuery(r.url), resp.Status), nil
}

// checkURL refuses a URL that is not http or https with a host.
func checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL (%v); write one such as https://example.com/orders", clip(s), oneLine(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the URL %q is not http or https; write one such as https://example.com/orders", clip(s))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("the URL %q has no host; write one such as https://example.com/orders", clip(s))
	}
	return u, nil
}

func hasHTTPScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

func hasExpr(parts []part) bool {
	for _, p := range parts {
		if p.expr != nil {
			return true
		}
	}
	return false
}

// withoutQuery drops a URL's query and fragment, which may carry tokens,
// for the attempt's log.
func withoutQuery(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", ch) >= 0) {
			return false
		}
	}
	return true
}
