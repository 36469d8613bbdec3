// Package storagetest is the conformance suite of the storage seam: every
// backend (SQLite now, NATS JetStream later) runs Run and must pass it. A
// semantic change to the seam lands here first, then in the backends.
//
// The suite pins the contract written in the doc comments of
// storage.Storage and nothing more: where the contract is silent (the order
// of DesignLoad's lists, whether Since and Until are inclusive, how a
// backend numbers ids beyond "newer is larger") the suite does not look.
// It never sleeps and never reads a clock: every time a backend sees comes
// in the params, fixed around t0, so a backend must never read one either.
//
// storagetest imports only engine packages and the standard library; it
// must never import store, web or a driver.
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// Features says what a backend guarantees beyond the common contract. The
// common contract already includes read-your-writes (a query right after a
// write returns sees it), exclusive claims under concurrency and an atomic
// check-and-insert of the queue cap; a backend that cannot promise those
// does not conform. Each flag names the subtests it turns on; a false
// flag skips them with a message naming the flag.
type Features struct {
	// Durable: a backend closed and reopened on the same dir keeps
	// everything committed before Close (the design, keys, settings,
	// occurrences, deliveries with their claims and attempts, and the
	// queue counters), so the crash, restart and exactly-once-across-a-
	// restart tests run, and Sessions also reads a sign-in back after a
	// reopen. False (an in-memory backend) skips them.
	Durable bool
	// SharedAcrossProcesses: two backends opened on the same dir at the
	// same time (two processes on one server, e.g. JetStream) are one
	// store: each sees the other's writes at once, the queue cap counts
	// both, claims stay exclusive across them and a claim taken through
	// one completes through the other. It turns on SharedAcrossProcesses.
	// False (SQLite refuses a second open of its dir; an in-memory
	// backend is private to its process) skips it.
	SharedAcrossProcesses bool
}

// Opener opens (or reopens) a backend whose data lives in dir. It fails t
// when the backend cannot be opened. The suite closes what it opens,
// exactly once. The suite calls it from parallel subtests, each with a
// dir of its own, so it must be safe for concurrent use.
type Opener func(t *testing.T, dir string) storage.Storage

