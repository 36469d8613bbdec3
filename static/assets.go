package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Assets serves FS with what a browser needs to fetch each file once:
// a content hash as the ETag (a revisit gets 304, no body), a versioned
// URL (?v=hash) cached for a year as immutable, and a gzip copy made once
// at start-up for text files. A file changes only with the binary, so
// everything is computed in NewAssets and never again.
type Assets struct {
	files map[string]*asset
}

type asset struct {
	body, gz    []byte
	etag, ctype string
	version     string
}

// compressMin is the smallest file worth a gzip copy: below about a
// packet, the header costs more than it saves.
const compressMin = 1024

// NewAssets reads and hashes every file of FS, compressing the texts.
func NewAssets() (*Assets, error) {
	a := &Assets{files: map[string]*asset{}}
	err := fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(FS, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := &asset{body: body, version: hex.EncodeToString(sum[:6])}
		f.etag = `"` + f.version + `"`
		f.ctype = mime.TypeByExtension(path.Ext(name))
		if f.ctype == "" {
			f.ctype = http.DetectContentType(body)
		}
		if len(body) >= compressMin && compressible(f.ctype) {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			if _, err := zw.Write(body); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if buf.Len() < len(body) {
				f.gz = buf.Bytes()
			}
		}
		a.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	return a, nil
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

// URL is the address of a file of FS (such as "dist/designer.js") with
// its version, for a page to link: the version changes with the content,
// so the browser may keep it for a year.
func (a *Assets) URL(name string) string {
	if f, ok := a.files[name]; ok {
		return "/static/" + name + "?v=" + f.version
	}
	return "/static/" + name
}

// URLs maps every file's name to URL(name), for templates.
func (a *Assets) URLs() map[string]string {
	out := make(map[string]string, len(a.files))
	for name := range a.files {
		out[name] = a.URL(name)
	}
	return out
}

// ServeHTTP serves the file named by the path (mounted with the /static/
// prefix stripped).
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == f.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache") // revalidate: a 304 costs no body
	}
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.ctype)
	body := f.body
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q above 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		if !strings.EqualFold(enc, "gzip") && enc != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			v, err := strconv.ParseFloat(q, 64)
			return err == nil && v > 0
		}
		return true
	}
	return false
}
