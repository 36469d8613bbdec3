package series

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// last returns the column's last value, where the frame's now falls.
func last[T any](col []T) T { return col[len(col)-1] }

// TestWindowsPlacePointsAndForgetTheOld counts triggers in 10-second
// points for an hour and one-minute points for a day; what is older than
// a window leaves it, and a slot reused an hour later starts from zero.
func TestWindowsPlacePointsAndForgetTheOld(t *testing.T) {
	s := New(Config{})
	s.Trigger(t0, "Shop.Placed", "Shop", true)
	s.Trigger(t0.Add(5*time.Second), "Shop.Placed", "Shop", false)
	s.Trigger(t0.Add(15*time.Second), "Shop.Placed", "Shop", true)

	f := s.Frame(Total(), Hour, t0.Add(19*time.Second))
	if len(f.Times) != 360 || f.StepSeconds != 10 {
		t.Fatalf("hour frame has %d points of %ds, want 360 of 10s", len(f.Times), f.StepSeconds)
	}
	if got, want := last(f.Times), t0.Add(10*time.Second).Unix(); got != want {
		t.Fatalf("last point starts at %d, want %d (the 10s step holding now)", got, want)
	}
	n := len(f.Times)
	if f.Accepted[n-1] != 1 || f.Accepted[n-2] != 1 || f.Refused[n-2] != 1 || f.Refused[n-1] != 0 {
		t.Fatalf("accepted %v, refused %v at the last two points; want [1 1] and [1 0]", f.Accepted[n-2:], f.Refused[n-2:])
	}
	if f.Totals.Accepted != 2 || f.Totals.Refused != 1 {
		t.Fatalf("totals %+v, want 2 accepted, 1 refused", f.Totals)
	}
	d := s.Frame(Total(), Day, t0.Add(30*time.Second))
	if len(d.Times) != 1440 || d.StepSeconds != 60 || last(d.Accepted) != 2 || last(d.Refused) != 1 {
		t.Fatalf("day frame: %d points of %ds, last accepted %d refused %d; want 1440 of 60s, 2 and 1",
			len(d.Times), d.StepSeconds, last(d.Accepted), last(d.Refused))
	}

	// An hour later the hour window has forgotten them; the slot of the
	// third trigger is written again and holds only the new one.
	later := t0.Add(time.Hour + 10*time.Second)
	s.Trigger(later, "Shop.Placed", "Shop", true)
	f = s.Frame(Total(), Hour, later.Add(time.Second))
	if f.Totals.Accepted != 1 || f.Totals.Refused != 0 || last(f.Accepted) != 1 {
		t.Fatalf("an hour later the hour window counts %+v, want only the new trigger", f.Totals)
	}
	if d = s.Frame(Total(), Day, later.Add(time.Second)); d.Totals.Accepted != 3 || d.Totals.Refused != 1 {
		t.Fatalf("the day window counts %+v, want all 3 accepted and 1 refused", d.Totals)
	}
	// A day later the day window has forgotten the first three.
	if d = s.Frame(Total(), Day, t0.Add(24*time.Hour+30*time.Second)); d.Totals.Accepted != 1 || d.Totals.Refused != 0 {
		t.Fatalf("a day later the day window counts %+v, want only the trigger of an hour after", d.Totals)
	}
}

// TestLinesPerEventAndApp: a trigger counts for its event and its owner,
// an attempt for its event and its handling app; other lines stay empty.
func TestLinesPerEventAndApp(t *testing.T) {
	s := New(Config{})
	s.Trigger(t0, "Shop.Placed", "Shop", true)
	s.Attempt(t0, "Shop.Placed", "Stock", Succeeded, time.Millisecond)
	s.Attempt(t0, "Shop.Placed", "Mail", Failed, time.Millisecond)
	s.Attempt(t0, "Shop.Placed", "Mail", Dead, time.Millisecond)
	now := t0.Add(time.Second)
	cases := []struct {
		key                                   Key
		accepted, succeeded, failed, dead, fl uint64
	}{
		{Total(), 1, 1, 1, 1, 2},
		{Key{Event: "Shop.Placed"}, 1, 1, 1, 1, 2},
		{Key{App: "Shop"}, 1, 0, 0, 0, 0},
		{Key{App: "Stock"}, 0, 1, 0, 0, 0},
		{Key{App: "Mail"}, 0, 0, 1, 1, 2},
		{Key{Event: "Shop.Other"}, 0, 0, 0, 0, 0},
	}
	for _, c := range cases {
		tot := s.Frame(c.key, Hour, now).Totals
		if tot.Accepted != c.accepted || tot.Succeeded != c.succeeded || tot.Failed != c.failed || tot.Dead != c.dead || tot.Failures != c.fl {
			t.Errorf("%+v: totals %+v; want accepted %d succeeded %d failed %d dead %d failures %d",
				c.key, tot, c.accepted, c.succeeded, c.failed, c.dead, c.fl)
		}
	}
}