// Run runs every conformance test as parallel subtests of t, each on a
// backend of its own in a fresh t.TempDir() and with names (key hashes,
// session hashes, setting names) of its own, so no subtest sees
// another's state even on a backend whose dirs share one server.
func Run(t *testing.T, open Opener, f Features) {
	s := &suite{open: open, f: f}
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"DesignApplyCreatesByName", s.designApplyCreatesByName},
		{"DesignApplyRefusalsChangeNothing", s.designApplyRefusals},
		{"DesignUpdatesByID", s.designUpdatesByID},
		{"DesignDeletes", s.designDeletes},
		{"SubscriptionDeleteDiscardsUnfinished", s.subscriptionDeleteDiscards},
		{"KeysAndSettings", s.keysAndSettings},
		{"Sessions", s.sessions},
		{"Users", s.users},
		{"AuditLog", s.audit},
		{"AuditWithDesignIsOneTransaction", s.auditWithDesign},
		{"DesignVersions", s.designVersions},
		{"OccurrenceInsert", s.occurrenceInsert},
		{"QueueCap", s.queueCap},
		{"Traceparent", s.traceparent},
		{"OccurrenceInsertBatch", s.insertBatch},
		{"ClaimOnlyDue", s.claimOnlyDue},
		{"ClaimConcurrentIsExclusive", s.claimConcurrent},
		{"ClaimUnderAppLimit", s.claimUnderAppLimit},
		{"ClaimUnderAppLimitConcurrently", s.claimUnderAppLimitConcurrently},
		{"CompleteRecordsAttempt", s.completeRecordsAttempt},
		{"AttemptLog", s.attemptLog},
		{"AttemptResponse", s.attemptResponse},
		{"AttemptFinishedList", s.attemptFinishedList},
		{"Secrets", s.secrets},
		{"CompleteLeaseLostChangesNothing", s.completeLeaseLost},
		{"CompleteExactlyOnceConcurrently", s.completeExactlyOnce},
		{"OccurrenceStatus", s.occurrenceStatus},
		{"CompleteWithTriggers", s.completeWithTriggers},
		{"CompleteRefusedWhenTriggerQueueFull", s.completeTriggerQueueFull},
		{"CompleteInvalidRefused", s.completeInvalid},
		{"DeliveryCarriesTraceID", s.deliveryTraceID},
		{"Release", s.release},
		{"ReleaseExpired", s.releaseExpired},
		{"ReleaseExpiredEndsDead", s.releaseExpiredEndsDead},
		{"RetryNow", s.retryNow},
		{"Replay", s.replay},
		{"Discard", s.discard},
		{"OccurrenceListFilters", s.occurrenceListFilters},
		{"OccurrenceListPaging", s.occurrenceListPaging},
		{"DeliveryListFilters", s.deliveryListFilters},
		{"DeliveryListTouched", s.deliveryListTouched},
		{"PayloadSearch", s.payloadSearch},
		{"TraceGet", s.traceGet},
		{"TraceList", s.traceList},
		{"OccurrenceDepth", s.occurrenceDepth},
		{"DeliveryCounts", s.deliveryCounts},
		{"DeliveriesAhead", s.deliveriesAhead},
		{"DeliveryNextDue", s.deliveryNextDue},
		{"UnknownIDs", s.unknownIDs},
		{"CrashBetweenClaimAndCompletion", s.crash},
		{"TriggeredExactlyOnceAcrossRestart", s.triggeredAcrossRestart},
		{"QueueCountersSurviveReopen", s.countersSurviveReopen},
		{"EverythingSurvivesReopen", s.everythingSurvivesReopen},
		{"AcknowledgedWritesSurviveClose", s.acknowledgedSurviveClose},
		{"SharedAcrossProcesses", s.sharedAcrossProcesses},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

type suite struct {
	open Opener
	f    Features
}

// t0 is the suite's time: every time a backend sees is t0 plus an offset.
var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// bigCap is a queue cap no test reaches, for inserts that are not about
// the cap (the contract gives a cap of 0 no meaning of "no cap").
const bigCap = 1_000_000

// lease is how long the suite's claims are leased.
const lease = time.Minute

// orderJSON is the parameters of every OrderPlaced the fixture inserts.
const orderJSON = `{"Sku":"A-1","Qty":2,"Express":true}`

// fixture is a backend holding the suite's small design:
//
//	Shop  owns OrderPlaced (public; Sku, Qty, Express)
//	Stock owns Reserved (public; Sku) and handles OrderPlaced with a flow
//	      that triggers Reserved
//	Mail  handles OrderPlaced (webhook) and Reserved (Go, paused)
type fixture struct {
	s   *suite
	st  storage.Storage
	dir string
	// name is the test's name, the prefix of the names it stores.
	name string

	shop, stock, mail design.App
	placed, reserved  design.Event
	// stockSub and mailSub handle OrderPlaced; mailReserved handles
	// Reserved.
	stockSub, mailSub, mailReserved design.Subscription
}

// orderParams are OrderPlaced's parameters, in their order.
func orderParams() []design.Parameter {
	return []design.Parameter{
		{Name: "Sku", Type: design.Text, Mandatory: true, Description: "the article"},
		{Name: "Qty", Type: design.Integer},
		{Name: "Express", Type: design.Boolean, Description: "ship today"},
	}
}

