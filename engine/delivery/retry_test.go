package delivery_test

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

// TestDefaultScheduleIsODCs pins the rule of DESIGN.md: retries wait 2, 4,
// 8, 16, 32 minutes, then 32 minutes for retries 6 to 10, and the failure
// of the 10th retry (the 11th attempt) makes the delivery dead.
func TestDefaultScheduleIsODCs(t *testing.T) {
	for _, unit := range []time.Duration{0, -time.Second} {
		s := delivery.DefaultSchedule(unit)
		if s.MaxRetries != 10 || s.Unit != time.Minute {
			t.Fatalf("DefaultSchedule(%s) = %d retries of %s, want 10 of a minute", unit, s.MaxRetries, s.Unit)
		}
		want := []int{2, 4, 8, 16, 32, 32, 32, 32, 32, 32}
		var total time.Duration
		for i, w := range want {
			failed := i + 1
			wait, dead := s.Next(failed)
			if dead || wait != time.Duration(w)*time.Minute {
				t.Fatalf("after failed attempt %d: wait %s dead %v, want %d min and not dead", failed, wait, dead, w)
			}
			total += wait
		}
		// 2+4+8+16+32 + 5×32 minutes from the first failure to the last retry.
		if total != 222*time.Minute {
			t.Fatalf("the retries span %s, want 3h42m", total)
		}
		for _, failed := range []int{11, 12, 100} {
			if wait, dead := s.Next(failed); !dead || wait != 0 {
				t.Fatalf("after failed attempt %d: wait %s dead %v, want dead", failed, wait, dead)
			}
		}
	}
}

func TestScheduleUnitScales(t *testing.T) {
	s := delivery.DefaultSchedule(time.Second)
	want := []time.Duration{2, 4, 8, 16, 32, 32, 32, 32, 32, 32}
	for i, w := range want {
		if wait, dead := s.Next(i + 1); dead || wait != w*time.Second {
			t.Fatalf("with a 1 s unit, after failed attempt %d: wait %s dead %v, want %s", i+1, wait, dead, w*time.Second)
		}
	}
	if _, dead := s.Next(11); !dead {
		t.Fatal("with a 1 s unit, the 10th retry's failure is not dead")
	}
	if wait, _ := delivery.DefaultSchedule(10 * time.Millisecond).Next(5); wait != 320*time.Millisecond {
		t.Fatalf("fifth wait with a 10 ms unit = %s, want 320ms", wait)
	}
}

func TestCustomSchedule(t *testing.T) {
	s := delivery.Schedule{Waits: []int{1, 3}, MaxRetries: 4, Unit: time.Millisecond}
	// Retries past the list reuse its last entry.
	for i, w := range []time.Duration{1, 3, 3, 3} {
		if wait, dead := s.Next(i + 1); dead || wait != w*time.Millisecond {
			t.Fatalf("custom retry %d: wait %s dead %v, want %s", i+1, wait, dead, w*time.Millisecond)
		}
	}
	if _, dead := s.Next(5); !dead {
		t.Fatal("custom schedule not dead after its last retry failed")
	}

	// Fewer retries than waits: the later waits are never used.
	short := delivery.Schedule{Waits: []int{5, 6, 7}, MaxRetries: 1, Unit: time.Second}
	if wait, dead := short.Next(1); dead || wait != 5*time.Second {
		t.Fatalf("one retry: first failure = %s %v", wait, dead)
	}
	if _, dead := short.Next(2); !dead {
		t.Fatal("one retry: the retry's failure is not dead")
	}

	if _, dead := (delivery.Schedule{MaxRetries: 0, Waits: []int{1}, Unit: time.Second}).Next(1); !dead {
		t.Fatal("no retries: the first failure is not dead")
	}
	if _, dead := (delivery.Schedule{MaxRetries: 3, Unit: time.Second}).Next(1); !dead {
		t.Fatal("no waits: the first failure is not dead")
	}
}
