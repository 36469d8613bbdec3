package web

import (
	"net"
	"sync"
)

// LimitPerClient wraps ln so one client address holds at most max open
// connections: a further one is closed as soon as it is accepted, so a
// single client cannot use up the server's file descriptors and goroutines
// with idle or slow connections. max <= 0 means no limit.
func LimitPerClient(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &clientLimiter{Listener: ln, max: max, open: map[string]int{}}
}

type clientLimiter struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int // client host -> open connections
}

// Accept returns the next connection within its client's limit; over it,
// connections are closed unanswered and Accept waits for the next one.
func (l *clientLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := c.RemoteAddr().String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		l.mu.Lock()
		if l.open[host] >= l.max {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, release: func() { l.release(host) }}, nil
	}
}

func (l *clientLimiter) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
