package store

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// newSimpleComplete stages the batch's plain successes (delivery id,
// claim token, finish, folded start) for one conditional statement: it
// applies to the listed deliveries still running under their token and
// returns those it changed. A plain success's attempt stays on the row
// (folded_start, migration 15).
func newSimpleComplete() *multiRow {
	return newMultiRow(`WITH c(id, tok, at, fold) AS (VALUES `, `)
UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1,
	lease_until = 0, last_error = '', updated_at = c.at, folded_start = c.fold
FROM c WHERE deliveries.id = c.id AND deliveries.claim_token = c.tok AND +deliveries.status = 'running'
RETURNING deliveries.id, deliveries.occurrence_id, deliveries.attempts`, 4)
}

// newSettle stages the occurrences whose last delivery finished, for one
// statement setting status.
func newSettle(status delivery.OccurrenceStatus) *multiRow {
	return newMultiRow(`WITH c(id) AS (VALUES `, `) UPDATE occurrences SET status = '`+string(status)+`' WHERE id IN (SELECT id FROM c)`, 1)
}

// completeBatch records the batch's completions. Plain successes (no
// triggered occurrences) share one conditional UPDATE and one multi-row
// attempts INSERT; the others, and a plain success whose delivery appears
// twice in the batch, run alone.
func (w *writer) completeBatch(ops []*op) error {
	if len(ops) == 0 {
		return nil
	}
	clear(w.byID)
	simple := ops[:0:0]
	var rest []*op
	for _, o := range ops {
		p := o.comp
		if p.Completion.Status() == delivery.Succeeded && len(p.Completion.Triggered()) == 0 {
			if _, dup := w.byID[p.DeliveryID]; !dup {
				w.byID[p.DeliveryID] = o
				simple = append(simple, o)
				continue
			}
		}
		rest = append(rest, o)
	}
	if len(simple) > 0 {
		if err := w.completeSimple(simple); err != nil {
			return err
		}
	}
	for _, o := range rest {
		if err := w.completeAlone(o); err != nil {
			return err
		}
	}
	return nil
}

// completeAlone runs one completion under its own savepoint.
func (w *writer) completeAlone(o *op) error {
	return w.alone(o, func() error {
		res, err := w.completeOne(o.comp)
		o.compRes = res
		return err
	})
}

