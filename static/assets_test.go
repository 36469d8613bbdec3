package static

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAssetsServeOnceThenRevalidate: a text file comes gzipped with an
// ETag; asking again with it is a 304 without a body; the versioned URL is
// cached for a year; an unversioned one must revalidate.
func TestAssetsServeOnceThenRevalidate(t *testing.T) {
	a, err := NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		return rec
	}
	u := strings.TrimPrefix(a.URL("app.css"), "/static")
	if !strings.Contains(u, "?v=") {
		t.Fatalf("URL(app.css) = %q; want a version", u)
	}
	first := get(u, map[string]string{"Accept-Encoding": "br, gzip"})
	if first.Code != 200 || first.Header().Get("Content-Encoding") != "gzip" || first.Header().Get("ETag") == "" ||
		!strings.Contains(first.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(first.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("first GET = %d %v", first.Code, first.Header())
	}
	zr, err := gzip.NewReader(first.Body)
	if err != nil {
		t.Fatal(err)
	}
	css, _ := io.ReadAll(zr)
	if !strings.Contains(string(css), "{") {
		t.Fatalf("gunzipped app.css = %.40q", css)
	}
	again := get("/app.css", map[string]string{"If-None-Match": first.Header().Get("ETag")})
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 || again.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("revalidation = %d, %d bytes, %v; want 304 with no body", again.Code, again.Body.Len(), again.Header())
	}
	plain := get("/app.css", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" || !strings.Contains(plain.Body.String(), "{") {
		t.Fatalf("a client refusing gzip got %d %v", plain.Code, plain.Header())
	}
	if miss := get("/nope.js", nil); miss.Code != 404 {
		t.Fatalf("unknown file = %d", miss.Code)
	}
}
