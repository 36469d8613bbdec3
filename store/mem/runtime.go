package mem

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// unfinished reports whether a delivery in status st keeps its
// occurrence pending.
func unfinished(st delivery.Status) bool {
	return st == delivery.Pending || st == delivery.Running || st == delivery.Retrying
}

// setStatus moves a delivery to status st, keeping the waiting and
// running sets in step and clearing the lease of one that stops running.
func (s *Store) setStatus(r *delRec, st delivery.Status) {
	id, sub := r.d.ID, r.d.SubscriptionID
	switch r.d.Status {
	case delivery.Pending, delivery.Retrying:
		delete(s.waiting[sub], id)
		if len(s.waiting[sub]) == 0 {
			delete(s.waiting, sub)
		}
	case delivery.Running:
		delete(s.running, id)
		s.unlease(r)
	}
	r.d.Status = st
	switch st {
	case delivery.Pending, delivery.Retrying:
		if s.waiting[sub] == nil {
			s.waiting[sub] = map[int64]struct{}{}
		}
		s.waiting[sub][id] = struct{}{}
	case delivery.Running:
		s.running[id] = struct{}{}
		s.lease(r)
	}
	if st != delivery.Running {
		r.leaseUntil = time.Time{}
	}
}

// settle recomputes occurrence id's status from its deliveries and keeps
// its event's pending counter in step; it returns the status. It costs
// the occurrence's deliveries, never the queue's length.
func (s *Store) settle(id int64) delivery.OccurrenceStatus {
	o := s.occs[id-1]
	open, dead := 0, false
	for _, did := range o.dels {
		st := s.dels[did-1].d.Status
		open += boolInt(unfinished(st))
		dead = dead || st == delivery.Dead
	}
	was := o.o.Status == delivery.OccurrencePending
	switch {
	case open > 0:
		o.o.Status = delivery.OccurrencePending
	case dead:
		o.o.Status = delivery.OccurrenceDead
	default:
		o.o.Status = delivery.OccurrenceCompleted
	}
	now := o.o.Status == delivery.OccurrencePending
	if was != now {
		ev := o.o.EventID
		if now {
			s.pending[ev]++
		} else if s.pending[ev]--; s.pending[ev] <= 0 {
			delete(s.pending, ev)
		}
	}
	return o.o.Status
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func queueFull(n int) error {
	return fault.New(fault.ErrQueueFull, "queue_full", fmt.Sprintf(
		"the event already has %d pending occurrences (the cap); wait for handlers to catch up or raise the queue cap", n))
}

// OccurrenceInsert stores one occurrence and its deliveries, or nothing
// when the event's queue is full (fault.ErrQueueFull). The check reads
// the event's counter: O(1). A QueueCap of 0 or less means no cap.
func (s *Store) OccurrenceInsert(ctx context.Context, p *storage.OccurrenceInsertParams) (*storage.OccurrenceInsertResult, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("occurrence insert: %w", err)
	}
	defer s.mu.Unlock()
	if n := s.pending[p.EventID]; p.QueueCap > 0 && n >= p.QueueCap {
		return nil, fmt.Errorf("occurrence insert: %w", queueFull(n))
	}
	return s.insert(p), nil
}

// OccurrenceInsertBatch stores every item the queue caps allow, all
// under one lock so no reader sees part of the batch; an item over its cap
// is refused alone.
func (s *Store) OccurrenceInsertBatch(ctx context.Context, p []*storage.OccurrenceInsertParams) ([]storage.OccurrenceInsertOutcome, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("occurrence insert batch of %d: %w", len(p), err)
	}
	defer s.mu.Unlock()
	out := make([]storage.OccurrenceInsertOutcome, len(p))
	for i, ip := range p {
		if n := s.pending[ip.EventID]; ip.QueueCap > 0 && n >= ip.QueueCap {
			out[i].Err = queueFull(n)
			continue
		}
		out[i].Result = s.insert(ip)
	}
	return out, nil
}