// TestLatencyPercentiles: runs of 1..100 ms give percentiles within the
// factor-2 bin that holds the true value, in order; a step without runs
// has none.
func TestLatencyPercentiles(t *testing.T) {
	s := New(Config{})
	for ms := 1; ms <= 100; ms++ {
		s.Attempt(t0, "Shop.Placed", "Stock", Succeeded, time.Duration(ms)*time.Millisecond)
	}
	s.Attempt(t0, "Shop.Placed", "Stock", Succeeded, -1) // unknown run time: counted, not timed
	f := s.Frame(Total(), Hour, t0)
	p50, p95, p99 := last(f.LatencyP50Ms), last(f.LatencyP95Ms), last(f.LatencyP99Ms)
	if p50 == nil || p95 == nil || p99 == nil {
		t.Fatalf("percentiles missing: %v %v %v", p50, p95, p99)
	}
	if *p50 < 32 || *p50 > 64 || *p95 < 64 || *p95 > 128 || *p99 < 64 || *p99 > 128 || *p50 > *p95 || *p95 > *p99 {
		t.Fatalf("p50 %.3f p95 %.3f p99 %.3f ms; want p50 in [32,64], p95 and p99 in [64,128], in order", *p50, *p95, *p99)
	}
	if f.Totals.Succeeded != 101 {
		t.Fatalf("succeeded %d, want 101", f.Totals.Succeeded)
	}
	if f.LatencyP50Ms[len(f.Times)-2] != nil {
		t.Fatal("a step without runs has a latency")
	}
}

// TestQueueKeepsTheFullestSample: a step keeps its fullest sample per
// event, and the total the fullest event; steps without samples are null.
func TestQueueKeepsTheFullestSample(t *testing.T) {
	s := New(Config{})
	s.Queue(t0, []Depth{{Event: "Shop.Placed", App: "Shop", Pending: 7, Cap: 100}, {Event: "Shop.Paid", App: "Shop", Pending: 3, Cap: 100}})
	s.Queue(t0.Add(2*time.Second), []Depth{{Event: "Shop.Placed", App: "Shop", Pending: 2, Cap: 100}, {Event: "Shop.Paid", App: "Shop", Pending: 9, Cap: 100}})
	now := t0.Add(5 * time.Second)
	for key, want := range map[Key]uint32{Total(): 9, {Event: "Shop.Placed"}: 7, {Event: "Shop.Paid"}: 9, {App: "Shop"}: 9} {
		f := s.Frame(key, Hour, now)
		if p, c := last(f.QueuePending), last(f.QueueCap); p == nil || c == nil || *p != want || *c != 100 {
			t.Errorf("%+v: queue %v of %v, want %d of 100", key, p, c, want)
		}
		if f.Totals.QueuePending == nil || *f.Totals.QueuePending != want {
			t.Errorf("%+v: latest queue %v, want %d", key, f.Totals.QueuePending, want)
		}
		if f.QueuePending[len(f.Times)-2] != nil {
			t.Errorf("%+v: a step without samples has a queue", key)
		}
	}
}

// TestMaxLinesBoundsMemory: past MaxLines a new event or app gets no
// line of its own, is still counted in the total, and Status says so.
func TestMaxLinesBoundsMemory(t *testing.T) {
	s := New(Config{MaxLines: 2})
	s.Trigger(t0, "Shop.Placed", "Shop", true) // two lines: the event and Shop
	s.Trigger(t0, "Shop.Paid", "Shop", true)   // no room for Shop.Paid
	if tot := s.Frame(Total(), Hour, t0).Totals; tot.Accepted != 2 {
		t.Fatalf("total %+v, want 2 accepted", tot)
	}
	if tot := s.Frame(Key{App: "Shop"}, Hour, t0).Totals; tot.Accepted != 2 {
		t.Fatalf("Shop %+v, want 2 accepted", tot)
	}
	if tot := s.Frame(Key{Event: "Shop.Paid"}, Hour, t0).Totals; tot.Accepted != 0 {
		t.Fatalf("Shop.Paid has a line past the bound: %+v", tot)
	}
	if st := s.Status(); st.LinesRefused != 1 {
		t.Fatalf("status %+v, want 1 line refused", st)
	}
}
