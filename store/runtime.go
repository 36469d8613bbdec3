package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// do runs fn in the writer, alone under a savepoint, and returns its result.
func (s *Store) do(ctx context.Context, fn func(w *writer) (any, error)) (any, error) {
	o := &op{kind: opGeneric, fn: fn}
	if err := s.submit(ctx, o); err != nil {
		return nil, err
	}
	return o.res, nil
}

// OccurrenceInsert stores one occurrence and its deliveries, or nothing
// when the event's queue is full (fault.ErrQueueFull). The cap check reads
// the writer's counters: O(1). A QueueCap of 0 or less means no cap.
func (s *Store) OccurrenceInsert(ctx context.Context, p *storage.OccurrenceInsertParams) (*storage.OccurrenceInsertResult, error) {
	// The parameters are read for the payload search index here, on the
	// caller's goroutine: the one writer's time is every trigger's.
	o := &op{kind: opInsert, ins: p}
	if err := s.submit(ctx, o); err != nil {
		return nil, fmt.Errorf("occurrence insert: %w", err)
	}
	return o.insRes, nil
}

// OccurrenceInsertBatch stores every item the queue caps allow in one
// transaction, staged into the same multi-row INSERTs as coalesced
// single inserts; an item over its cap is refused alone.
func (s *Store) OccurrenceInsertBatch(ctx context.Context, p []*storage.OccurrenceInsertParams) ([]storage.OccurrenceInsertOutcome, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		out := make([]storage.OccurrenceInsertOutcome, len(p))
		for i, ip := range p {
			out[i].Result, out[i].Err = w.stageInsert(ip)
		}
		if err := w.flushInserts(); err != nil {
			return nil, err
		}
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("occurrence insert batch of %d: %w", len(p), err)
	}
	out, _ := res.([]storage.OccurrenceInsertOutcome)
	return out, nil
}

// DeliveryComplete records a finished attempt when the delivery is still
// running under p.Token (fault.ErrLeaseLost otherwise). Attempt numbers
// follow the stored attempt count, whatever p.Attempt.Number says. The
// delivery's updated time is p.Attempt.FinishedAt (the store's clock when
// unset).
func (s *Store) DeliveryComplete(ctx context.Context, p *storage.DeliveryCompleteParams) (*storage.DeliveryCompleteResult, error) {
	if p.Attempt.FinishedAt.IsZero() {
		cp := *p
		cp.Attempt.FinishedAt = time.Now()
		p = &cp
	}
	o := &op{kind: opComplete, comp: p}
	if err := s.submit(ctx, o); err != nil {
		return nil, fmt.Errorf("delivery %d complete: %w", p.DeliveryID, err)
	}
	return o.compRes, nil
}

// DeliveryClaim claims due deliveries of one subscription, oldest due
// first. All deliveries of one claim share its token, fresh from the
// writer's counter, so a (delivery, token) pair is never reused.
func (s *Store) DeliveryClaim(ctx context.Context, p *storage.DeliveryClaimParams) ([]storage.Claim, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	res, err := s.do(ctx, func(w *writer) (any, error) { return w.claim(p) })
	if err != nil {
		return nil, fmt.Errorf("delivery claim for subscription %d: %w", p.SubscriptionID, err)
	}
	claims, _ := res.([]storage.Claim)
	return claims, nil
}

