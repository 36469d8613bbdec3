package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// undoMigration15 takes a database back to before migration 15 as an
// older program would have left it: every folded attempt in attempts.
var undoMigration15 = []string{
	`INSERT INTO attempts (delivery_id, number, started_at, finished_at, outcome)
		SELECT id, attempts, folded_start, updated_at, 'succeeded' FROM deliveries WHERE folded_start <> 0`,
	"ALTER TABLE deliveries DROP COLUMN folded_start",
}

// foldFixture finishes the three deliveries of one occurrence: a plain
// success (its attempt stays on the delivery row), a success with a log
// and one with a webhook's response (each an attempts row). It returns
// the deliveries as read back.
func foldFixture(t *testing.T, f *fixture) []delivery.Delivery {
	t.Helper()
	ctx := context.Background()
	r := f.insert(t, 0, true)
	for i, c := range r.Deliveries {
		p := finish(c, delivery.Succeeded)
		p.Attempt.StartedAt = t0.Add(time.Duration(i) * time.Millisecond)
		switch i {
		case 1:
			p.Attempt.Log = []string{"charged"}
		case 2:
			p.Attempt.Response = &delivery.Response{Status: 204}
		}
		if _, err := f.s.DeliveryComplete(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	var out []delivery.Delivery
	for i, c := range r.Deliveries {
		d, err := f.s.DeliveryGet(ctx, c.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.AttemptList) != 1 {
			t.Fatalf("delivery %d has %d attempts, want 1", i, len(d.AttemptList))
		}
		a := d.AttemptList[0]
		if a.DeliveryID != c.DeliveryID || a.Number != 1 || !a.StartedAt.Equal(t0.Add(time.Duration(i)*time.Millisecond)) ||
			!a.FinishedAt.Equal(t0.Add(time.Second)) || a.Outcome != delivery.OutcomeSucceeded {
			t.Fatalf("delivery %d's attempt = %+v, want number 1 from %v to %v, succeeded", i, a, t0.Add(time.Duration(i)*time.Millisecond), t0.Add(time.Second))
		}
		out = append(out, d)
	}
	if out[1].AttemptList[0].Log == nil || out[2].AttemptList[0].Response == nil || out[0].AttemptList[0].Log != nil || out[0].AttemptList[0].Response != nil {
		t.Fatalf("attempts = %+v, %+v, %+v; want the log on the second and the response on the third only", out[0].AttemptList[0], out[1].AttemptList[0], out[2].AttemptList[0])
	}
	return out
}

// TestPlainSuccessKeepsItsAttemptOnTheDelivery: only the successes with
// something to say beyond their times write an attempts row, and every
// reader of attempts (a delivery's list, the finished attempts of a
// window) finds all three alike.
func TestPlainSuccessKeepsItsAttemptOnTheDelivery(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, t.TempDir())
	ds := foldFixture(t, f)
	if n := count(t, f.s, "SELECT count(*) FROM attempts"); n != 2 {
		t.Fatalf("attempts holds %d rows, want the 2 with a log or a response", n)
	}
	if n := count(t, f.s, "SELECT count(*) FROM deliveries WHERE folded_start <> 0"); n != 1 {
		t.Fatalf("%d deliveries keep their attempt, want the plain success's", n)
	}
	for _, w := range []struct {
		since, until time.Time
		want         int
	}{
		{t0, t0.Add(time.Hour), 3},
		{t0.Add(time.Second), t0.Add(time.Second + 1), 3},
		{t0.Add(time.Second + 1), t0.Add(time.Hour), 0},
		{t0, t0.Add(time.Second), 0},
	} {
		page, err := f.s.AttemptFinishedList(ctx, &storage.AttemptFinishedListParams{Since: w.since, Until: w.until, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Attempts) != w.want {
			t.Fatalf("attempts finished in [%v, %v) = %+v, want %d", w.since, w.until, page.Attempts, w.want)
		}
		for i, a := range page.Attempts {
			if a.DeliveryID != ds[i].ID || a.Number != 1 || a.Outcome != delivery.OutcomeSucceeded || a.Dead || a.EventID != f.event {
				t.Fatalf("finished attempt %d = %+v, want delivery %d's first, succeeded", i, a, ds[i].ID)
			}
		}
	}
}

// TestMigration15KeepsEveryAttempt opens a database at user_version 14,
// whose successes all have attempts rows: after the upgrade each delivery
// reads as before, and a new plain success keeps its attempt on its row.
func TestMigration15KeepsEveryAttempt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFixture(t, dir)
	before := foldFixture(t, f)
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	rollBack(t, dir, 14, undoMigration15...)

	s := openStore(t, dir)
	if n := count(t, s, "SELECT count(*) FROM attempts"); n != 3 {
		t.Fatalf("attempts holds %d rows after the upgrade, want the 3 an older program wrote", n)
	}
	for _, d := range before {
		after, err := s.DeliveryGet(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after.AttemptList, d.AttemptList) {
			t.Fatalf("delivery %d's attempts after the upgrade = %+v, want %+v", d.ID, after.AttemptList, d.AttemptList)
		}
	}
	f.s = s
	foldFixture(t, f)
	if n := count(t, s, "SELECT count(*) FROM attempts"); n != 5 {
		t.Fatalf("attempts holds %d rows, want 3 from before and 2 new", n)
	}
}