// insert stores p; the caller checked its queue cap.
func (s *Store) insert(p *storage.OccurrenceInsertParams) *storage.OccurrenceInsertResult {
	id := int64(len(s.occs) + 1)
	trace := p.TraceID
	if trace == 0 {
		trace = id
	}
	params := bytes.Clone(p.Parameters)
	if len(params) == 0 {
		params = []byte("{}")
	}
	created := utc(p.CreatedAt)
	o := &occRec{o: delivery.Occurrence{ID: id, EventID: p.EventID, AppID: p.AppID, TraceID: trace,
		ParentDeliveryID: p.ParentDeliveryID, Parameters: params, CreatedAt: created, Status: delivery.OccurrenceCompleted,
		Traceparent: p.Traceparent}, params: storage.ParamKeys(params)}
	s.occs = append(s.occs, o)
	s.traces[trace] = append(s.traces[trace], id)
	res := &storage.OccurrenceInsertResult{OccurrenceID: id, TraceID: trace}
	if len(p.Deliveries) == 0 {
		return res
	}
	res.Deliveries = make([]storage.Claim, len(p.Deliveries))
	for i, nd := range p.Deliveries {
		did := int64(len(s.dels) + 1)
		r := &delRec{d: delivery.Delivery{ID: did, OccurrenceID: id, SubscriptionID: nd.SubscriptionID, AppID: nd.AppID,
			EventID: p.EventID, TraceID: trace, NextAttemptAt: created, CreatedAt: created, UpdatedAt: created}}
		s.dels = append(s.dels, r)
		o.dels = append(o.dels, did)
		c := storage.Claim{DeliveryID: did, OccurrenceID: id, SubscriptionID: nd.SubscriptionID, AppID: nd.AppID,
			EventID: p.EventID, TraceID: trace, Parameters: bytes.Clone(params), CreatedAt: created, Traceparent: p.Traceparent}
		if nd.Claim {
			s.setStatus(r, delivery.Running)
			r.token, r.leaseUntil = claimToken, utc(p.LeaseUntil)
			c.Token, c.LeaseUntil = claimToken, r.leaseUntil
		} else {
			s.setStatus(r, delivery.Pending)
		}
		res.Deliveries[i] = c
	}
	s.settle(id)
	return res
}

// DeliveryClaim claims due deliveries of one subscription, oldest due
// first. All deliveries of one claim share its token, fresh from a
// counter, so a (delivery, token) pair is never reused.
func (s *Store) DeliveryClaim(ctx context.Context, p *storage.DeliveryClaimParams) ([]storage.Claim, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("delivery claim for subscription %d: %w", p.SubscriptionID, err)
	}
	defer s.mu.Unlock()
	var due []*delRec
	for id := range s.waiting[p.SubscriptionID] {
		if r := s.dels[id-1]; !r.d.NextAttemptAt.After(p.Now) {
			due = append(due, r)
		}
	}
	if len(due) == 0 {
		return nil, nil
	}
	sortDue(due)
	n := p.Limit
	if p.AppLimit > 0 {
		// Every delivery of one subscription has its app.
		n = min(n, p.AppLimit-s.leased(due[0].d.AppID, p.Now))
		if n <= 0 {
			return nil, nil
		}
	}
	if len(due) > n {
		due = due[:n]
	}
	token := s.nextToken
	s.nextToken++
	lease := utc(p.LeaseUntil)
	claims := make([]storage.Claim, len(due))
	for i, r := range due {
		s.setStatus(r, delivery.Running)
		r.token, r.leaseUntil, r.d.UpdatedAt = token, lease, utc(p.Now)
		o := s.occs[r.d.OccurrenceID-1].o
		claims[i] = storage.Claim{DeliveryID: r.d.ID, OccurrenceID: o.ID, SubscriptionID: r.d.SubscriptionID,
			AppID: r.d.AppID, EventID: o.EventID, TraceID: o.TraceID, Token: token, Attempts: r.d.Attempts,
			ScheduleBase: r.d.ScheduleBase, Parameters: bytes.Clone(o.Parameters), CreatedAt: o.CreatedAt, LeaseUntil: lease,
			Traceparent: o.Traceparent}
	}
	return claims, nil
}

// sortDue orders deliveries by due time, then id.
func sortDue(ds []*delRec) {
	slices.SortFunc(ds, func(a, b *delRec) int {
		if c := a.d.NextAttemptAt.Compare(b.d.NextAttemptAt); c != 0 {
			return c
		}
		return int(a.d.ID - b.d.ID)
	})
}

func leaseLost(p *storage.DeliveryCompleteParams) error {
	return fault.New(fault.ErrLeaseLost, "lease_lost", fmt.Sprintf(
		"delivery %d is not running under claim %d: its lease lapsed, or it finished or was discarded", p.DeliveryID, p.Token))
}

// DeliveryComplete records a finished attempt when the delivery is still
// running under p.Token (fault.ErrLeaseLost otherwise), with the
// occurrences a success triggered, all or nothing. Attempt numbers follow
// the stored attempt count, whatever p.Attempt.Number says; the
// delivery's updated time is p.Attempt.FinishedAt.
func (s *Store) DeliveryComplete(ctx context.Context, p *storage.DeliveryCompleteParams) (*storage.DeliveryCompleteResult, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("delivery %d complete: %w", p.DeliveryID, err)
	}
	defer s.mu.Unlock()
	res, err := s.complete(p)
	if err != nil {
		return nil, fmt.Errorf("delivery %d complete: %w", p.DeliveryID, err)
	}
	return res, nil
}

