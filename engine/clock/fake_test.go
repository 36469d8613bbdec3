package clock_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/eventloom/eventloom/engine/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// recorder collects which callbacks ran and the fake time each saw. Tests
// run in a synctest bubble, so synctest.Wait makes "nothing ran" a fact
// rather than a guess: every callback goroutine has run or is blocked.
type recorder struct {
	mu  sync.Mutex
	ran []int
	at  []time.Time
}

func (r *recorder) f(c *clock.Fake, n int) func() {
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ran = append(r.ran, n)
		r.at = append(r.at, c.Now())
	}
}

func (r *recorder) take() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.ran
	r.ran = nil
	return out
}

func TestFakeAfterFuncFiresOnAdvanceAtItsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(t0)
		var r recorder
		c.AfterFunc(3*time.Second, r.f(c, 3))
		c.AfterFunc(time.Second, r.f(c, 1))
		c.AfterFunc(2*time.Second, r.f(c, 2))
		if c.Pending() != 3 {
			t.Fatalf("pending %d, want 3", c.Pending())
		}

		c.Advance(999 * time.Millisecond)
		synctest.Wait()
		if got := r.take(); len(got) != 0 {
			t.Fatalf("fired %v before their time", got)
		}
		c.Advance(time.Millisecond) // exactly the first one's time
		synctest.Wait()
		if got := r.take(); !slices.Equal(got, []int{1}) {
			t.Fatalf("at 1s fired %v, want [1]", got)
		}
		c.Advance(1500 * time.Millisecond)
		synctest.Wait()
		if got := r.take(); !slices.Equal(got, []int{2}) {
			t.Fatalf("at 2.5s fired %v, want [2]", got)
		}
		if c.Pending() != 1 {
			t.Fatalf("pending %d, want 1", c.Pending())
		}
		c.Set(t0.Add(time.Hour))
		synctest.Wait()
		if got := r.take(); !slices.Equal(got, []int{3}) {
			t.Fatalf("at 1h fired %v, want [3]", got)
		}
		if c.Pending() != 0 || !c.Now().Equal(t0.Add(time.Hour)) {
			t.Fatalf("pending %d now %s", c.Pending(), c.Now())
		}
		if _, ok := c.Next(); ok {
			t.Fatal("Next reports a timer when none is left")
		}
	})
}

// TestFakeStepsThroughTimersInOrder is how engine tests drive a schedule:
// jump to the earliest timer, let it run, repeat. The callbacks then run
// in time order whatever order they were armed in.
func TestFakeStepsThroughTimersInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(t0)
		var r recorder
		for _, n := range []int{5, 1, 4, 2, 3} {
			c.AfterFunc(time.Duration(n)*time.Minute, r.f(c, n))
		}
		want := []time.Time{t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(3 * time.Minute), t0.Add(4 * time.Minute), t0.Add(5 * time.Minute)}
		if got := c.Scheduled(); !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("Scheduled = %v, want %v", got, want)
		}
		for {
			next, ok := c.Next()
			if !ok {
				break
			}
			c.Set(next)
			synctest.Wait()
		}
		if !slices.Equal(r.ran, []int{1, 2, 3, 4, 5}) {
			t.Fatalf("ran %v, want 1 to 5 in order", r.ran)
		}
		for i, at := range r.at {
			if !at.Equal(want[i]) {
				t.Errorf("callback %d saw Now %s, want its own time %s", i+1, at, want[i])
			}
		}
	})
}

func TestFakeOneAdvanceFiresEveryDueTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(t0)
		var r recorder
		for n := 1; n <= 4; n++ {
			c.AfterFunc(time.Duration(n)*time.Second, r.f(c, n))
		}
		c.Advance(3 * time.Second)
		synctest.Wait()
		got := r.take()
		slices.Sort(got) // each runs in its own goroutine, as with time.AfterFunc
		if !slices.Equal(got, []int{1, 2, 3}) {
			t.Fatalf("fired %v, want 1, 2 and 3", got)
		}
		if s := c.Scheduled(); len(s) != 1 || !s[0].Equal(t0.Add(4*time.Second)) {
			t.Fatalf("left %v, want the 4 s timer", s)
		}
	})
}

func TestFakeStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(t0)
		var r recorder
		keep := c.AfterFunc(2*time.Second, r.f(c, 2))
		drop := c.AfterFunc(time.Second, r.f(c, 1))
		if !drop.Stop() {
			t.Fatal("Stop of a pending timer reported false")
		}
		if drop.Stop() {
			t.Fatal("a second Stop reported true")
		}
		if c.Pending() != 1 {
			t.Fatalf("pending %d after Stop, want 1", c.Pending())
		}
		c.Advance(time.Hour)
		synctest.Wait()
		if got := r.take(); !slices.Equal(got, []int{2}) {
			t.Fatalf("fired %v, want only the timer not stopped", got)
		}
		if keep.Stop() {
			t.Fatal("Stop of a timer that already fired reported true")
		}
	})
}

func TestFakeNonPositiveDurationRunsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(t0)
		changed := c.Changed()
		var r recorder
		zero := c.AfterFunc(0, r.f(c, 0))
		neg := c.AfterFunc(-time.Minute, r.f(c, -1))
		synctest.Wait()
		got := r.take()
		slices.Sort(got)
		if !slices.Equal(got, []int{-1, 0}) {
			t.Fatalf("ran %v without advancing, want both", got)
		}
		if c.Pending() != 0 || !c.Now().Equal(t0) {
			t.Fatalf("pending %d now %s: an immediate callback was scheduled or moved time", c.Pending(), c.Now())
		}
		if zero.Stop() || neg.Stop() {
			t.Fatal("Stop of a callback that already ran reported true")
		}
		select {
		case <-changed:
			t.Fatal("an immediate callback signalled Changed")
		default:
		}
	})
}

// TestFakeChanged is the handshake a test uses with code that arms timers
// in its own goroutine: wait on Changed, then advance.
func TestFakeChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewFake(t0)
		first := c.Changed()
		if c.Changed() != first {
			t.Fatal("Changed returned a new channel with no timer armed")
		}
		done := make(chan struct{})
		go func() { // the code under test
			c.AfterFunc(time.Minute, func() { close(done) })
		}()
		<-first
		if next, ok := c.Next(); !ok || !next.Equal(t0.Add(time.Minute)) {
			t.Fatalf("Next = %s %v after Changed", next, ok)
		}
		second := c.Changed()
		select {
		case <-second:
			t.Fatal("the channel after a signal is already closed")
		default:
		}
		c.Advance(time.Minute)
		<-done

		// A callback that re-arms itself signals again, and its timer
		// counts from the time it ran.
		var n atomic.Int32
		var tick func()
		tick = func() {
			if n.Add(1) < 3 {
				c.AfterFunc(time.Second, tick)
			}
		}
		c.AfterFunc(time.Second, tick)
		<-second
		for i := 0; i < 3; i++ {
			armed := c.Changed()
			c.Advance(time.Second)
			synctest.Wait()
			if i < 2 {
				select {
				case <-armed:
				default:
					t.Fatalf("tick %d re-armed without signalling Changed", i+1)
				}
			}
		}
		if n.Load() != 3 || c.Pending() != 0 {
			t.Fatalf("ticks %d pending %d, want 3 and 0", n.Load(), c.Pending())
		}
	})
}

func TestFakeSetNeverGoesBack(t *testing.T) {
	c := clock.NewFake(t0)
	c.Set(t0.Add(time.Hour))
	c.Set(t0)
	c.Advance(-time.Minute)
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Now = %s, want the clock kept at t0+1h", c.Now())
	}
}

// TestFakeConcurrentUse is for the race detector: timers armed, stopped
// and fired from many goroutines while others read the clock. Every
// callback either runs once or is stopped, never both.
func TestFakeConcurrentUse(t *testing.T) {
	c := clock.NewFake(t0)
	const workers, each = 8, 50
	var ran, stopped atomic.Int64
	var fired sync.WaitGroup
	fired.Add(workers * each)
	var work sync.WaitGroup
	for w := 0; w < workers; w++ {
		work.Add(1)
		go func() {
			defer work.Done()
			for i := 0; i < each; i++ {
				tm := c.AfterFunc(time.Duration(i%7)*time.Millisecond, func() { ran.Add(1); fired.Done() })
				if i%3 == 0 && tm.Stop() {
					stopped.Add(1)
					fired.Done()
				}
				switch i % 4 {
				case 0:
					c.Advance(time.Millisecond)
				case 1:
					_ = c.Now()
					_ = c.Pending()
				case 2:
					_ = c.Scheduled()
					_, _ = c.Next()
				case 3:
					select { // never wait: the last worker would wait forever
					case <-c.Changed():
					default:
					}
				}
			}
		}()
	}
	work.Wait()
	c.Advance(time.Hour)
	done := make(chan struct{})
	go func() { fired.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second): // a bound on a signal, not a sleep
		t.Fatalf("ran %d + stopped %d of %d callbacks", ran.Load(), stopped.Load(), workers*each)
	}
	if ran.Load()+stopped.Load() != workers*each || c.Pending() != 0 {
		t.Fatalf("ran %d + stopped %d of %d, pending %d", ran.Load(), stopped.Load(), workers*each, c.Pending())
	}
}

func TestRealClock(t *testing.T) {
	c := clock.Real()
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Fatalf("Real Now is %s away from time.Now", d)
	}
	if !c.AfterFunc(time.Hour, func() { t.Error("a stopped real timer fired") }).Stop() {
		t.Fatal("Stop of a pending real timer reported false")
	}
	done := make(chan struct{})
	c.AfterFunc(0, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a real timer of 0 did not fire")
	}
}
