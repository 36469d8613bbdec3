package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
)

// lockMACBytes is the length of a lock token's signature: 128 bits of
// HMAC-SHA256 are far beyond guessing within a lock's lifetime.
const lockMACBytes = 16

// maxRejectReason bounds a reject's reason, the length of a Text
// parameter: it is kept on the attempt and shown in the trace.
const maxRejectReason = 2000

// sign makes the lock token of one attempt: the delivery id, the attempt
// number and the claim token, then an HMAC of them, in base64url.
func (pl *puller) sign(id int64, attempt int, claimToken int64) string {
	b := binary.AppendUvarint(nil, uint64(id))
	b = binary.AppendUvarint(b, uint64(attempt))
	b = binary.AppendUvarint(b, uint64(claimToken))
	m := hmac.New(sha256.New, pl.key[:])
	m.Write(b)
	b = m.Sum(b)[:len(b)+lockMACBytes]
	return base64.RawURLEncoding.EncodeToString(b)
}

// verify reads a lock token back; false when it is not one this process
// signed.
func (pl *puller) verify(tok string) (id int64, attempt int, claimToken int64, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) <= lockMACBytes {
		return 0, 0, 0, false
	}
	body, mac := raw[:len(raw)-lockMACBytes], raw[len(raw)-lockMACBytes:]
	m := hmac.New(sha256.New, pl.key[:])
	m.Write(body)
	if !hmac.Equal(m.Sum(nil)[:lockMACBytes], mac) {
		return 0, 0, 0, false
	}
	var fields [3]uint64
	for i := range fields {
		v, n := binary.Uvarint(body)
		if n <= 0 {
			return 0, 0, 0, false
		}
		fields[i], body = v, body[n:]
	}
	if len(body) != 0 {
		return 0, 0, 0, false
	}
	return int64(fields[0]), int(fields[1]), int64(fields[2]), true
}

// lookupLocked finds the lock tok names, held for subscription subID and
// not expired at now; pl.mu must be held.
func (pl *puller) lookupLocked(tok string, subID int64, now time.Time) (*pullLock, *fault.Error) {
	id, attempt, claimToken, ok := pl.verify(tok)
	if !ok {
		return nil, fault.New(fault.ErrInvalid, "invalid_lock_token", fmt.Sprintf(
			"lock token %q is not one this server issued (altered, truncated, or issued before the server restarted); send the lockToken of a receive answer as it is", short(tok)))
	}
	lk := pl.locks[id]
	if lk == nil || lk.attempt != attempt || lk.claim.Token != claimToken || !now.Before(lk.lockedUntil) {
		return nil, fault.New(fault.ErrConflict, "lock_lost", fmt.Sprintf(
			"the lock of delivery %d, attempt %d, is no longer held: it expired, was acknowledged, released or rejected already, or belongs to an earlier attempt; nothing was changed", id, attempt))
	}
	if lk.claim.SubscriptionID != subID {
		return nil, fault.New(fault.ErrInvalid, "wrong_subscription", fmt.Sprintf(
			"the lock of delivery %d belongs to another subscription; send it to the subscription it was received from", id))
	}
	return lk, nil
}

