package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDoSendsTheKeyAndDecodesRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer elk_test" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(`{"id":1}`))
		case "/full":
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"queue_full","message":"Orders.Placed already has 10000 pending occurrences"}}`))
		default:
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("upstream down\n"))
		}
	}))
	defer srv.Close()
	c := New(srv.URL+"/", "elk_test", WithHTTPClient(srv.Client()))
	ctx := context.Background()
	if b, err := c.Do(ctx, http.MethodPost, "/ok", "", map[string]int{"a": 1}); err != nil || string(b) != `{"id":1}` {
		t.Fatalf("Do = %s, %v", b, err)
	}
	_, err := c.Do(ctx, http.MethodPost, "/full", "", nil)
	if !IsCode(err, "queue_full") || err.(*Error).RetryAfter != "5" || !strings.Contains(err.Error(), "429") {
		t.Errorf("queue full = %#v", err)
	}
	_, err = c.Do(ctx, http.MethodGet, "/other", "", nil)
	if e, ok := err.(*Error); !ok || e.Status != 502 || e.Message != "upstream down" {
		t.Errorf("proxy page = %#v", err)
	}
}