func (s *Store) complete(p *storage.DeliveryCompleteParams) (*storage.DeliveryCompleteResult, error) {
	if err := p.Completion.Err(); err != nil {
		return nil, fault.New(fault.ErrInvalid, "invalid_completion", err.Error())
	}
	status, triggered := p.Completion.Status(), p.Completion.Triggered()
	if p.DeliveryID <= 0 || p.DeliveryID > int64(len(s.dels)) {
		return nil, leaseLost(p)
	}
	r := s.dels[p.DeliveryID-1]
	if r.d.Status != delivery.Running || r.token != p.Token {
		return nil, leaseLost(p)
	}
	if err := s.checkTriggerCaps(r, p); err != nil {
		return nil, err
	}
	// Nothing below can fail: the completion is one step.
	number := r.d.Attempts + 1
	a := p.Attempt
	a.DeliveryID, a.Number = r.d.ID, number
	a.StartedAt, a.FinishedAt = utc(a.StartedAt), utc(a.FinishedAt)
	a.Log = append([]string(nil), a.Log...)
	if len(a.Log) == 0 {
		a.Log = nil
	}
	a.Response = a.Response.Clone()
	if a.Outcome == "" {
		a.Outcome = delivery.OutcomeFailed
		if status == delivery.Succeeded {
			a.Outcome = delivery.OutcomeSucceeded
		}
	}
	r.attempts = append(r.attempts, a)
	r.d.Attempts = number
	r.d.LastError = p.Attempt.Error
	r.d.UpdatedAt = a.FinishedAt
	if status == delivery.Retrying {
		r.d.NextAttemptAt = utc(p.Completion.NextAttemptAt())
	}
	s.setStatus(r, status)
	res := &storage.DeliveryCompleteResult{OccurrenceStatus: s.settle(r.d.OccurrenceID)}
	if len(triggered) > 0 {
		res.Triggered = make([]storage.OccurrenceInsertResult, len(triggered))
		for i := range triggered {
			res.Triggered[i] = *s.insert(&triggered[i])
		}
	}
	return res, nil
}

// checkTriggerCaps refuses a completion (fault.ErrQueueFull) when one of
// its triggered occurrences would find its event's queue full, counting
// the completion's own effect first (it may settle its occurrence and
// free a place) and the triggered occurrences before each one, as
// storing them in order would.
func (s *Store) checkTriggerCaps(r *delRec, p *storage.DeliveryCompleteParams) error {
	triggered := p.Completion.Triggered()
	if len(triggered) == 0 {
		return nil
	}
	extra := map[int64]int{}
	if p.Completion.Status() != delivery.Retrying {
		o := s.occs[r.d.OccurrenceID-1]
		open := 0
		for _, did := range o.dels {
			open += boolInt(unfinished(s.dels[did-1].d.Status))
		}
		if open == 1 { // this delivery is its last unfinished one
			extra[o.o.EventID]--
		}
	}
	for i := range triggered {
		t := &triggered[i]
		n := s.pending[t.EventID] + extra[t.EventID]
		if t.QueueCap > 0 && n >= t.QueueCap {
			return queueFull(n)
		}
		if len(t.Deliveries) > 0 {
			extra[t.EventID]++
		}
	}
	return nil
}

// DeliveryNextDue returns the earliest due time among the subscription's
// pending and retrying deliveries.
func (s *Store) DeliveryNextDue(ctx context.Context, subscriptionID int64) (time.Time, bool, error) {
	if err := s.lock(ctx); err != nil {
		return time.Time{}, false, fmt.Errorf("delivery next due for subscription %d: %w", subscriptionID, err)
	}
	defer s.mu.Unlock()
	var next time.Time
	found := false
	for id := range s.waiting[subscriptionID] {
		if t := s.dels[id-1].d.NextAttemptAt; !found || t.Before(next) {
			next, found = t, true
		}
	}
	return next, found, nil
}

// DeliveryRelease returns claims to Pending, due at p.Now, leaving alone
// any delivery no longer running under its claim's token.
func (s *Store) DeliveryRelease(ctx context.Context, p *storage.DeliveryReleaseParams) error {
	if len(p.Claims) == 0 {
		return nil
	}
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("delivery release: %w", err)
	}
	defer s.mu.Unlock()
	now := utc(p.Now)
	for _, c := range p.Claims {
		if c.DeliveryID <= 0 || c.DeliveryID > int64(len(s.dels)) {
			continue
		}
		r := s.dels[c.DeliveryID-1]
		if r.d.Status != delivery.Running || r.token != c.Token {
			continue
		}
		s.setStatus(r, delivery.Pending)
		r.d.NextAttemptAt, r.d.UpdatedAt = now, now
	}
	return nil
}

