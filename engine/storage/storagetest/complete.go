package storagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// completeRecordsAttempt: each kind of completion records its attempt
// (visible through DeliveryGet and OccurrenceGet), bumps Attempts, sets
// LastError and the new state.
func (s *suite) completeRecordsAttempt(t *testing.T) {
	next := t0.Add(2 * time.Minute)
	cases := []struct {
		status  delivery.Status
		outcome delivery.Outcome
		err     string
	}{
		{delivery.Succeeded, delivery.OutcomeSucceeded, ""},
		{delivery.Retrying, delivery.OutcomeTimedOut, "handler ran over 2m0s"},
		{delivery.Dead, delivery.OutcomeFailed, "boom"},
	}
	for _, c := range cases {
		t.Run(string(c.status), func(t *testing.T) {
			fx := s.fixture(t)
			r := fx.orderBoth(t, true)
			cl := r.Deliveries[0]
			want := delivery.Attempt{DeliveryID: cl.DeliveryID, Number: 1, StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(time.Minute + 1500*time.Millisecond), Outcome: c.outcome, Error: c.err}
			p := &storage.DeliveryCompleteParams{DeliveryID: cl.DeliveryID, Token: cl.Token, Completion: completionFor(c.status, next), Attempt: want}
			res, err := fx.st.DeliveryComplete(ctx(t), p)
			if err != nil {
				t.Fatalf("complete: %v", err)
			}
			if res.OccurrenceStatus != delivery.OccurrencePending || len(res.Triggered) != 0 {
				t.Fatalf("result = %+v; want the occurrence pending (Mail runs), nothing triggered", res)
			}
			d := fx.delivery(t, cl.DeliveryID)
			if d.Status != c.status || d.Attempts != 1 || d.LastError != c.err || len(d.AttemptList) != 1 {
				t.Fatalf("delivery = %+v; want %s, 1 attempt, last error %q", d, c.status, c.err)
			}
			checkAttempt(t, d.AttemptList[0], want)
			if c.status == delivery.Retrying && !d.NextAttemptAt.Equal(next) {
				t.Fatalf("retrying delivery due at %s, want %s", d.NextAttemptAt, next)
			}
			o := fx.occurrence(t, r.OccurrenceID)
			for _, od := range o.Deliveries {
				if od.ID == cl.DeliveryID && (len(od.AttemptList) != 1 || od.Attempts != 1 || od.Status != c.status) {
					t.Fatalf("the occurrence shows the delivery as %+v", od)
				}
				if od.ID == cl.DeliveryID {
					checkAttempt(t, od.AttemptList[0], want)
				}
			}
			if c.status != delivery.Retrying {
				return
			}
			// The retry: its claim counts the attempt before it; a second
			// failure adds attempt 2 and the latest error.
			again := fx.claimOne(t, fx.stockSub, next)
			if again.Attempts != 1 || again.ScheduleBase != 0 || again.Token == cl.Token {
				t.Fatalf("retry claim = %+v; want 1 attempt before it, the schedule counted from the first, and a new token", again)
			}
			second := delivery.Attempt{DeliveryID: cl.DeliveryID, Number: 2, StartedAt: next, FinishedAt: next.Add(time.Second), Outcome: delivery.OutcomeFailed, Error: "boom again"}
			if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: again.DeliveryID, Token: again.Token, Completion: storage.Dead(), Attempt: second}); err != nil {
				t.Fatalf("complete the retry: %v", err)
			}
			d = fx.delivery(t, cl.DeliveryID)
			if d.Status != delivery.Dead || d.Attempts != 2 || d.LastError != "boom again" || len(d.AttemptList) != 2 {
				t.Fatalf("after the second attempt: %+v", d)
			}
			checkAttempt(t, d.AttemptList[0], want)
			checkAttempt(t, d.AttemptList[1], second)
		})
	}
}