// fixtureOps creates the fixture's design in one apply, every reference
// by name.
func fixtureOps() []storage.DesignOp {
	placed := design.EventRef{App: "Shop", Event: "OrderPlaced"}
	reserved := design.EventRef{App: "Stock", Event: "Reserved"}
	return []storage.DesignOp{
		{Kind: storage.AppPut, App: &design.App{Name: "Shop", Description: "the web store", Color: "#3b82f6"}},
		{Kind: storage.AppPut, App: &design.App{Name: "Stock", Concurrency: 5}},
		{Kind: storage.AppPut, App: &design.App{Name: "Mail", Endpoint: "http://mail.example/hooks"}},
		{Kind: storage.EventPut, Event: &design.Event{App: "Shop", Name: "OrderPlaced", Public: true, Description: "an order was placed", Parameters: orderParams()}},
		{Kind: storage.EventPut, Event: &design.Event{App: "Stock", Name: "Reserved", Public: true, Parameters: []design.Parameter{{Name: "Sku", Type: design.Text, Mandatory: true}}}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Stock", Event: placed, Enabled: true, Handler: design.Handler{
			Kind: design.KindFlow, Steps: []design.Step{
				{Type: design.StepLog, Message: "reserving {{Sku}}"},
				{Type: design.StepTrigger, Event: "Reserved", Parameters: map[string]string{"Sku": "Sku"}},
			}}}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: placed, Enabled: true, Handler: design.Handler{Kind: design.KindWebhook}}},
		{Kind: storage.SubscriptionPut, Subscription: &design.Subscription{App: "Mail", Event: reserved, Enabled: true, Paused: true, Handler: design.Handler{Kind: design.KindGo, Name: "notify"}}},
	}
}

// fixture opens a backend in a fresh directory, applies the suite's
// design and closes the backend when t ends.
func (s *suite) fixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{s: s, dir: t.TempDir(), name: t.Name()}
	fx.st = s.open(t, fx.dir)
	t.Cleanup(func() {
		if fx.st != nil {
			if err := fx.st.Close(); err != nil {
				t.Errorf("close backend: %v", err)
			}
		}
	})
	d, err := fx.st.DesignApply(ctx(t), &storage.DesignApplyParams{Now: t0, Ops: fixtureOps()})
	if err != nil {
		t.Fatalf("apply the fixture design: %v", err)
	}
	fx.resolve(t, d)
	return fx
}

// resolve reads the fixture's parts, with their ids, from d.
func (fx *fixture) resolve(t *testing.T, d design.Design) {
	t.Helper()
	x := design.NewIndex(d)
	app := func(name string) design.App {
		a, ok := x.App(name)
		if !ok {
			t.Fatalf("design has no app %s: %+v", name, d.Apps)
		}
		return *a
	}
	event := func(ref design.EventRef) design.Event {
		e, ok := x.Event(ref)
		if !ok {
			t.Fatalf("design has no event %s: %+v", ref, d.Events)
		}
		return *e
	}
	sub := func(app string, ref design.EventRef) design.Subscription {
		s, ok := x.SubscriptionFor(app, ref)
		if !ok {
			t.Fatalf("design has no subscription of %s to %s: %+v", app, ref, d.Subscriptions)
		}
		return *s
	}
	fx.shop, fx.stock, fx.mail = app("Shop"), app("Stock"), app("Mail")
	fx.placed = event(design.EventRef{App: "Shop", Event: "OrderPlaced"})
	fx.reserved = event(design.EventRef{App: "Stock", Event: "Reserved"})
	fx.stockSub = sub("Stock", fx.placed.Ref())
	fx.mailSub = sub("Mail", fx.placed.Ref())
	fx.mailReserved = sub("Mail", fx.reserved.Ref())
}

// reopen closes the backend and opens it again on the same directory, as
// a restart (or a crash after the last acknowledged write) would.
func (fx *fixture) reopen(t *testing.T) {
	t.Helper()
	st := fx.st
	fx.st = nil
	if err := st.Close(); err != nil {
		t.Fatalf("close before reopening: %v", err)
	}
	fx.st = fx.s.open(t, fx.dir)
}

// id is a setting name of this test alone.
func (fx *fixture) id(name string) string { return fx.name + "/" + name }

// key is a key or session hash of this test alone.
func (fx *fixture) key(name string) []byte { return []byte(fx.id(name)) }

// ctx is the context of one test: cancelled when it ends.
func ctx(t *testing.T) context.Context { return t.Context() }

