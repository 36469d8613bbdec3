package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web"
)

// countingReader is an endless body that counts what the server read.
type countingReader struct{ n atomic.Int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	r.n.Add(int64(len(p)))
	return len(p), nil
}

// TestUnauthenticatedBodiesAreReadOnlyAsFarAsNeeded: anyone may post to
// /signin, so a multipart body is refused unread and a large form is
// refused after at most the sign-in's limit, never parsed in full.
func TestUnauthenticatedBodiesAreReadOnlyAsFarAsNeeded(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	for _, c := range []struct {
		name, ctype string
		status      int
		maxRead     int64
	}{
		{"multipart", "multipart/form-data; boundary=x", http.StatusUnsupportedMediaType, 0},
		{"huge form", "application/x-www-form-urlencoded", http.StatusRequestEntityTooLarge, 64 << 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := &countingReader{}
			req := httptest.NewRequest("POST", "/signin", io.LimitReader(body, 100<<20))
			req.Header.Set("Content-Type", c.ctype)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			rec := httptest.NewRecorder()
			s.web.Handler().ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body.String())
			}
			if got := body.n.Load(); got > c.maxRead {
				t.Fatalf("the server read %d bytes of a 100 MB body, want at most %d", got, c.maxRead)
			}
		})
	}
}

// TestResponsesCarrySecurityHeaders: pages and API answers alike say
// nosniff, refuse framing and carry the CSP.
func TestResponsesCarrySecurityHeaders(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	for _, path := range []string{"/signin", "/api/v1/apps", "/static/app.css"} {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("%s headers = %v", path, h)
		}
	}
}

// TestClientHangingUpIsNoError: a request whose client went away before
// its answer is logged at debug, never as an error.
func TestClientHangingUpIsNoError(t *testing.T) {
	var logs strings.Builder
	s := newAPIServer(t, engine.Config{})
	ws := web.New(web.Config{Engine: s.eng, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	t.Cleanup(ws.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/api/v1/occurrences", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	ws.Handler().ServeHTTP(httptest.NewRecorder(), req)
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "client went away") {
		t.Fatalf("logs = %q; want a debug line and no error", logs.String())
	}
}

// TestFaviconIsTheConsolesIcon: a browser asking for /favicon.ico (it
// does on a JSON document opened in a tab) gets the console's icon, not
// a 404, without signing in.
func TestFaviconIsTheConsolesIcon(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	resp, err := http.Get(s.url + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/svg+xml") {
		t.Fatalf("/favicon.ico = %d %s via %s; want the SVG icon", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Request.URL)
	}
}
