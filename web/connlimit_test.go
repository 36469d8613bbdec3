package web_test

import (
	"net"
	"testing"
	"time"

	"github.com/eventloom/eventloom/web"
)

// TestLimitPerClient: the third connection of a client limited to two is
// closed unanswered; once one of the two closes, a new one is served.
func TestLimitPerClient(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := web.LimitPerClient(raw, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	wait := func() net.Conn {
		select {
		case c := <-accepted:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("a connection within the limit was not accepted")
		}
		return nil
	}
	dial()
	first := wait()
	dial()
	wait()
	third := dial()
	_ = third.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := third.Read(make([]byte, 1)); err == nil {
		t.Fatalf("the third connection read %d bytes; want it closed", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the third connection was left open; want it closed at once")
	}
	first.Close()
	dial()
	wait()
}
