package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestBenchReceiverVerifies: the bench's receiver counts a correctly
// signed webhook (while measuring) and refuses one signed with another
// secret, so a bench run's webhook numbers are of verified deliveries.
func TestBenchReceiverVerifies(t *testing.T) {
	var measuring atomic.Bool
	measuring.Store(true)
	r := &benchReceiver{measuring: &measuring}
	good, _ := standardwebhooks.NewWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	other, _ := standardwebhooks.NewWebhook("whsec_bm90IHRoZSBzYW1lIHNlY3JldCBhdCBhbGw=")
	r.wh.Store(good)
	post := func(wh *standardwebhooks.Webhook) int {
		body := `{"specversion":"1.0","id":"7"}`
		now := time.Now()
		sig, err := wh.Sign("7", now, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/bench", strings.NewReader(body))
		req.Header.Set("webhook-id", "7")
		req.Header.Set("webhook-timestamp", strconvUnix(now))
		req.Header.Set("webhook-signature", sig)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(good); code != http.StatusNoContent || r.verified.Load() != 1 {
		t.Fatalf("good signature: %d, %d verified; want 204 and 1", code, r.verified.Load())
	}
	if code := post(other); code != http.StatusUnauthorized || r.refused.Load() != 1 || r.verified.Load() != 1 {
		t.Fatalf("other secret: %d, %d refused; want 401 and 1", code, r.refused.Load())
	}
	if err := checkBenchHandler("grpc"); err == nil || !strings.Contains(err.Error(), "use go") {
		t.Fatalf("unknown -handler: %v", err)
	}
}

func strconvUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
