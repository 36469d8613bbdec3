package live

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/web/httperr"
)

// request is what a viewer may send: a new filter.
type request struct {
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

// filterOf reads the first filter from the query: ?trace=N, ?app= and
// ?event=Producer.EventName.
func filterOf(q url.Values) (Filter, error) {
	var f Filter
	if a := q.Get("app"); a != "" {
		f.Apps = []string{a}
	}
	if ev := q.Get("event"); ev != "" {
		ref, err := design.ParseEventRef(ev)
		if err != nil {
			return f, &httperr.BadRequest{Code: "bad_query", Field: "event", Message: "event filters name the event as Producer.EventName; got " + strconv.Quote(ev)}
		}
		f.Events = []string{ref.String()}
	}
	if v := q.Get("trace"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, &httperr.BadRequest{Code: "bad_query", Field: "trace", Message: "trace must be a positive whole number; got " + strconv.Quote(v)}
		}
		f.TraceID = id
	}
	return f, nil
}

// Serve upgrades to a websocket that streams envelopes of the hub to one
// viewer until either side closes. Filters may arrive at any time as
// {"filter":{"apps":[...],"events":[...],"traceId":N}}; ?trace=N, ?app=
// and ?event= set the first one. It authorizes nobody (the caller mounts
// it behind its own check); a refusal before the upgrade is returned, for
// the caller to answer with httperr, and one the upgrade itself makes (a
// request that is no websocket handshake) is answered here the same way.
func (s *Server) Serve(c echo.Context) error {
	r := c.Request()
	if !sameOrigin(r) {
		return &fault.Error{Kind: fault.ErrForbidden, Code: "cross_origin", Message: "the live stream is only served to pages of this server"}
	}
	f, err := filterOf(r.URL.Query())
	if err != nil {
		return err
	}
	up := websocket.Upgrader{CheckOrigin: sameOrigin, Error: func(_ http.ResponseWriter, _ *http.Request, status int, reason error) {
		_ = httperr.WriteJSON(c, s.log, upgradeRefusal(status, reason))
	}}
	conn, err := up.Upgrade(c.Response(), r, nil)
	if err != nil {
		// The upgrader has answered the client already.
		return nil
	}
	// The HTTP server's read deadline outlives the upgrade: the stream
	// sets its own (writes have writeWait; reads wait for the viewer).
	_ = conn.SetReadDeadline(time.Time{})
	v := s.hub.Join(viewerBuffer, f)
	defer v.Leave()
	defer conn.Close()

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			var req request
			if err := conn.ReadJSON(&req); err != nil {
				return
			}
			if req.Filter != nil {
				v.SetFilter(*req.Filter)
			}
		}
	}()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-closed:
			return nil
		case <-s.done:
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
			return nil
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return nil
			}
		case m := <-v.Stats():
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WritePreparedMessage(m.prepared); err != nil {
				return nil
			}
		case b := <-v.C():
			_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WritePreparedMessage(b.frame.prepared); err != nil {
				return nil
			}
		}
	}
}

// upgradeRefusal is the error of a request the websocket upgrade refused
// with status: one that is no websocket handshake is a bad request that
// says how to connect.
func upgradeRefusal(status int, reason error) error {
	if status == http.StatusBadRequest {
		return &httperr.BadRequest{Code: "not_websocket", Message: "the live stream is a websocket (" + reason.Error() + "); connect with a websocket client, which sends the Upgrade: websocket handshake"}
	}
	return echo.NewHTTPError(status, "the live stream could not open: "+reason.Error())
}