func checkAttempt(t *testing.T, got, want delivery.Attempt) {
	t.Helper()
	if got.Number != want.Number || !got.StartedAt.Equal(want.StartedAt) || !got.FinishedAt.Equal(want.FinishedAt) ||
		got.Outcome != want.Outcome || got.Error != want.Error || got.Duration() != want.Duration() ||
		!sameLog(got.Log, want.Log) {
		t.Fatalf("attempt = %+v; want %+v", got, want)
	}
	if got.DeliveryID != 0 && got.DeliveryID != want.DeliveryID {
		t.Fatalf("attempt of delivery %d, want %d", got.DeliveryID, want.DeliveryID)
	}
}

// sameLog compares attempt logs; no log may read back as nil or empty.
func sameLog(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// attemptLog: an attempt's log lines are stored with it, in order and
// exactly (any text, including quotes, newlines and non-ASCII), and read
// back by every query that returns attempts; an attempt without a log
// reads back without one.
func (s *suite) attemptLog(t *testing.T) {
	fx := s.fixture(t)
	r := fx.orderBoth(t, true)
	lines := []string{"checking stock for order 7", `quote " and \ backslash`, "two\nlines", "prix: 12,50 €"}
	var logged, quiet storage.Claim
	for _, c := range r.Deliveries {
		if c.SubscriptionID == fx.stockSub.ID {
			logged = c
		} else {
			quiet = c
		}
	}
	withLog := delivery.Attempt{DeliveryID: logged.DeliveryID, Number: 1, StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(2 * time.Second),
		Outcome: delivery.OutcomeFailed, Error: "out of stock", Log: lines}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: logged.DeliveryID, Token: logged.Token,
		Completion: completionFor(delivery.Retrying, t0.Add(time.Minute)), Attempt: withLog}); err != nil {
		t.Fatalf("complete with a log: %v", err)
	}
	without := delivery.Attempt{DeliveryID: quiet.DeliveryID, Number: 1, StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(3 * time.Second), Outcome: delivery.OutcomeSucceeded}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: quiet.DeliveryID, Token: quiet.Token,
		Completion: storage.Succeeded(), Attempt: without}); err != nil {
		t.Fatalf("complete without a log: %v", err)
	}
	check := func(where string, ds []delivery.Delivery) {
		t.Helper()
		seen := 0
		for _, d := range ds {
			if len(d.AttemptList) != 1 {
				t.Fatalf("%s: delivery %d has %d attempts, want 1", where, d.ID, len(d.AttemptList))
			}
			switch d.ID {
			case logged.DeliveryID:
				checkAttempt(t, d.AttemptList[0], withLog)
				seen++
			case quiet.DeliveryID:
				checkAttempt(t, d.AttemptList[0], without)
				seen++
			}
		}
		if seen != 2 {
			t.Fatalf("%s: saw %d of the 2 deliveries", where, seen)
		}
	}
	fx.readEveryWay(t, r, check)
	// The retry adds a second attempt with a log of its own; the first
	// keeps its lines.
	again := fx.claimOne(t, fx.stockSub, t0.Add(time.Minute))
	second := delivery.Attempt{DeliveryID: logged.DeliveryID, Number: 2, StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(time.Minute + time.Second),
		Outcome: delivery.OutcomeSucceeded, Log: []string{"restocked"}}
	if _, err := fx.st.DeliveryComplete(ctx(t), &storage.DeliveryCompleteParams{DeliveryID: again.DeliveryID, Token: again.Token,
		Completion: storage.Succeeded(), Attempt: second}); err != nil {
		t.Fatalf("complete the retry: %v", err)
	}
	d := fx.delivery(t, logged.DeliveryID)
	if len(d.AttemptList) != 2 {
		t.Fatalf("after the retry: %d attempts, want 2", len(d.AttemptList))
	}
	checkAttempt(t, d.AttemptList[0], withLog)
	checkAttempt(t, d.AttemptList[1], second)
}

