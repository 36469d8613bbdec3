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
	s := delivery.DefaultSchedule(0)
	want := []int{2, 4, 8, 16, 32, 32, 32, 32, 32, 32}
	for i, w := range want {
		wait, dead := s.Next(i + 1)
		if dead || wait != time.Duration(w)*time.Minute {
			t.Fatalf("after failed attempt %d: wait %s dead %v, want %d min", i+1, wait, dead, w)
		}
	}
	if _, dead := s.Next(11); !dead {
		t.Fatal("the 11th failed attempt (10th retry) is not dead")
	}
}

func TestScheduleUnitAndCustomWaits(t *testing.T) {
	if wait, _ := delivery.DefaultSchedule(time.Second).Next(3); wait != 8*time.Second {
		t.Fatalf("third wait with a 1 s unit = %s, want 8s", wait)
	}
	s := delivery.Schedule{Waits: []int{1, 3}, MaxRetries: 3, Unit: time.Millisecond}
	for i, w := range []time.Duration{1, 3, 3} {
		if wait, dead := s.Next(i + 1); dead || wait != w*time.Millisecond {
			t.Fatalf("custom retry %d: %s %v", i+1, wait, dead)
		}
	}
	if _, dead := s.Next(4); !dead {
		t.Fatal("custom schedule not dead after its last retry")
	}
	if _, dead := (delivery.Schedule{MaxRetries: 0, Waits: []int{1}, Unit: time.Second}).Next(1); !dead {
		t.Fatal("no retries: the first failure is not dead")
	}
}

func TestStatusFinished(t *testing.T) {
	for s, fin := range map[delivery.Status]bool{
		delivery.Pending: false, delivery.Running: false, delivery.Retrying: false,
		delivery.Succeeded: true, delivery.Dead: true, delivery.Discarded: true,
	} {
		if s.Finished() != fin || !s.Valid() {
			t.Errorf("%s: Finished %v Valid %v", s, s.Finished(), s.Valid())
		}
	}
	if delivery.Status("lost").Valid() {
		t.Error("an unknown status is valid")
	}
}
