package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web"
)

// benchViaHTTP is the value of bench's -via flag that sends the triggers
// over the REST API.
const benchViaHTTP = "http"

// benchServer is the real server of an HTTP or viewers phase, on a free
// loopback port.
type benchServer struct {
	ws  *web.Server
	srv *http.Server
	url string
}

// startBenchServer serves eng's console and API on 127.0.0.1.
func startBenchServer(eng *engine.Engine) (*benchServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listen on loopback: %w", err)
	}
	ws := web.New(web.Config{Engine: eng})
	srv := &http.Server{Handler: ws.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &benchServer{ws: ws, srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// close shuts the server down (live streams end with it).
func (s *benchServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.ws.Close()
	_ = s.srv.Shutdown(ctx)
}

// httpTriggers returns a trigger function that POSTs the rig's payloads
// to the REST trigger endpoint with a key of the producing app, over one
// transport keeping a connection per producer alive; stop releases the
// connections.
func (r *benchRig) httpTriggers(ctx context.Context, base string, producers int) (trigger triggerFunc, stop func(), err error) {
	key, err := r.eng.CreateKey(ctx, r.ref.App)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: app key: %w", err)
	}
	bodies := make([][]byte, len(r.payloads))
	for i, p := range r.payloads {
		if bodies[i], err = json.Marshal(p); err != nil {
			return nil, nil, fmt.Errorf("bench: payload: %w", err)
		}
	}
	tr := &http.Transport{MaxIdleConns: producers, MaxIdleConnsPerHost: producers, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr}
	endpoint := base + "/api/v1/apps/" + url.PathEscape(r.ref.App) + "/events/" + url.PathEscape(r.ref.Event) + "/trigger"
	auth := "Bearer " + key.Clear
	trigger = func(ctx context.Context, k int64) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(bodies[k%int64(len(bodies))]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return fmt.Errorf("trigger over HTTP: %s: %s", resp.Status, strings.TrimSpace(string(b)))
		}
		// Read the answer to its end, so the connection goes back to the
		// pool for the next trigger.
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return trigger, tr.CloseIdleConnections, nil
}

// benchViewers is n live viewers connected to a server's websocket,
// reading every message.
type benchViewers struct {
	conns    []*websocket.Conn
	messages atomic.Uint64
	wg       sync.WaitGroup
	// counting says when read messages count (the measured window).
	counting *atomic.Bool
}

// connectViewers opens n websockets to base's /api/v1/live with a viewer
// account's token and reads from each until close.
func connectViewers(ctx context.Context, eng *engine.Engine, base string, n int, counting *atomic.Bool) (*benchViewers, error) {
	if _, err := eng.CreateUser(ctx, engine.NewUser{Name: "benchviewer", Role: "viewer", Password: "bench-viewer-password-0123"}); err != nil {
		return nil, fmt.Errorf("bench: viewer account: %w", err)
	}
	tok, err := eng.CreateUserToken(ctx, "benchviewer")
	if err != nil {
		return nil, fmt.Errorf("bench: viewer token: %w", err)
	}
	h := http.Header{"Authorization": {"Bearer " + tok.Clear}}
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live"
	bv := &benchViewers{counting: counting}
	for i := 0; i < n; i++ {
		c, resp, err := websocket.DefaultDialer.DialContext(ctx, u, h)
		if err != nil {
			bv.close()
			if resp != nil {
				return nil, fmt.Errorf("bench: viewer %d of %d: %s: %w", i+1, n, resp.Status, err)
			}
			return nil, fmt.Errorf("bench: viewer %d of %d: %w", i+1, n, err)
		}
		bv.conns = append(bv.conns, c)
		bv.wg.Add(1)
		go bv.read(c)
	}
	return bv, nil
}

// read reads every message of c, as a page would, until c closes.
func (bv *benchViewers) read(c *websocket.Conn) {
	defer bv.wg.Done()
	for {
		_, r, err := c.NextReader()
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return
		}
		if bv.counting.Load() {
			bv.messages.Add(1)
		}
	}
}

// close hangs up every viewer and waits for the readers.
func (bv *benchViewers) close() {
	for _, c := range bv.conns {
		_ = c.Close()
	}
	bv.wg.Wait()
}

// runServedPhase runs one phase in a fresh rig in dir with a real server
// on loopback; measure is given both.
func runServedPhase(ctx context.Context, c benchConfig, dir string, progress io.Writer, measure func(*benchRig, *benchServer) (*benchPhase, error)) (*benchPhase, error) {
	rig, err := newBenchRig(ctx, c, dir, progress)
	if err != nil {
		return nil, err
	}
	defer rig.close()
	srv, err := startBenchServer(rig.eng)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	return measure(rig, srv)
}

// runHTTPPhase runs the workload with the triggers sent over the REST
// API of a real server on loopback.
func runHTTPPhase(ctx context.Context, c benchConfig, dir string, progress io.Writer) (*benchPhase, error) {
	return runServedPhase(ctx, c, dir, progress, func(rig *benchRig, srv *benchServer) (*benchPhase, error) {
		trigger, stop, err := rig.httpTriggers(ctx, srv.url, c.Producers)
		if err != nil {
			return nil, err
		}
		defer stop()
		return rig.measure(ctx, c, "via http", trigger, phaseProfile(c.cpuProfile, "http"), progress)
	})
}

// runViewersPhase runs the in-process workload while c.Viewers live
// viewers read a real server's websocket.
func runViewersPhase(ctx context.Context, c benchConfig, dir string, progress io.Writer) (*benchPhase, error) {
	return runServedPhase(ctx, c, dir, progress, func(rig *benchRig, srv *benchServer) (*benchPhase, error) {
		bv, err := connectViewers(ctx, rig.eng, srv.url, c.Viewers, &rig.measuring)
		if err != nil {
			return nil, err
		}
		defer bv.close()
		hub := srv.ws.Hub()
		dropped0, skipped0 := hub.ViewerDropped(), hub.Skipped()
		ph, err := rig.measure(ctx, c, fmt.Sprintf("%d viewers", c.Viewers), rig.inProcess, phaseProfile(c.cpuProfile, "viewers"), progress)
		if err != nil {
			return nil, err
		}
		ph.Viewers = c.Viewers
		ph.ViewerMessages = bv.messages.Load()
		ph.ViewerMsgsPerS = float64(ph.ViewerMessages) / ph.Seconds
		ph.ViewerDropped = hub.ViewerDropped() - dropped0
		ph.ViewerSkipped = hub.Skipped() - skipped0
		return ph, nil
	})
}

// checkBenchVia refuses a -via that names no way the bench triggers.
func checkBenchVia(via string) error {
	switch via {
	case "", benchViaHTTP:
		return nil
	}
	return errors.New("-via is " + fmt.Sprintf("%q", via) + "; use http (triggers over the REST API of a server on loopback, reported beside the in-process run), or leave it out")
}

// phaseProfile is where a compared phase writes its CPU profile: beside
// the in-process one (-cpuprofile cpu.out: cpu.out.http, cpu.out.viewers),
// or nowhere without -cpuprofile.
func phaseProfile(cpuProfile, phase string) string {
	if cpuProfile == "" {
		return ""
	}
	return cpuProfile + "." + phase
}