// readEveryWay reads the deliveries of occurrence r (a root) by every
// query that returns attempts and hands each read to check.
func (fx *fixture) readEveryWay(t *testing.T, r *storage.OccurrenceInsertResult, check func(where string, ds []delivery.Delivery)) {
	t.Helper()
	ds := make([]delivery.Delivery, len(r.Deliveries))
	for i, c := range r.Deliveries {
		ds[i] = fx.delivery(t, c.DeliveryID)
	}
	check("DeliveryGet", ds)
	check("OccurrenceGet", fx.occurrence(t, r.OccurrenceID).Deliveries)
	tr, err := fx.st.TraceGet(ctx(t), r.TraceID)
	if err != nil || len(tr) != 1 {
		t.Fatalf("trace get = %d occurrences, %v; want 1", len(tr), err)
	}
	check("TraceGet", tr[0].Deliveries)
}

// completeLeaseLost: a completion not presented by the delivery's current
// claim while it runs fails with fault.ErrLeaseLost and changes nothing,
// whatever it carries.
func (s *suite) completeLeaseLost(t *testing.T) {
	cases := []struct {
		name  string
		claim func(t *testing.T, fx *fixture) storage.Claim
	}{
		{"another token", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Running)
			c.Token += 1000
			return c
		}},
		{"token zero of a running delivery", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Running)
			c.Token = 0
			return c
		}},
		{"never claimed", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Pending)
			return c
		}},
		{"never claimed, with the insert token", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Pending)
			c.Token = 1
			return c
		}},
		{"succeeded already", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Succeeded)
			return c
		}},
		{"retrying already", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Retrying)
			return c
		}},
		{"dead already", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Dead)
			return c
		}},
		{"discarded while running", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Running)
			if _, err := fx.st.DeliveryDiscard(ctx(t), c.DeliveryID, t0); err != nil {
				t.Fatalf("discard: %v", err)
			}
			return c
		}},
		{"released", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Running)
			if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Claims: []storage.Claim{c}, Now: t0}); err != nil {
				t.Fatalf("release: %v", err)
			}
			return c
		}},
		{"released and claimed again", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Running)
			if err := fx.st.DeliveryRelease(ctx(t), &storage.DeliveryReleaseParams{Claims: []storage.Claim{c}, Now: t0}); err != nil {
				t.Fatalf("release: %v", err)
			}
			fx.claimOne(t, fx.stockSub, t0)
			return c
		}},
		{"expired and claimed again", func(t *testing.T, fx *fixture) storage.Claim {
			_, c := fx.deliveryIn(t, delivery.Running)
			if n, err := fx.st.DeliveryReleaseExpired(ctx(t), expired(c.LeaseUntil.Add(time.Second))); err != nil || n != 1 {
				t.Fatalf("release expired: %d %v", n, err)
			}
			fx.claimOne(t, fx.stockSub, c.LeaseUntil.Add(time.Second))
			return c
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := s.fixture(t)
			cl := c.claim(t, fx)
			before := fx.state(t)
			for _, status := range []delivery.Status{delivery.Succeeded, delivery.Retrying, delivery.Dead} {
				p := completion(cl, status, t0.Add(time.Hour))
				if status == delivery.Succeeded {
					p.Completion = storage.Succeeded(fx.reservedBy(cl, bigCap, false))
				}
				_, err := fx.st.DeliveryComplete(ctx(t), p)
				wantKind(t, err, fault.ErrLeaseLost, fmt.Sprintf("a %s completion (%s)", status, c.name))
			}
			fx.sameState(t, before, "a refused completion")
		})
	}
}

// reservedBy is a Reserved triggered by claim c's handler, delivered to
// Mail (claimed at once when claim is true).
func (fx *fixture) reservedBy(c storage.Claim, cap int, claim bool) storage.OccurrenceInsertParams {
	return storage.OccurrenceInsertParams{
		EventID: fx.reserved.ID, AppID: fx.reserved.AppID, Parameters: json.RawMessage(`{"Sku":"A-1"}`),
		TraceID: c.TraceID, ParentDeliveryID: c.DeliveryID, CreatedAt: t0.Add(2 * time.Minute), QueueCap: cap,
		LeaseUntil: t0.Add(2*time.Minute + lease),
		Deliveries: []storage.NewDelivery{{SubscriptionID: fx.mailReserved.ID, AppID: fx.mailReserved.AppID, Claim: claim}},
	}
}

