package delivery

import "time"

// Schedule says how long a failed delivery waits before each retry and when
// it is dead. The zero value is not useful; DefaultSchedule is ODC's.
type Schedule struct {
	// Waits[i] is the wait before retry i+1, in Units; retries past the
	// list reuse its last entry.
	Waits []int
	// MaxRetries is how many retries follow the first attempt; after the
	// last one fails the delivery is dead.
	MaxRetries int
	// Unit scales Waits: a minute in production, a second for demos.
	Unit time.Duration
}

// DefaultSchedule is the ODC rule: up to 10 retries, waiting 2, 4, 8, 16 and
// 32 minutes, then 32 minutes for retries 6 to 10. unit replaces the minute
// (0 keeps it).
func DefaultSchedule(unit time.Duration) Schedule {
	if unit <= 0 {
		unit = time.Minute
	}
	return Schedule{Waits: []int{2, 4, 8, 16, 32}, MaxRetries: 10, Unit: unit}
}

// Next says what follows a failed attempt, given how many attempts have now
// failed (1 after the first). It returns the wait before the next retry, or
// dead true when the failure was the last retry.
func (s Schedule) Next(failedAttempts int) (wait time.Duration, dead bool) {
	retry := failedAttempts // the retry that would come next, 1-based
	if retry > s.MaxRetries || len(s.Waits) == 0 {
		return 0, true
	}
	i := retry - 1
	if i >= len(s.Waits) {
		i = len(s.Waits) - 1
	}
	return time.Duration(s.Waits[i]) * s.Unit, false
}