// DeliveryReleaseExpired reclaims every running delivery whose lease
// ended before p.Now, counting the lost run as a failed attempt started
// at the claim: retrying due now, or dead at p.MaxAttempts attempts since
// its schedule last started over.
func (s *Store) DeliveryReleaseExpired(ctx context.Context, p *storage.DeliveryReleaseExpiredParams) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("delivery release expired: %w", err)
	}
	defer s.mu.Unlock()
	now := utc(p.Now)
	n := 0
	for _, id := range sortedKeys(s.running) {
		r := s.dels[id-1]
		if !r.leaseUntil.Before(p.Now) {
			continue
		}
		n++
		number := r.d.Attempts + 1
		status := delivery.Retrying
		if p.MaxAttempts > 0 && number-r.d.ScheduleBase >= p.MaxAttempts {
			status = delivery.Dead
		}
		// The run started when it was claimed (the claim's update time).
		r.attempts = append(r.attempts, delivery.Attempt{DeliveryID: id, Number: number, StartedAt: r.d.UpdatedAt,
			FinishedAt: now, Outcome: delivery.OutcomeFailed, Error: p.Error})
		s.setStatus(r, status)
		r.d.Attempts, r.d.NextAttemptAt, r.d.LastError, r.d.UpdatedAt = number, now, p.Error, now
		if status == delivery.Dead {
			s.settle(r.d.OccurrenceID)
		}
	}
	return n, nil
}

// DeliveryRetryNow makes a retrying or pending delivery due at now.
func (s *Store) DeliveryRetryNow(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return s.change(ctx, "retry now", id, func(r *delRec) error {
		if st := r.d.Status; st != delivery.Retrying && st != delivery.Pending {
			return fault.New(fault.ErrConflict, "not_waiting", fmt.Sprintf(
				"delivery %d is %s; only a pending or retrying delivery can be retried now", id, st))
		}
		r.d.NextAttemptAt, r.d.UpdatedAt = utc(now), utc(now)
		return nil
	})
}

// DeliveryReplay makes a dead or discarded delivery pending again, due at
// now, its attempt count kept and its retry schedule started over from
// it; its occurrence becomes pending again and counts against the queue
// cap (which it may exceed by that one).
func (s *Store) DeliveryReplay(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return s.change(ctx, "replay", id, func(r *delRec) error {
		if st := r.d.Status; st != delivery.Dead && st != delivery.Discarded {
			return fault.New(fault.ErrConflict, "not_finished", fmt.Sprintf(
				"delivery %d is %s; only a dead or discarded delivery can be replayed", id, st))
		}
		r.d.ScheduleBase = r.d.Attempts
		s.setStatus(r, delivery.Pending)
		r.d.NextAttemptAt, r.d.UpdatedAt = utc(now), utc(now)
		s.settle(r.d.OccurrenceID)
		return nil
	})
}

// DeliveryDiscard drops an unfinished or dead delivery.
func (s *Store) DeliveryDiscard(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return s.change(ctx, "discard", id, func(r *delRec) error {
		if st := r.d.Status; st == delivery.Succeeded || st == delivery.Discarded {
			return fault.New(fault.ErrConflict, "finished", fmt.Sprintf(
				"delivery %d is %s; only an unfinished or dead delivery can be discarded", id, st))
		}
		s.setStatus(r, delivery.Discarded)
		r.d.UpdatedAt = utc(now)
		s.settle(r.d.OccurrenceID)
		return nil
	})
}

// change lets f check and change delivery id under the lock and returns
// the delivery afterwards.
func (s *Store) change(ctx context.Context, verb string, id int64, f func(r *delRec) error) (delivery.Delivery, error) {
	if err := s.lock(ctx); err != nil {
		return delivery.Delivery{}, fmt.Errorf("delivery %d %s: %w", id, verb, err)
	}
	defer s.mu.Unlock()
	r, err := s.delivery(id)
	if err == nil {
		err = f(r)
	}
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("delivery %d %s: %w", id, verb, err)
	}
	return s.deliveryOut(r, true), nil
}

// delivery finds delivery id; fault.ErrNotFound when it does not exist.
func (s *Store) delivery(id int64) (*delRec, error) {
	if id <= 0 || id > int64(len(s.dels)) {
		return nil, storage.Missing("delivery %d does not exist", id)
	}
	return s.dels[id-1], nil
}