// completeExactlyOnce: of completions racing for one claim exactly one
// wins; its attempt and its triggered occurrences exist once.
func (s *suite) completeExactlyOnce(t *testing.T) {
	fx := s.fixture(t)
	const deliveries, racers = 20, 6
	var claims []storage.Claim
	for range deliveries {
		claims = append(claims, fx.orderStock(t, t0, true).Deliveries[0])
	}
	kinds := []delivery.Status{delivery.Succeeded, delivery.Retrying, delivery.Dead}
	// win is one completion that was accepted.
	type win struct {
		status    delivery.Status
		triggered bool
	}
	var mu sync.Mutex
	wins := map[int64][]win{}
	var wg sync.WaitGroup
	for _, c := range claims {
		for r := range racers {
			wg.Go(func() {
				status := kinds[(int(c.DeliveryID)+r)%len(kinds)]
				p := completion(c, status, t0.Add(time.Hour))
				if status == delivery.Succeeded && r%2 == 0 {
					p.Completion = storage.Succeeded(fx.reservedBy(c, bigCap, false))
				}
				_, err := fx.st.DeliveryComplete(ctx(t), p)
				switch {
				case err == nil:
					mu.Lock()
					wins[c.DeliveryID] = append(wins[c.DeliveryID], win{status, len(p.Completion.Triggered()) > 0})
					mu.Unlock()
				case !errors.Is(err, fault.ErrLeaseLost):
					t.Errorf("complete delivery %d: %v, want nil or lease lost", c.DeliveryID, err)
				}
			})
		}
	}
	wg.Wait()
	triggered := 0
	for _, c := range claims {
		w := wins[c.DeliveryID]
		if len(w) != 1 {
			t.Fatalf("delivery %d: accepted completions %+v; want exactly one", c.DeliveryID, w)
		}
		d := fx.delivery(t, c.DeliveryID)
		if d.Status != w[0].status || d.Attempts != 1 || len(d.AttemptList) != 1 {
			t.Fatalf("delivery %d = %+v; want %s with one attempt", c.DeliveryID, d, w[0].status)
		}
		triggered += boolInt(w[0].triggered)
	}
	got := fx.list(t, storage.OccurrenceListParams{EventID: fx.reserved.ID, Limit: 500})
	if len(got) != triggered {
		t.Fatalf("%d Reserved occurrences, want %d (one per winning completion that triggered)", len(got), triggered)
	}
}

