package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/eventloom/eventloom/web/request"
	"github.com/labstack/echo/v4"
)

// throttleWindow is the window failed credential checks are counted in.
const throttleWindow = time.Minute

// throttle slows password and token guessing: it counts wrong sign-ins
// and wrong bearer tokens per client address and in total over a fixed
// one-minute window, and while either count is at its limit every further
// attempt is refused with 429 and Retry-After, before any check is made.
// A right credential never counts. Clients are told apart by the
// connection's address, never by a header a client can forge.
type throttle struct {
	now       func() time.Time
	perClient int
	global    int

	mu      sync.Mutex
	start   time.Time // of the current window
	clients map[string]int
	total   int
}

func newThrottle(now func() time.Time, perClient, global int) *throttle {
	return &throttle{now: now, perClient: perClient, global: global, clients: map[string]int{}}
}

// roll starts a new window when the current one has passed. Call with mu.
func (t *throttle) roll(now time.Time) {
	if now.Sub(t.start) >= throttleWindow {
		t.start, t.total = now, 0
		clear(t.clients)
	}
}

// wait returns how long client must wait before another attempt, 0 when
// it may try now.
func (t *throttle) wait(client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.roll(now)
	if t.clients[client] >= t.perClient || t.total >= t.global {
		return t.start.Add(throttleWindow).Sub(now)
	}
	return 0
}

// failed counts one wrong credential of client.
func (t *throttle) failed(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(t.now())
	t.clients[client]++
	t.total++
}

// refuseIfThrottled answers 429 with Retry-After when the request's client
// has used up its attempts; it returns nil when the attempt may go on.
func (s *Server) refuseIfThrottled(c echo.Context) error {
	d := s.throttle.wait(request.ClientOf(c.Request()))
	if d <= 0 {
		return nil
	}
	secs := int((d + time.Second - 1) / time.Second)
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return echo.NewHTTPError(http.StatusTooManyRequests, "too many wrong sign-ins or tokens from this address; try again in "+strconv.Itoa(secs)+" s")
}