// order is an OrderPlaced created at `at` with the given deliveries;
// those created claimed are leased for lease.
func (fx *fixture) order(at time.Time, cap int, ds ...storage.NewDelivery) *storage.OccurrenceInsertParams {
	return &storage.OccurrenceInsertParams{
		EventID: fx.placed.ID, AppID: fx.placed.AppID, Parameters: json.RawMessage(orderJSON),
		CreatedAt: at, QueueCap: cap, LeaseUntil: at.Add(lease), Deliveries: ds,
	}
}

// toStock is OrderPlaced's delivery to Stock, created claimed when claim
// is true.
func (fx *fixture) toStock(claim bool) storage.NewDelivery {
	return storage.NewDelivery{SubscriptionID: fx.stockSub.ID, AppID: fx.stockSub.AppID, Claim: claim}
}

// toMail is OrderPlaced's delivery to Mail, created claimed when claim is
// true.
func (fx *fixture) toMail(claim bool) storage.NewDelivery {
	return storage.NewDelivery{SubscriptionID: fx.mailSub.ID, AppID: fx.mailSub.AppID, Claim: claim}
}

// insert stores p and fails t on an error.
func (fx *fixture) insert(t *testing.T, p *storage.OccurrenceInsertParams) *storage.OccurrenceInsertResult {
	t.Helper()
	r, err := fx.st.OccurrenceInsert(ctx(t), p)
	if err != nil {
		t.Fatalf("insert occurrence of event %d: %v", p.EventID, err)
	}
	if len(r.Deliveries) != len(p.Deliveries) {
		t.Fatalf("insert returned %d deliveries, want %d", len(r.Deliveries), len(p.Deliveries))
	}
	return r
}

// orderBoth inserts an OrderPlaced at t0 delivered to Stock and Mail.
func (fx *fixture) orderBoth(t *testing.T, claim bool) *storage.OccurrenceInsertResult {
	t.Helper()
	return fx.insert(t, fx.order(t0, bigCap, fx.toStock(claim), fx.toMail(claim)))
}

// orderStock inserts an OrderPlaced at `at` delivered to Stock alone.
func (fx *fixture) orderStock(t *testing.T, at time.Time, claim bool) *storage.OccurrenceInsertResult {
	t.Helper()
	return fx.insert(t, fx.order(at, bigCap, fx.toStock(claim)))
}

// claim claims up to limit due deliveries of sub at now, leased for lease.
func (fx *fixture) claim(t *testing.T, sub design.Subscription, limit int, now time.Time) []storage.Claim {
	t.Helper()
	c, err := fx.st.DeliveryClaim(ctx(t), &storage.DeliveryClaimParams{SubscriptionID: sub.ID, Limit: limit, Now: now, LeaseUntil: now.Add(lease)})
	if err != nil {
		t.Fatalf("claim for subscription %d: %v", sub.ID, err)
	}
	return c
}

// claimOne claims exactly one due delivery of sub at now.
func (fx *fixture) claimOne(t *testing.T, sub design.Subscription, now time.Time) storage.Claim {
	t.Helper()
	c := fx.claim(t, sub, 1, now)
	if len(c) != 1 {
		t.Fatalf("claimed %d deliveries of subscription %d at %s, want 1", len(c), sub.ID, now)
	}
	return c[0]
}

// completion is the params completing c with status; a failure carries
// the error "boom"; the attempt ran from t0+1m to t0+1m+1s.
func completion(c storage.Claim, status delivery.Status, next time.Time) *storage.DeliveryCompleteParams {
	a := delivery.Attempt{Number: c.Attempts + 1, StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(time.Minute + time.Second), Outcome: delivery.OutcomeSucceeded}
	if status != delivery.Succeeded {
		a.Outcome, a.Error = delivery.OutcomeFailed, "boom"
	}
	return &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Completion: completionFor(status, next), Attempt: a}
}

