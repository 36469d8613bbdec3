package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/clock"
)

// TestWrongCredentialsAreThrottled: ten wrong sign-ins a minute are
// answered 401; the eleventh is 429 with Retry-After, and so is the right
// token until the minute is over. Wrong bearer tokens on the API count
// the same way.
func TestWrongCredentialsAreThrottled(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	s := newAPIServer(t, engine.Config{Clock: clk})
	signIn := func(token string) *http.Response {
		c := newConsoleClient(t, s.url, http.DefaultClient)
		resp, _ := c.send("POST", "/signin", url.Values{"token": {token}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
		return resp
	}
	for i := 1; i <= 10; i++ {
		if resp := signIn("wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong sign-in %d = %d, want 401", i, resp.StatusCode)
		}
	}
	resp := signIn("wrong")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the 11th wrong sign-in in a minute = %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := signIn(adminToken); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right token while throttled = %d, want 429 (no check is made)", resp.StatusCode)
	}
	if code, _, _ := s.call("GET", "/api/v1/apps", "wrong-token", ""); code != http.StatusTooManyRequests {
		t.Fatalf("a wrong bearer token from a throttled address = %d, want 429", code)
	}
	clk.Advance(time.Minute)
	if resp := signIn(adminToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right token a minute later = %d, want 303 (signed in)", resp.StatusCode)
	}
	for i := 1; i <= 10; i++ {
		if code, _, _ := s.call("GET", "/api/v1/apps", "elk_wrong-key", ""); code != http.StatusUnauthorized {
			t.Fatalf("wrong bearer %d = %d, want 401", i, code)
		}
	}
	if code, _, _ := s.call("POST", "/api/v1/apps/Shop/events/Paid/trigger", "elk_wrong-key", "{}"); code != http.StatusTooManyRequests {
		t.Fatalf("the 11th wrong key = %d, want 429", code)
	}
	if code, _, _ := s.call("GET", "/api/v1/apps", adminToken, ""); code != http.StatusTooManyRequests {
		t.Fatalf("the admin token from a throttled address = %d, want 429", code)
	}
}