// take removes and returns the lock tok names, stopping its expiry.
func (pl *puller) take(tok string, subID int64, now time.Time) (*pullLock, *fault.Error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	lk, ferr := pl.lookupLocked(tok, subID, now)
	if ferr != nil {
		return nil, ferr
	}
	delete(pl.locks, lk.claim.DeliveryID)
	lk.timer.Stop()
	return lk, nil
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// pullAttempt is the attempt a lock's outcome records; the lock's span
// ends with it, with the same outcome.
func (e *Engine) pullAttempt(lk *pullLock, outcome delivery.Outcome, msg string) delivery.Attempt {
	rec := delivery.Attempt{DeliveryID: lk.claim.DeliveryID, Number: lk.attempt, StartedAt: lk.started,
		FinishedAt: e.clk.Now(), Outcome: outcome, Error: msg}
	e.endAttempt(lk.span, outcome, msg, rec.FinishedAt)
	return rec
}

// checkTokens refuses an empty or oversized batch of lock tokens.
func checkTokens(tokens []string) error {
	switch {
	case len(tokens) == 0:
		return fault.Field("lockTokens", "required", "send at least one lock token, as a receive answer gave it")
	case len(tokens) > MaxPullBatch:
		return fault.Field("lockTokens", "out_of_range", fmt.Sprintf("%d lock tokens is too many; send at most %d at once", len(tokens), MaxPullBatch))
	}
	return nil
}

// onLocks checks a batch of lock tokens for app's pull subscription to ref
// and applies act to each lock held, answering token by token.
func (e *Engine) onLocks(ctx context.Context, verb, app string, ref design.EventRef, tokens []string, act func(cs *compiled, lk *pullLock) error) (LockResult, error) {
	res := LockResult{Succeeded: []string{}, Failed: []LockFailure{}}
	if err := checkTokens(tokens); err != nil {
		return res, err
	}
	cs, err := e.pullSub(app, ref)
	if err != nil {
		return res, fmt.Errorf("%s %s for %s: %w", verb, ref, app, err)
	}
	for _, tok := range tokens {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		lk, ferr := e.pull.take(tok, cs.sub.ID, e.clk.Now())
		if ferr == nil {
			err := e.finishLock(lk, func(cs *compiled) error { return act(cs, lk) })
			var fe *fault.Error
			switch {
			case errors.Is(err, fault.ErrLeaseLost):
				ferr = fault.New(fault.ErrConflict, "lock_lost", fmt.Sprintf(
					"the lock of delivery %d, attempt %d, was lost in storage (the delivery was discarded or taken over); nothing was changed", lk.claim.DeliveryID, lk.attempt))
			case errors.As(err, &fe):
				ferr = fe
			case err != nil:
				return res, fmt.Errorf("%s %s for %s: delivery %d: %w", verb, ref, app, lk.claim.DeliveryID, err)
			}
		}
		if ferr != nil {
			res.Failed = append(res.Failed, LockFailure{LockToken: tok, Err: ferr})
			continue
		}
		res.Succeeded = append(res.Succeeded, tok)
	}
	return res, nil
}

// Ack records each locked attempt as succeeded: the delivery is done.
func (e *Engine) Ack(ctx context.Context, app string, ref design.EventRef, tokens []string) (LockResult, error) {
	return e.onLocks(ctx, "ack", app, ref, tokens, func(cs *compiled, lk *pullLock) error {
		rec := e.pullAttempt(lk, delivery.OutcomeSucceeded, "")
		if _, err := e.st.DeliveryComplete(context.WithoutCancel(ctx), &storage.DeliveryCompleteParams{
			DeliveryID: lk.claim.DeliveryID, Token: lk.claim.Token, Completion: storage.Succeeded(), Attempt: rec,
		}); err != nil {
			return err
		}
		e.publishDelivery(cs, lk.claim, notify.DeliverySucceeded, lk.attempt, "", time.Time{})
		return nil
	})
}

// Release records each locked attempt as failed. Without a delay the
// delivery is retried on the retry schedule; with one it is retried that
// long from now (0: at once). Either way the attempt counts, so a
// delivery released after its last retry is dead.
func (e *Engine) Release(ctx context.Context, app string, ref design.EventRef, tokens []string, delay *time.Duration) (LockResult, error) {
	msg := "released by the pull worker: retried on the schedule"
	if delay != nil {
		if *delay < 0 || *delay > MaxPullReleaseDelay {
			return LockResult{}, fault.Field("delaySeconds", "out_of_range", fmt.Sprintf(
				"delaySeconds %d is out of range; use 0 to %d, or leave it out to retry on the schedule", int64(*delay/time.Second), int64(MaxPullReleaseDelay/time.Second)))
		}
		msg = fmt.Sprintf("released by the pull worker: retried after %s", *delay)
	}
	return e.onLocks(ctx, "release", app, ref, tokens, func(cs *compiled, lk *pullLock) error {
		var at time.Time
		if delay != nil {
			at = e.clk.Now().Add(*delay)
		}
		return e.failAt(cs, lk.claim, e.pullAttempt(lk, delivery.OutcomeFailed, msg), at, time.Time{})
	})
}

// Reject records each locked attempt as failed and its delivery dead at
// once, with the reason: the worker knows a retry cannot succeed. Dead
// deliveries can be inspected and replayed.
func (e *Engine) Reject(ctx context.Context, app string, ref design.EventRef, tokens []string, reason string) (LockResult, error) {
	if n := utf8.RuneCountInString(reason); n > maxRejectReason {
		return LockResult{}, fault.Field("reason", "too_long", fmt.Sprintf("the reason is %d characters; at most %d", n, maxRejectReason))
	}
	msg := "rejected by the pull worker"
	if reason != "" {
		msg += ": " + reason
	}
	return e.onLocks(ctx, "reject", app, ref, tokens, func(cs *compiled, lk *pullLock) error {
		rec := e.pullAttempt(lk, delivery.OutcomeFailed, msg)
		if _, err := e.st.DeliveryComplete(context.WithoutCancel(ctx), &storage.DeliveryCompleteParams{
			DeliveryID: lk.claim.DeliveryID, Token: lk.claim.Token, Completion: storage.Dead(), Attempt: rec,
		}); err != nil {
			return err
		}
		e.log.Warn("delivery dead", "app", cs.app.Name, "event", cs.event.Ref().String(), "delivery_id", lk.claim.DeliveryID, "attempts", lk.attempt, "error", msg)
		e.publishDelivery(cs, lk.claim, notify.DeliveryDead, lk.attempt, msg, time.Time{})
		e.deadAlert(cs, lk.claim.DeliveryID, lk.attempt, msg)
		return nil
	})
}

// Extend moves each lock's expiry to by from now, for a worker whose
// handler needs longer than the handler timeout. A lock lasts at most
// MaxPullExtendFactor handler timeouts from its receipt in all.
func (e *Engine) Extend(ctx context.Context, app string, ref design.EventRef, tokens []string, by time.Duration) (LockResult, error) {
	limit := MaxPullExtendFactor * e.cfg.HandlerTimeout
	if by < time.Second || by > limit {
		return LockResult{}, fault.Field("seconds", "out_of_range", fmt.Sprintf("seconds %d is out of range; extend by 1 to %d seconds", int64(by/time.Second), int64(limit/time.Second)))
	}
	res := LockResult{Succeeded: []string{}, Failed: []LockFailure{}}
	if err := checkTokens(tokens); err != nil {
		return res, err
	}
	cs, err := e.pullSub(app, ref)
	if err != nil {
		return res, fmt.Errorf("extend %s for %s: %w", ref, app, err)
	}
	pl := e.pull
	for _, tok := range tokens {
		if ferr := pl.extend(e, tok, cs.sub.ID, by, limit); ferr != nil {
			res.Failed = append(res.Failed, LockFailure{LockToken: tok, Err: ferr})
			continue
		}
		res.Succeeded = append(res.Succeeded, tok)
	}
	return res, nil
}

// extend moves one lock's expiry to by from now.
func (pl *puller) extend(e *Engine, tok string, subID int64, by, limit time.Duration) *fault.Error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	now := e.clk.Now()
	lk, ferr := pl.lookupLocked(tok, subID, now)
	if ferr != nil {
		return ferr
	}
	until := now.Add(by)
	if until.After(lk.started.Add(limit)) {
		return fault.New(fault.ErrInvalid, "extend_too_far", fmt.Sprintf(
			"the lock of delivery %d would last until %s, past %s (%d handler timeouts after it was received); extend by at most %d seconds now, or release the delivery",
			lk.claim.DeliveryID, until.Format(time.RFC3339), lk.started.Add(limit).Format(time.RFC3339), MaxPullExtendFactor, int64(lk.started.Add(limit).Sub(now)/time.Second)))
	}
	lk.lockedUntil = until
	lk.timer.Stop()
	lk.timer = e.clk.AfterFunc(by, func() { e.expireLock(lk) })
	return nil
}