// occurrenceStatus: an occurrence is pending while a delivery is
// unfinished, completed when every delivery succeeded or was discarded,
// dead when every one finished and one is dead; the completion reports it.
func (s *suite) occurrenceStatus(t *testing.T) {
	const (
		succeed = "succeed"
		retry   = "retry"
		die     = "die"
		discard = "discard"
	)
	cases := []struct {
		stock, mail string
		want        delivery.OccurrenceStatus
	}{
		{succeed, succeed, delivery.OccurrenceCompleted},
		{succeed, die, delivery.OccurrenceDead},
		{die, succeed, delivery.OccurrenceDead},
		{die, die, delivery.OccurrenceDead},
		{succeed, discard, delivery.OccurrenceCompleted},
		{discard, succeed, delivery.OccurrenceCompleted},
		{discard, die, delivery.OccurrenceDead},
		{die, discard, delivery.OccurrenceDead},
		{discard, discard, delivery.OccurrenceCompleted},
		{retry, succeed, delivery.OccurrencePending},
		{succeed, retry, delivery.OccurrencePending},
	}
	for _, c := range cases {
		t.Run(c.stock+" then "+c.mail, func(t *testing.T) {
			fx := s.fixture(t)
			r := fx.orderBoth(t, true)
			step := func(cl storage.Claim, what string) delivery.OccurrenceStatus {
				t.Helper()
				switch what {
				case discard:
					if _, err := fx.st.DeliveryDiscard(ctx(t), cl.DeliveryID, t0.Add(time.Minute)); err != nil {
						t.Fatalf("discard: %v", err)
					}
					return fx.occurrence(t, r.OccurrenceID).Status
				case succeed:
					return fx.complete(t, cl, delivery.Succeeded, time.Time{}).OccurrenceStatus
				case retry:
					return fx.complete(t, cl, delivery.Retrying, t0.Add(time.Hour)).OccurrenceStatus
				default:
					return fx.complete(t, cl, delivery.Dead, time.Time{}).OccurrenceStatus
				}
			}
			if got := step(r.Deliveries[0], c.stock); got != delivery.OccurrencePending {
				t.Fatalf("after Stock's %s the occurrence is %s, want pending (Mail runs)", c.stock, got)
			}
			if got := step(r.Deliveries[1], c.mail); got != c.want {
				t.Fatalf("after Mail's %s the completion reports %s, want %s", c.mail, got, c.want)
			}
			if o := fx.occurrence(t, r.OccurrenceID); o.Status != c.want {
				t.Fatalf("occurrence is %s, want %s", o.Status, c.want)
			}
			listed := fx.list(t, storage.OccurrenceListParams{Status: c.want})
			if len(listed) != 1 || listed[0].ID != r.OccurrenceID {
				t.Fatalf("listed as %s: %v, want [%d]", c.want, occIDs(listed), r.OccurrenceID)
			}
			wantDepth := boolInt(c.want == delivery.OccurrencePending)
			if d := fx.depth(t, fx.placed.ID); d != wantDepth {
				t.Fatalf("queue depth %d, want %d", d, wantDepth)
			}
		})
	}
}

// completeWithTriggers: a success stores the occurrences its handler
// triggered in the same completion, with the trace and parent given, their
// deliveries Pending or claimed, and returns them in order.
func (s *suite) completeWithTriggers(t *testing.T) {
	fx := s.fixture(t)
	r := fx.orderBoth(t, true)
	c := r.Deliveries[0]
	noSub := fx.reservedBy(c, bigCap, false)
	noSub.Deliveries = nil
	p := completion(c, delivery.Succeeded, time.Time{})
	p.Completion = storage.Succeeded(fx.reservedBy(c, bigCap, false), fx.reservedBy(c, bigCap, true), noSub)
	res, err := fx.st.DeliveryComplete(ctx(t), p)
	if err != nil {
		t.Fatalf("complete with triggers: %v", err)
	}
	if len(res.Triggered) != 3 || res.OccurrenceStatus != delivery.OccurrencePending {
		t.Fatalf("result = %+v; want 3 triggered, the occurrence pending (Mail runs)", res)
	}
	ids := map[int64]bool{r.OccurrenceID: true}
	for i, tr := range res.Triggered {
		if tr.OccurrenceID == 0 || ids[tr.OccurrenceID] || tr.TraceID != r.TraceID || len(tr.Deliveries) != len(p.Completion.Triggered()[i].Deliveries) {
			t.Fatalf("triggered %d = %+v; want a new occurrence in trace %d", i, tr, r.TraceID)
		}
		ids[tr.OccurrenceID] = true
		o := fx.occurrence(t, tr.OccurrenceID)
		wantStatus := delivery.OccurrencePending
		if i == 2 {
			wantStatus = delivery.OccurrenceCompleted
		}
		if o.TraceID != r.TraceID || o.ParentDeliveryID != c.DeliveryID || o.App != "Stock" || o.Event != "Reserved" ||
			!o.CreatedAt.Equal(t0.Add(2*time.Minute)) || !sameJSON(o.Parameters, []byte(`{"Sku":"A-1"}`)) || o.Status != wantStatus {
			t.Fatalf("triggered occurrence %d = %+v; want Stock.Reserved in trace %d, parent %d, %s", i, o, r.TraceID, c.DeliveryID, wantStatus)
		}
	}
	if cl := res.Triggered[1].Deliveries[0]; cl.Token != 1 || !cl.LeaseUntil.Equal(t0.Add(2*time.Minute+lease)) || cl.TraceID != r.TraceID {
		t.Fatalf("triggered claim = %+v; want token 1 under the insert's lease", cl)
	}
	if d := fx.delivery(t, res.Triggered[1].Deliveries[0].DeliveryID); d.Status != delivery.Running {
		t.Fatalf("a triggered delivery created claimed is %s", d.Status)
	}
	if got := fx.claim(t, fx.mailReserved, 10, t0.Add(2*time.Minute)); len(got) != 1 || got[0].DeliveryID != res.Triggered[0].Deliveries[0].DeliveryID {
		t.Fatalf("Mail claimed %+v of Reserved; want the one pending triggered delivery", got)
	}
	if d := fx.depth(t, fx.reserved.ID); d != 2 {
		t.Fatalf("Reserved's queue depth %d, want 2", d)
	}
	if d := fx.delivery(t, c.DeliveryID); d.Status != delivery.Succeeded || d.Attempts != 1 {
		t.Fatalf("the triggering delivery = %+v; want succeeded", d)
	}
}

