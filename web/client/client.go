// Package client is the Go client a service uses to work with an Eventloom
// server over its REST API: trigger events with its app key, pull and
// acknowledge deliveries, verify webhooks. The eventloom CLI uses it too,
// so what the CLI does, a service can do the same way.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client talks to one server with one credential: an app key (triggering
// the app's events, pulling its deliveries) or the admin token.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc instead of http.DefaultClient
// (a transport with its own timeouts or proxies, a test server's client).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:8080") using token as its bearer credential.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the server the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Problem is one reason the server gave for refusing a request.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error is a request the server refused: its HTTP status and the reasons
// it gave, so a caller can branch on Status or Code (for example
// "queue_full" with RetryAfter) without parsing text.
type Error struct {
	Status     int
	Code       string
	Message    string
	Details    []Problem
	RetryAfter string
}

func (e *Error) Error() string {
	if len(e.Details) <= 1 {
		m := e.Message
		if len(e.Details) == 1 && e.Details[0].Field != "" {
			m = e.Details[0].Field + ": " + e.Details[0].Message
		}
		return fmt.Sprintf("%d %s: %s (%s)", e.Status, http.StatusText(e.Status), m, e.Code)
	}
	msgs := make([]string, len(e.Details))
	for i, d := range e.Details {
		m := d.Message
		if d.Field != "" {
			m = d.Field + ": " + m
		}
		msgs[i] = m + " (" + d.Code + ")"
	}
	return fmt.Sprintf("%d %s:\n  %s", e.Status, http.StatusText(e.Status), strings.Join(msgs, "\n  "))
}

// IsCode reports whether err is a refusal with the given error code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Do sends a request with the client's credential and returns the body of
// a 2xx answer; any other answer is an *Error. in, when not nil, is sent
// as JSON; a []byte or io.Reader in is sent as is with contentType.
func (c *Client) Do(ctx context.Context, method, path, contentType string, in any) ([]byte, error) {
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(v)
	case io.Reader:
		body = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode the request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (is 'eventloom serve' running at %s?)", method, path, err, c.base)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return b, nil
	}
	return nil, decodeError(resp, b)
}

// decodeError turns a refusal into an *Error, keeping the raw body as the
// message when it is not the API's error shape (a proxy's page, say).
func decodeError(resp *http.Response, b []byte) *Error {
	var e struct {
		Error   Problem   `json:"error"`
		Details []Problem `json:"details"`
	}
	out := &Error{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
	if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
		out.Code = "http_" + fmt.Sprint(resp.StatusCode)
		out.Message = strings.TrimSpace(string(b))
		return out
	}
	out.Code, out.Message, out.Details = e.Error.Code, e.Error.Message, e.Details
	if len(out.Details) == 0 {
		out.Details = []Problem{e.Error}
	}
	return out
}

// Stream sends a request without a body and returns the 2xx response for
// the caller to read and close, for answers too large to hold in memory
// (a backup); any other answer is an *Error.
func (c *Client) Stream(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (is 'eventloom serve' running at %s?)", method, path, err, c.base)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return nil, decodeError(resp, b)
}
