package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/fault"
)

const (
	// liveBuffer is each live viewer's buffer of messages: the hub sends
	// at most one per hubFlushEvery, so this is several seconds of a busy
	// engine; past it the viewer loses messages and sees the gap.
	liveBuffer = 128
	// liveWriteWait bounds one websocket write, so a stalled client is
	// dropped rather than holding its goroutine.
	liveWriteWait = 10 * time.Second
	// livePing keeps idle connections (and proxies) alive.
	livePing = 30 * time.Second
	// liveStats is how often the counters are computed and sent to every
	// viewer, often enough for a rate that reads as live.
	liveStats = time.Second
)

// liveStatsMessage is the counters every viewer gets every liveStats: the
// hub's totals, each event's queue against its cap, each app's runs
// against its limit.
type liveStatsMessage struct {
	Stats struct {
		At       time.Time `json:"at"`
		Counts   Counts    `json:"counts"`
		Queues   any       `json:"queues"`
		InFlight any       `json:"inFlight"`
	} `json:"stats"`
}

// liveRequest is what a viewer may send: a new filter.
type liveRequest struct {
	Filter *Filter `json:"filter"`
}

// sameOrigin refuses a cross-site websocket: a page of another origin
// must not read the live stream with the user's credentials. Requests
// without an Origin (programs, not browsers) pass.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// live upgrades to a websocket that streams envelopes of the hub to one
// viewer until either side closes. Filters may arrive at any time as
// {"filter":{"apps":[...],"events":[...],"traceId":N}}; ?trace=N, ?app=
// and ?event= set the first one.
func (s *Server) live(c echo.Context) error {
	r := c.Request()
	if !sameOrigin(r) {
		return &fault.Error{Kind: fault.ErrForbidden, Code: "cross_origin", Message: "the live stream is only served to pages of this server"}
	}
	q, err := readListQuery(c)
	if err != nil {
		return err
	}
	f := Filter{TraceID: q.traceID}
	if q.app != "" {
		f.Apps = []string{q.app}
	}
	if q.event.App != "" {
		f.Events = []string{q.event.String()}
	}
	up := websocket.Upgrader{CheckOrigin: sameOrigin}
	conn, err := up.Upgrade(c.Response(), r, nil)
	if err != nil {
		// The upgrader has answered the client already.
		return nil
	}
	// The HTTP server's read deadline outlives the upgrade: the stream
	// sets its own (writes have liveWriteWait; reads wait for the viewer).
	_ = conn.SetReadDeadline(time.Time{})
	v := s.hub.Join(liveBuffer, f)
	defer v.Leave()
	defer conn.Close()

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			var req liveRequest
			if err := conn.ReadJSON(&req); err != nil {
				return
			}
			if req.Filter != nil {
				v.SetFilter(*req.Filter)
			}
		}
	}()
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		select {
		case <-closed:
			return nil
		case <-s.done:
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
			return nil
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(liveWriteWait)); err != nil {
				return nil
			}
		case m := <-v.Stats():
			_ = conn.SetWriteDeadline(time.Now().Add(liveWriteWait))
			if err := conn.WritePreparedMessage(m.prepared); err != nil {
				return nil
			}
		case b := <-v.C():
			_ = conn.SetWriteDeadline(time.Now().Add(liveWriteWait))
			if err := conn.WritePreparedMessage(b.msg.prepared); err != nil {
				return nil
			}
		}
	}
}

// liveCounters computes the counters once for every viewer (the hub's
// stats ticker calls it).
func (s *Server) liveCounters(ctx context.Context) (any, error) {
	var m liveStatsMessage
	m.Stats.At = s.eng.Now()
	m.Stats.Counts = s.hub.Counts()
	m.Stats.InFlight = s.eng.InFlight()
	q, err := s.eng.QueueDepths(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	m.Stats.Queues = q
	return m, nil
}