func (w *writer) completeSimple(ops []*op) error {
	mark := len(w.undo)
	if _, err := w.exec("SAVEPOINT completes"); err != nil {
		return err
	}
	err := w.completeSimpleTx(ops)
	if err == nil {
		_, err = w.exec("RELEASE completes")
		return err
	}
	w.resetStaged()
	if _, rerr := w.exec("ROLLBACK TO completes"); rerr != nil {
		return rerr
	}
	if _, rerr := w.exec("RELEASE completes"); rerr != nil {
		return rerr
	}
	w.undoTo(mark)
	w.s.log.Warn("store: coalesced completion failed; completing one by one", "ops", len(ops), "err", err)
	for _, o := range ops {
		o.compRes, o.err = nil, nil
		if err := w.completeAlone(o); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) completeSimpleTx(ops []*op) error {
	for _, o := range ops {
		w.simpleComp.add(o.comp.DeliveryID, o.comp.Token, o.comp.Attempt.FinishedAt.UnixNano(), foldedStart(o.comp))
		o.compRes = nil
	}
	err := w.simpleComp.each(w.ctx, w.conn, func(st driver.Stmt, args []driver.NamedValue) error {
		return queryRows(w.ctx, st, args, func(vals []driver.Value) error {
			id, ok1 := vals[0].(int64)
			occ, ok2 := vals[1].(int64)
			attempts, ok3 := vals[2].(int64)
			if !ok1 || !ok2 || !ok3 {
				return fmt.Errorf("a completed delivery's row came back as %v, not three integers", vals)
			}
			o := w.byID[id]
			if o == nil {
				return nil
			}
			if foldedStart(o.comp) == 0 {
				w.stageAttempt(id, attempts, o.comp)
			}
			o.compRes = &storage.DeliveryCompleteResult{OccurrenceStatus: w.finished(occ, false)}
			if o.compRes.OccurrenceStatus == "" {
				w.ids = append(w.ids, occ)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("complete deliveries: %w", err)
	}
	for _, o := range ops {
		if o.compRes == nil {
			o.err = leaseLost(o.comp)
		}
	}
	// An occurrence the counters did not hold as pending (never expected)
	// is settled from its rows instead.
	for _, occ := range w.ids {
		if _, err := w.resettle(occ); err != nil {
			return err
		}
	}
	w.ids = w.ids[:0]
	for _, o := range ops {
		if o.compRes != nil && o.compRes.OccurrenceStatus == "" {
			o.compRes.OccurrenceStatus = delivery.OccurrenceCompleted
		}
	}
	if err := w.flushCompletions(); err != nil {
		return err
	}
	return nil
}

func leaseLost(p *storage.DeliveryCompleteParams) error {
	return fault.New(fault.ErrLeaseLost, "lease_lost", fmt.Sprintf(
		"delivery %d is not running under claim %d: its lease lapsed, or it finished or was discarded", p.DeliveryID, p.Token))
}

// foldedStart is the start (nanoseconds) of p's attempt when the
// delivery row keeps it in place of an attempts row (migration 15): a
// success with no error, log or response, and a start to keep. 0 means
// the attempt needs its row.
func foldedStart(p *storage.DeliveryCompleteParams) int64 {
	a := &p.Attempt
	if p.Completion.Status() != delivery.Succeeded || (a.Outcome != "" && a.Outcome != delivery.OutcomeSucceeded) ||
		a.Error != "" || len(a.Log) > 0 || a.Response != nil {
		return 0
	}
	return nanos(a.StartedAt)
}

// stageAttempt stages the attempts row numbered by the delivery's
// attempt count after the bump, so numbers follow the stored count.
func (w *writer) stageAttempt(id, number int64, p *storage.DeliveryCompleteParams) {
	outcome := p.Attempt.Outcome
	if outcome == "" {
		if p.Completion.Status() == delivery.Succeeded {
			outcome = delivery.OutcomeSucceeded
		} else {
			outcome = delivery.OutcomeFailed
		}
	}
	w.attIns.add(id, number, nanos(p.Attempt.StartedAt), p.Attempt.FinishedAt.UnixNano(), string(outcome), p.Attempt.Error, logText(p.Attempt.Log), responseText(p.Attempt.Response))
}

// responseText is a webhook receiver's answer as stored: a JSON object, or
// empty for none (every other handler kind).
func responseText(r *delivery.Response) string {
	if r == nil {
		return ""
	}
	b, err := json.Marshal(r)
	if err != nil {
		// A Response of plain fields always encodes; keep the row rather than lose it.
		return ""
	}
	return string(b)
}

// logText is an attempt's log as stored: a JSON array, or empty for none (the
// common case costs nothing to encode or decode).
func logText(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	b, err := json.Marshal(lines)
	if err != nil {
		// A []string always encodes; keep the row rather than lose it.
		return ""
	}
	return string(b)
}

// finished counts one delivery of occurrence occ finished (dead or not) and
// returns the occurrence's status after it; when that was its last
// unfinished delivery the occurrence is settled by flushCompletions.
func (w *writer) finished(occ int64, dead bool) delivery.OccurrenceStatus {
	st, ok := w.open[occ]
	if !ok {
		// Not pending by the counters: nothing to count down.
		return ""
	}
	st.open--
	st.dead = st.dead || dead
	if st.open > 0 {
		w.setOpen(occ, st)
		return delivery.OccurrencePending
	}
	w.delOpen(occ)
	w.setPending(st.event, w.pending[st.event]-1)
	status := finalStatus(st.dead)
	if st.dead {
		w.settleDead.add(occ)
	} else {
		w.settleDone.add(occ)
	}
	return status
}

// flushCompletions writes the staged attempts and the settled
// occurrences' statuses.
func (w *writer) flushCompletions() error {
	if err := w.attIns.flush(w.ctx, w.conn); err != nil {
		return fmt.Errorf("insert attempts: %w", err)
	}
	for _, m := range []*multiRow{w.settleDone, w.settleDead} {
		if err := m.flush(w.ctx, w.conn); err != nil {
			return fmt.Errorf("settle occurrences: %w", err)
		}
	}
	return nil
}

// completeOne records one completion of any kind, with the occurrences a
// success triggered, in the current savepoint.
func (w *writer) completeOne(p *storage.DeliveryCompleteParams) (*storage.DeliveryCompleteResult, error) {
	if err := p.Completion.Err(); err != nil {
		return nil, fault.New(fault.ErrInvalid, "invalid_completion", err.Error())
	}
	status, triggered := p.Completion.Status(), p.Completion.Triggered()
	var next any
	if status == delivery.Retrying {
		next = nanos(p.Completion.NextAttemptAt())
	}
	var occ, attempts int64
	err := w.QueryRowContext(w.ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1,
			next_attempt_at = coalesce(?, next_attempt_at), lease_until = 0, last_error = ?, updated_at = ?
		WHERE id = ? AND status = 'running' AND claim_token = ?
		RETURNING occurrence_id, attempts`,
		string(status), next, p.Attempt.Error, p.Attempt.FinishedAt.UnixNano(), p.DeliveryID, p.Token).Scan(&occ, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, leaseLost(p)
	}
	if err != nil {
		return nil, fmt.Errorf("complete delivery %d: %w", p.DeliveryID, err)
	}
	w.stageAttempt(p.DeliveryID, attempts, p)
	res := &storage.DeliveryCompleteResult{OccurrenceStatus: delivery.OccurrencePending}
	if status != delivery.Retrying {
		res.OccurrenceStatus = w.finished(occ, status == delivery.Dead)
	}
	if err := w.flushCompletions(); err != nil {
		return nil, err
	}
	if len(triggered) > 0 {
		res.Triggered = make([]storage.OccurrenceInsertResult, len(triggered))
		for i := range triggered {
			r, err := w.stageInsert(&triggered[i])
			if err != nil {
				return nil, err
			}
			res.Triggered[i] = *r
		}
		if err := w.flushInserts(); err != nil {
			return nil, err
		}
	}
	if res.OccurrenceStatus == "" {
		st, err := w.resettle(occ)
		if err != nil {
			return nil, err
		}
		res.OccurrenceStatus = st
	}
	return res, nil
}

// resettle recomputes occurrence occ's status and counters from its
// deliveries, for the rare writes (replay, discard, subscription delete)
// that move deliveries between finished and unfinished.
func (w *writer) resettle(occ int64) (delivery.OccurrenceStatus, error) {
	var event int64
	var stored string
	var open, dead int
	err := w.QueryRowContext(w.ctx, `SELECT o.event_id, o.status,
			(SELECT count(*) FROM deliveries d WHERE d.occurrence_id = o.id AND d.status IN ('pending', 'running', 'retrying')),
			(SELECT count(*) FROM deliveries d WHERE d.occurrence_id = o.id AND d.status = 'dead')
		FROM occurrences o WHERE o.id = ?`, occ).Scan(&event, &stored, &open, &dead)
	if err != nil {
		return "", fmt.Errorf("settle occurrence %d: %w", occ, err)
	}
	status := delivery.OccurrencePending
	_, was := w.open[occ]
	if open > 0 {
		w.setOpen(occ, occState{event: event, open: int32(open), dead: dead > 0})
		if !was {
			w.setPending(event, w.pending[event]+1)
		}
	} else {
		status = finalStatus(dead > 0)
		if was {
			w.delOpen(occ)
			w.setPending(event, w.pending[event]-1)
		}
	}
	if string(status) != stored {
		if _, err := w.exec(`UPDATE occurrences SET status = ? WHERE id = ?`, string(status), occ); err != nil {
			return "", fmt.Errorf("settle occurrence %d: %w", occ, err)
		}
	}
	return status, nil
}