func (w *writer) claim(p *storage.DeliveryClaimParams) ([]storage.Claim, error) {
	limit := p.Limit
	if p.AppLimit > 0 {
		n, err := w.appLeased(p.SubscriptionID, p.Now)
		if err != nil {
			return nil, fmt.Errorf("count the app's leased deliveries: %w", err)
		}
		if limit = min(limit, p.AppLimit-n); limit <= 0 {
			return nil, nil
		}
	}
	rows, err := w.query(`SELECT d.id, d.occurrence_id, d.app_id, d.attempts, d.schedule_base, o.event_id, o.trace_id, o.parameters, o.created_at, o.traceparent
		FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id
		WHERE d.subscription_id = ? AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at, d.id LIMIT ?`, p.SubscriptionID, nanos(p.Now), limit)
	if err != nil {
		return nil, err
	}
	var claims []storage.Claim
	for rows.Next() {
		var c storage.Claim
		var params string
		var created int64
		if err := rows.Scan(&c.DeliveryID, &c.OccurrenceID, &c.AppID, &c.Attempts, &c.ScheduleBase, &c.EventID, &c.TraceID, &params, &created, &c.Traceparent); err != nil {
			rows.Close()
			return nil, err
		}
		c.SubscriptionID = p.SubscriptionID
		c.Parameters = []byte(params)
		c.CreatedAt = fromNanos(created)
		c.LeaseUntil = p.LeaseUntil
		claims = append(claims, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(claims) == 0 {
		return nil, nil
	}
	token := w.nextToken
	w.nextToken++
	b := append(w.jbuf[:0], '[')
	for i := range claims {
		claims[i].Token = token
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, claims[i].DeliveryID, 10)
	}
	b = append(b, ']')
	w.jbuf = b
	if _, err := w.exec(`UPDATE deliveries SET status = 'running', claim_token = ?, lease_until = ?, updated_at = ?
		WHERE id IN (SELECT value FROM json_each(?))`, token, nanos(p.LeaseUntil), nanos(p.Now), string(b)); err != nil {
		return nil, err
	}
	return claims, nil
}

// DeliveryNextDue returns the earliest due time among the subscription's
// pending and retrying deliveries.
func (s *Store) DeliveryNextDue(ctx context.Context, subscriptionID int64) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM deliveries
		WHERE subscription_id = ? AND status IN ('pending', 'retrying')`, subscriptionID).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("delivery next due for subscription %d: %w", subscriptionID, err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, next.Int64).UTC(), true, nil
}

// DeliveryRelease returns claims to Pending, due at p.Now, leaving alone
// any delivery no longer running under its claim's token.
func (s *Store) DeliveryRelease(ctx context.Context, p *storage.DeliveryReleaseParams) error {
	if len(p.Claims) == 0 {
		return nil
	}
	_, err := s.do(ctx, func(w *writer) (any, error) {
		b := append(w.jbuf[:0], '[')
		for i, c := range p.Claims {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendInt(b, c.DeliveryID, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, c.Token, 10)
			b = append(b, ']')
		}
		b = append(b, ']')
		w.jbuf = b
		now := nanos(p.Now)
		_, err := w.exec(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_until = 0, updated_at = ?
			FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS tok FROM json_each(?)) AS c
			WHERE deliveries.id = c.id AND deliveries.claim_token = c.tok AND +deliveries.status = 'running'`, now, now, string(b))
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("delivery release: %w", err)
	}
	return nil
}

// DeliveryReleaseExpired reclaims every running delivery whose lease
// ended before p.Now, counting the lost run as a failed attempt: retrying
// due now, or dead at p.MaxAttempts (see storage.Storage).
func (s *Store) DeliveryReleaseExpired(ctx context.Context, p *storage.DeliveryReleaseExpiredParams) (int, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		n := nanos(p.Now)
		rows, err := w.QueryContext(w.ctx, `SELECT id, occurrence_id, attempts, schedule_base, updated_at FROM deliveries
			WHERE status = 'running' AND lease_until < ?`, n)
		if err != nil {
			return 0, err
		}
		type lost struct{ id, occ, attempts, base, claimedAt int64 }
		var all []lost
		for rows.Next() {
			var l lost
			if err := rows.Scan(&l.id, &l.occ, &l.attempts, &l.base, &l.claimedAt); err != nil {
				rows.Close()
				return 0, err
			}
			all = append(all, l)
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, l := range all {
			number := l.attempts + 1
			status := delivery.Retrying
			// Counted since the schedule last started over (a replay).
			if p.MaxAttempts > 0 && number-l.base >= int64(p.MaxAttempts) {
				status = delivery.Dead
			}
			if _, err := w.exec(`UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = 0,
					last_error = ?, updated_at = ? WHERE id = ?`, string(status), number, n, p.Error, n, l.id); err != nil {
				return 0, err
			}
			// The run started when it was claimed (the claim's updated_at).
			if _, err := w.exec(`INSERT INTO attempts (delivery_id, number, started_at, finished_at, outcome, error)
					VALUES (?, ?, ?, ?, ?, ?)`, l.id, number, l.claimedAt, n, string(delivery.OutcomeFailed), p.Error); err != nil {
				return 0, err
			}
			if status == delivery.Dead {
				if _, err := w.resettle(l.occ); err != nil {
					return 0, err
				}
			}
		}
		return len(all), nil
	})
	if err != nil {
		return 0, fmt.Errorf("delivery release expired: %w", err)
	}
	return res.(int), nil
}

