// Package clock is the time source the engine is given instead of calling
// the time package directly, so retry schedules, leases and handler timeouts
// can be tested by moving a fake clock rather than by sleeping.
package clock

import "time"

// Clock tells the time and schedules callbacks. Real returns the wall clock;
// Fake is moved by hand in tests.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a scheduled callback that can still be cancelled.
type Timer interface {
	// Stop cancels the callback; it reports false when it already ran or
	// was stopped.
	Stop() bool
}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