// completionFor is the completion of status: retrying at next, or a
// success (with nothing triggered) or death, where next is not used.
func completionFor(status delivery.Status, next time.Time) storage.Completion {
	switch status {
	case delivery.Succeeded:
		return storage.Succeeded()
	case delivery.Retrying:
		return storage.Retrying(next)
	case delivery.Dead:
		return storage.Dead()
	}
	panic(fmt.Sprintf("storagetest: no completion leaves a delivery %s", status))
}

// complete completes c with status and fails t on an error.
func (fx *fixture) complete(t *testing.T, c storage.Claim, status delivery.Status, next time.Time) *storage.DeliveryCompleteResult {
	t.Helper()
	r, err := fx.st.DeliveryComplete(ctx(t), completion(c, status, next))
	if err != nil {
		t.Fatalf("complete delivery %d as %s: %v", c.DeliveryID, status, err)
	}
	return r
}

// delivery reads one delivery and fails t on an error.
func (fx *fixture) delivery(t *testing.T, id int64) delivery.Delivery {
	t.Helper()
	d, err := fx.st.DeliveryGet(ctx(t), id)
	if err != nil {
		t.Fatalf("get delivery %d: %v", id, err)
	}
	return d
}

// occurrence reads one occurrence and fails t on an error.
func (fx *fixture) occurrence(t *testing.T, id int64) delivery.Occurrence {
	t.Helper()
	o, err := fx.st.OccurrenceGet(ctx(t), id)
	if err != nil {
		t.Fatalf("get occurrence %d: %v", id, err)
	}
	return o
}

// list runs OccurrenceList and fails t on an error.
func (fx *fixture) list(t *testing.T, p storage.OccurrenceListParams) []delivery.Occurrence {
	t.Helper()
	os, err := fx.st.OccurrenceList(ctx(t), &p)
	if err != nil {
		t.Fatalf("occurrence list %+v: %v", p, err)
	}
	return os
}

// depth is the queue depth of an event.
func (fx *fixture) depth(t *testing.T, eventID int64) int {
	t.Helper()
	m, err := fx.st.QueueDepths(ctx(t))
	if err != nil {
		t.Fatalf("queue depths: %v", err)
	}
	return m[eventID]
}

// deliveryIn returns a fresh delivery of an OrderPlaced to Stock (alone
// in its occurrence, created at t0) brought into status, with its
// occurrence's id and the claim it was created or last run under:
// Pending, Running (claimed at insert), Retrying (due at t0+1h, one
// attempt), Succeeded or Dead (one attempt), Discarded (from Pending).
func (fx *fixture) deliveryIn(t *testing.T, status delivery.Status) (int64, storage.Claim) {
	t.Helper()
	r := fx.orderStock(t, t0, status != delivery.Pending && status != delivery.Discarded)
	c := r.Deliveries[0]
	switch status {
	case delivery.Pending, delivery.Running:
	case delivery.Retrying:
		fx.complete(t, c, delivery.Retrying, t0.Add(time.Hour))
	case delivery.Succeeded, delivery.Dead:
		fx.complete(t, c, status, time.Time{})
	case delivery.Discarded:
		if _, err := fx.st.DeliveryDiscard(ctx(t), c.DeliveryID, t0); err != nil {
			t.Fatalf("discard: %v", err)
		}
	default:
		t.Fatalf("deliveryIn(%s): no such status", status)
	}
	if d := fx.delivery(t, c.DeliveryID); d.Status != status {
		t.Fatalf("set-up: delivery is %s, want %s", d.Status, status)
	}
	return r.OccurrenceID, c
}

// statuses are every delivery status, in the order tables list them.
var statuses = []delivery.Status{delivery.Pending, delivery.Running, delivery.Retrying, delivery.Succeeded, delivery.Dead, delivery.Discarded}

// wantKind fails t unless err is a *fault.Error of the kind.
func wantKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want %v", what, err, kind)
	}
	if len(fault.All(err)) == 0 {
		t.Fatalf("%s: err = %v (%T), want a *fault.Error", what, err, err)
	}
}

