package clock_test

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestFakeFiresInOrderOnlyWhenDue(t *testing.T) {
	c := clock.NewFake(t0)
	fired := make(chan int, 3)
	c.AfterFunc(2*time.Second, func() { fired <- 2 })
	c.AfterFunc(time.Second, func() { fired <- 1 })
	stopped := c.AfterFunc(1500*time.Millisecond, func() { fired <- 99 })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	if got := c.Scheduled(); len(got) != 2 || !got[0].Equal(t0.Add(time.Second)) {
		t.Fatalf("scheduled = %v", got)
	}
	c.Advance(999 * time.Millisecond)
	select {
	case n := <-fired:
		t.Fatalf("timer %d fired early", n)
	default:
	}
	c.Advance(time.Millisecond)
	if n := <-fired; n != 1 {
		t.Fatalf("fired %d, want 1", n)
	}
	c.Set(t0.Add(time.Hour))
	if n := <-fired; n != 2 {
		t.Fatalf("fired %d, want 2", n)
	}
	if c.Pending() != 0 || !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("pending %d now %s", c.Pending(), c.Now())
	}
	c.Set(t0)
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatal("Set moved the clock backwards")
	}
}

func TestFakeImmediateAndChanged(t *testing.T) {
	c := clock.NewFake(t0)
	changed := c.Changed()
	done := make(chan struct{})
	c.AfterFunc(0, func() { close(done) })
	<-done
	select {
	case <-changed:
		t.Fatal("an immediate callback signalled a scheduled timer")
	default:
	}
	c.AfterFunc(time.Minute, func() {})
	<-changed
	if next, ok := c.Next(); !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("next = %s %v", next, ok)
	}
}