// DeliveryRetryNow makes a retrying or pending delivery due at now.
func (s *Store) DeliveryRetryNow(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return s.deliveryChange(ctx, "retry now", id, func(w *writer, status delivery.Status) error {
		if status != delivery.Retrying && status != delivery.Pending {
			return fault.New(fault.ErrConflict, "not_waiting", fmt.Sprintf(
				"delivery %d is %s; only a pending or retrying delivery can be retried now", id, status))
		}
		_, err := w.exec(`UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ?`, nanos(now), nanos(now), id)
		return err
	})
}

// DeliveryReplay makes a dead or discarded delivery pending again, due at
// now, its attempt count kept and its retry schedule started over from
// it; its occurrence becomes pending again and counts against the queue
// cap (which it may exceed by that one).
func (s *Store) DeliveryReplay(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return s.deliveryChange(ctx, "replay", id, func(w *writer, status delivery.Status) error {
		if status != delivery.Dead && status != delivery.Discarded {
			return fault.New(fault.ErrConflict, "not_finished", fmt.Sprintf(
				"delivery %d is %s; only a dead or discarded delivery can be replayed", id, status))
		}
		if _, err := w.exec(`UPDATE deliveries SET schedule_base = attempts WHERE id = ?`, id); err != nil {
			return err
		}
		return w.moveDelivery(id, delivery.Pending, now)
	})
}

// DeliveryDiscard drops an unfinished or dead delivery.
func (s *Store) DeliveryDiscard(ctx context.Context, id int64, now time.Time) (delivery.Delivery, error) {
	return s.deliveryChange(ctx, "discard", id, func(w *writer, status delivery.Status) error {
		if status == delivery.Succeeded || status == delivery.Discarded {
			return fault.New(fault.ErrConflict, "finished", fmt.Sprintf(
				"delivery %d is %s; only an unfinished or dead delivery can be discarded", id, status))
		}
		return w.moveDelivery(id, delivery.Discarded, now)
	})
}

// moveDelivery sets a delivery's status (Pending due now, or Discarded),
// clears its lease and settles its occurrence.
func (w *writer) moveDelivery(id int64, to delivery.Status, now time.Time) error {
	n := nanos(now)
	var occ int64
	err := w.QueryRowContext(w.ctx, `UPDATE deliveries SET status = ?,
			next_attempt_at = CASE WHEN ? = 'pending' THEN ? ELSE next_attempt_at END,
			lease_until = 0, updated_at = ? WHERE id = ? RETURNING occurrence_id`,
		string(to), string(to), n, n, id).Scan(&occ)
	if err != nil {
		return err
	}
	_, err = w.resettle(occ)
	return err
}

// deliveryChange reads delivery id's status in the writer, lets f check
// and change it, and returns the delivery afterwards.
func (s *Store) deliveryChange(ctx context.Context, verb string, id int64, f func(w *writer, status delivery.Status) error) (delivery.Delivery, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		var status string
		err := w.QueryRowContext(w.ctx, `SELECT status FROM deliveries WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, deliveryNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		if err := f(w, delivery.Status(status)); err != nil {
			return nil, err
		}
		return getDelivery(w.ctx, w, id)
	})
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("delivery %d %s: %w", id, verb, err)
	}
	return res.(delivery.Delivery), nil
}

func deliveryNotFound(id int64) error {
	return fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("delivery %d does not exist", id))
}