// state is everything a backend shows: the design, every occurrence with
// its deliveries and their attempts, the queue depths and the delivery
// counts. Two states compare equal when nothing observable changed.
type state struct {
	Design      design.Design
	Occurrences []delivery.Occurrence
	Depths      map[int64]int
	Counts      map[delivery.Status]int
}

// state reads the backend's whole state in a canonical form (parts by
// id, times in UTC, zero counts left out).
func (fx *fixture) state(t *testing.T) state {
	t.Helper()
	var s state
	d, err := fx.st.DesignLoad(ctx(t))
	if err != nil {
		t.Fatalf("design load: %v", err)
	}
	s.Design = canonicalDesign(d)
	for before := int64(0); ; {
		page := fx.list(t, storage.OccurrenceListParams{BeforeID: before, Limit: 100})
		if len(page) == 0 {
			break
		}
		for _, o := range page {
			s.Occurrences = append(s.Occurrences, canonicalOccurrence(fx.occurrence(t, o.ID)))
		}
		before = page[len(page)-1].ID
	}
	sort.Slice(s.Occurrences, func(i, j int) bool { return s.Occurrences[i].ID < s.Occurrences[j].ID })
	depths, err := fx.st.QueueDepths(ctx(t))
	if err != nil {
		t.Fatalf("queue depths: %v", err)
	}
	counts, err := fx.st.DeliveryCounts(ctx(t), time.Time{})
	if err != nil {
		t.Fatalf("delivery counts: %v", err)
	}
	s.Depths, s.Counts = map[int64]int{}, map[delivery.Status]int{}
	for k, v := range depths {
		if v != 0 {
			s.Depths[k] = v
		}
	}
	for k, v := range counts {
		if v != 0 {
			s.Counts[k] = v
		}
	}
	return s
}

// sameState fails t when the backend's state is no longer want.
func (fx *fixture) sameState(t *testing.T, want state, what string) {
	t.Helper()
	got := fx.state(t)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s changed the backend's state:\n got %+v\nwant %+v", what, got, want)
	}
}

func canonicalDesign(d design.Design) design.Design {
	var out design.Design
	for _, a := range d.Apps {
		a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
		out.Apps = append(out.Apps, a)
	}
	for _, e := range d.Events {
		e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
		if len(e.Parameters) == 0 {
			e.Parameters = nil
		}
		out.Events = append(out.Events, e)
	}
	for _, s := range d.Subscriptions {
		s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
		out.Subscriptions = append(out.Subscriptions, s)
	}
	sort.Slice(out.Apps, func(i, j int) bool { return out.Apps[i].ID < out.Apps[j].ID })
	sort.Slice(out.Events, func(i, j int) bool { return out.Events[i].ID < out.Events[j].ID })
	sort.Slice(out.Subscriptions, func(i, j int) bool { return out.Subscriptions[i].ID < out.Subscriptions[j].ID })
	return out
}

func canonicalOccurrence(o delivery.Occurrence) delivery.Occurrence {
	o.CreatedAt = o.CreatedAt.UTC()
	ds := make([]delivery.Delivery, 0, len(o.Deliveries))
	for _, d := range o.Deliveries {
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
		as := make([]delivery.Attempt, 0, len(d.AttemptList))
		for _, a := range d.AttemptList {
			a.StartedAt, a.FinishedAt = a.StartedAt.UTC(), a.FinishedAt.UTC()
			as = append(as, a)
		}
		d.AttemptList = as
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].ID < ds[j].ID })
	o.Deliveries = ds
	return o
}

// occIDs lists the ids of os, in their order.
func occIDs(os []delivery.Occurrence) []int64 {
	out := make([]int64, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

// delIDs lists the ids of ds, in their order.
func delIDs(ds []delivery.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// lostError is the error the suite records on a run lost with its lease.
const lostError = "the process stopped before the attempt finished"

// expired reclaims leases ended before now, with no attempt limit.
func expired(now time.Time) *storage.DeliveryReleaseExpiredParams {
	return &storage.DeliveryReleaseExpiredParams{Now: now, Error: lostError}
}