// completeTriggerQueueFull: when a triggered occurrence's queue is full
// the whole completion is refused and nothing changes: the delivery is
// still Running under its claim, which a later completion may still use.
func (s *suite) completeTriggerQueueFull(t *testing.T) {
	fx := s.fixture(t)
	r := fx.orderBoth(t, true)
	c := r.Deliveries[0]
	filler := fx.reservedBy(c, bigCap, false)
	filler.TraceID, filler.ParentDeliveryID = 0, 0
	fx.insert(t, &filler) // Reserved holds 1 pending occurrence
	before := fx.state(t)
	for _, tc := range []struct {
		name string
		trig []storage.OccurrenceInsertParams
	}{
		{"the only trigger's queue is full", []storage.OccurrenceInsertParams{fx.reservedBy(c, 1, false)}},
		{"the second trigger fills past the cap", []storage.OccurrenceInsertParams{fx.reservedBy(c, 2, true), fx.reservedBy(c, 2, false)}},
		{"a later trigger's queue is full", []storage.OccurrenceInsertParams{triggeredBy(fx.order(t0, bigCap, fx.toMail(false)), c), fx.reservedBy(c, 1, false)}},
	} {
		p := completion(c, delivery.Succeeded, time.Time{})
		p.Completion = storage.Succeeded(tc.trig...)
		_, err := fx.st.DeliveryComplete(ctx(t), p)
		wantKind(t, err, fault.ErrQueueFull, tc.name)
		fx.sameState(t, before, tc.name)
	}
	if d := fx.delivery(t, c.DeliveryID); d.Status != delivery.Running || d.Attempts != 0 || len(d.AttemptList) != 0 {
		t.Fatalf("after refused completions the delivery = %+v; want running, no attempt", d)
	}
	p := completion(c, delivery.Succeeded, time.Time{})
	p.Completion = storage.Succeeded(fx.reservedBy(c, 2, false))
	res, err := fx.st.DeliveryComplete(ctx(t), p)
	if err != nil || len(res.Triggered) != 1 {
		t.Fatalf("completion with room = %+v %v", res, err)
	}
	if d := fx.delivery(t, c.DeliveryID); d.Status != delivery.Succeeded || d.Attempts != 1 {
		t.Fatalf("the delivery after its completion = %+v", d)
	}
	if got := fx.list(t, storage.OccurrenceListParams{EventID: fx.reserved.ID}); len(got) != 2 {
		t.Fatalf("%d Reserved occurrences, want 2 (the filler and the one trigger)", len(got))
	}
	if got := fx.list(t, storage.OccurrenceListParams{EventID: fx.placed.ID}); len(got) != 1 {
		t.Fatalf("%d OrderPlaced occurrences, want 1 (no refused trigger stayed)", len(got))
	}
}

// triggeredBy is p as an occurrence triggered by claim c's handler.
func triggeredBy(p *storage.OccurrenceInsertParams, c storage.Claim) storage.OccurrenceInsertParams {
	q := *p
	q.TraceID, q.ParentDeliveryID = c.TraceID, c.DeliveryID
	return q
}
