package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// opKind says how the writer runs an op: inserts and plain successful
// completions are coalesced with the others of their batch into a few
// multi-row statements; every other write runs alone under a savepoint.
type opKind uint8

const (
	opGeneric opKind = iota
	opInsert
	opComplete
)

// op is one write waiting for the writer. The writer sets err and the
// result, then closes done.
type op struct {
	kind    opKind
	ctx     context.Context
	ins     *storage.OccurrenceInsertParams
	comp    *storage.DeliveryCompleteParams
	fn      func(w *writer) (any, error)
	res     any
	insRes  *storage.OccurrenceInsertResult
	compRes *storage.DeliveryCompleteResult
	err     error
	done    chan struct{}
}

// occState is what the writer tracks of a pending occurrence: its event
// (for the event's pending counter), how many of its deliveries are
// unfinished, and whether one of them is dead.
type occState struct {
	event int64
	open  int32
	dead  bool
}

// undoEntry restores one counter when an op's savepoint or the batch's
// transaction is rolled back.
type undoEntry struct {
	occ bool // open[key] if true, pending[key] otherwise
	had bool
	key int64
	n   int
	st  occState
}

// settled is an occurrence whose last unfinished delivery finished.
type settled struct {
	id     int64
	status delivery.OccurrenceStatus
}

// writer owns the write connection and the in-memory counters. Only its
// goroutine touches its fields after Open.
type writer struct {
	s    *Store
	conn *sql.Conn
	ctx  context.Context

	// pending[eventID] counts the event's pending occurrences (the queue
	// cap's counter); open[occurrenceID] tracks each pending occurrence.
	pending map[int64]int
	open    map[int64]occState
	undo    []undoEntry
	dirty   bool // pending changed in this batch

	// Ids are assigned here, so a root occurrence carries its own id as
	// trace id in the same INSERT and inserts can be multi-row.
	nextOcc, nextDel int64
	// nextToken is the next claim token. Deliveries created claimed hold
	// token 1 (the storage contract); claims start at 2, so a token never
	// returns to a delivery that held it.
	nextToken int64

	stmts  map[string]*sql.Stmt
	occIns *multiRow
	delIns *multiRow
	attIns *multiRow
	// simpleComp stages the batch's plain successes; settleDone and
	// settleDead the occurrences whose last delivery finished.
	simpleComp, settleDone, settleDead *multiRow

	batch    []*op
	generic  []*op
	inserts  []*op
	complete []*op
	byID     map[int64]*op
	jbuf     []byte
	ids      []int64
}

func newWriter(ctx context.Context, s *Store, conn *sql.Conn) (*writer, error) {
	w := &writer{
		s:       s,
		conn:    conn,
		ctx:     context.Background(),
		pending: make(map[int64]int),
		open:    make(map[int64]occState),
		stmts:   make(map[string]*sql.Stmt),
		byID:    make(map[int64]*op),
		occIns: newMultiInsert("occurrences",
			"id, event_id, app_id, trace_id, parent_delivery_id, parameters, status, created_at, traceparent", 9),
		delIns: newDeliveryInsert(),
		attIns: newMultiInsert("attempts",
			"delivery_id, number, started_at, finished_at, outcome, error, log, response", 8),
		simpleComp: newSimpleComplete(),
		settleDone: newSettle(delivery.OccurrenceCompleted),
		settleDead: newSettle(delivery.OccurrenceDead),
	}
	if err := w.load(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// load sets the id counters and rebuilds the queue counters from the
// tables, settling any occurrence left pending with no unfinished
// delivery.
func (w *writer) load(ctx context.Context) error {
	row := w.conn.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(max(id), 0) FROM occurrences),
		(SELECT coalesce(max(id), 0) FROM deliveries),
		(SELECT coalesce(max(claim_token), 0) FROM deliveries)`)
	var occ, del, tok int64
	if err := row.Scan(&occ, &del, &tok); err != nil {
		return fmt.Errorf("load counters: %w", err)
	}
	w.nextOcc, w.nextDel, w.nextToken = occ+1, del+1, max(tok+1, 2)

	// The implied status <> 'completed' lets the partial occurrences_status serve.
	rows, err := w.conn.QueryContext(ctx, `SELECT o.id, o.event_id,
			count(d.id) FILTER (WHERE d.status IN ('pending', 'running', 'retrying')),
			count(d.id) FILTER (WHERE d.status = 'dead')
		FROM occurrences o LEFT JOIN deliveries d ON d.occurrence_id = o.id
		WHERE o.status = 'pending' AND o.status <> 'completed' GROUP BY o.id`)
	if err != nil {
		return fmt.Errorf("load queue counters: %w", err)
	}
	var stale []settled
	for rows.Next() {
		var id, event int64
		var open, dead int
		if err := rows.Scan(&id, &event, &open, &dead); err != nil {
			rows.Close()
			return fmt.Errorf("load queue counters: %w", err)
		}
		if open == 0 {
			stale = append(stale, settled{id, finalStatus(dead > 0)})
			continue
		}
		w.open[id] = occState{event: event, open: int32(open), dead: dead > 0}
		w.pending[event]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load queue counters: %w", err)
	}
	for _, x := range stale {
		if _, err := w.conn.ExecContext(ctx, `UPDATE occurrences SET status = ? WHERE id = ?`, string(x.status), x.id); err != nil {
			return fmt.Errorf("settle occurrence %d: %w", x.id, err)
		}
	}
	return nil
}

func finalStatus(dead bool) delivery.OccurrenceStatus {
	if dead {
		return delivery.OccurrenceDead
	}
	return delivery.OccurrenceCompleted
}

func (w *writer) close() error {
	var errs []error
	for _, st := range w.stmts {
		errs = append(errs, st.Close())
	}
	for _, m := range []*multiRow{w.occIns, w.delIns, w.attIns, w.simpleComp, w.settleDone, w.settleDead} {
		errs = append(errs, m.close(w.conn))
	}
	errs = append(errs, w.conn.Close())
	return errors.Join(errs...)
}

// stmt returns the prepared statement for q, preparing it once.
func (w *writer) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *writer) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *writer) query(q string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

// QueryContext and QueryRowContext make the writer a querier, so the read
// helpers can read inside its transaction.
func (w *writer) QueryContext(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	return w.query(q, args...)
}

func (w *writer) QueryRowContext(_ context.Context, q string, args ...any) *sql.Row {
	st, err := w.stmt(q)
	if err != nil {
		return w.conn.QueryRowContext(w.ctx, q, args...) // reports the same error
	}
	return st.QueryRowContext(w.ctx, args...)
}

func (w *writer) setPending(event int64, n int) {
	old, had := w.pending[event]
	w.undo = append(w.undo, undoEntry{key: event, n: old, had: had})
	if n == 0 {
		delete(w.pending, event)
	} else {
		w.pending[event] = n
	}
	w.dirty = true
}

func (w *writer) setOpen(id int64, st occState) {
	old, had := w.open[id]
	w.undo = append(w.undo, undoEntry{occ: true, key: id, st: old, had: had})
	w.open[id] = st
}

func (w *writer) delOpen(id int64) {
	old, had := w.open[id]
	w.undo = append(w.undo, undoEntry{occ: true, key: id, st: old, had: had})
	delete(w.open, id)
}

// undoTo restores the counters to what they were when the undo log was
// mark entries long.
func (w *writer) undoTo(mark int) {
	for i := len(w.undo) - 1; i >= mark; i-- {
		u := w.undo[i]
		switch {
		case u.occ && u.had:
			w.open[u.key] = u.st
		case u.occ:
			delete(w.open, u.key)
		case u.had:
			w.pending[u.key] = u.n
		default:
			delete(w.pending, u.key)
		}
	}
	w.undo = w.undo[:mark]
}

// loop runs batches until the op channel is closed and drained.
func (w *writer) loop() {
	defer close(w.s.done)
	for {
		o, ok := <-w.s.ops
		if !ok {
			return
		}
		w.batch = append(w.batch[:0], o)
	drain:
		for len(w.batch) < w.s.cfg.MaxBatch {
			select {
			case o, ok := <-w.s.ops:
				if !ok {
					break drain
				}
				w.batch = append(w.batch, o)
			default:
				break drain
			}
		}
		w.run(w.batch)
		clear(w.batch)
	}
}

// run commits one batch in one transaction. An op's refusal rolls back
// only that op (a savepoint, or a coalesced statement that skips it); a
// failure of the transaction itself fails every op of the batch.
func (w *writer) run(batch []*op) {
	w.generic, w.inserts, w.complete = w.generic[:0], w.inserts[:0], w.complete[:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.err = err // the caller gave up before the op started
			continue
		}
		switch o.kind {
		case opInsert:
			w.inserts = append(w.inserts, o)
		case opComplete:
			w.complete = append(w.complete, o)
		default:
			w.generic = append(w.generic, o)
		}
	}
	if n := len(w.generic) + len(w.inserts) + len(w.complete); n > 0 {
		firstOcc := w.nextOcc
		start := time.Now()
		err := w.runTx()
		if obs := w.s.cfg.Commits; obs != nil {
			obs.ObserveCommit(n, time.Since(start), err)
		}
		if err != nil {
			w.undoTo(0)
			err = fmt.Errorf("commit: %w", err)
			for _, o := range batch {
				if o.err == nil {
					o.err, o.res, o.insRes, o.compRes = err, nil, nil, nil
				}
			}
			w.s.log.Error("store: batch failed", "ops", len(batch), "err", err)
		} else {
			if w.dirty {
				w.s.publishDepths()
			}
			if w.nextOcc != firstOcc {
				w.s.search.kick(w.nextOcc - 1)
			}
			w.s.ckpt.kick(time.Now())
		}
	}
	w.undo, w.dirty = w.undo[:0], false
	for _, o := range batch {
		close(o.done)
	}
}

func (w *writer) runTx() (err error) {
	if _, err := w.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if _, rerr := w.conn.ExecContext(w.ctx, "ROLLBACK"); rerr != nil {
				w.s.log.Warn("store: rollback", "err", rerr)
			}
		}
	}()
	for _, o := range w.generic {
		if err := w.alone(o, func() error {
			res, err := o.fn(w)
			o.res = res
			return err
		}); err != nil {
			return err
		}
	}
	// Completions before inserts: finished occurrences free queue room.
	if err := w.completeBatch(w.complete); err != nil {
		return err
	}
	if err := w.insertBatch(w.inserts); err != nil {
		return err
	}
	_, err = w.exec("COMMIT")
	return err
}

// alone runs f under a savepoint: when f fails, its writes and its counter
// changes are undone and its error becomes o's; the batch goes on. The
// error returned is fatal to the batch (the savepoint itself failed).
func (w *writer) alone(o *op, f func() error) error {
	mark := len(w.undo)
	if _, err := w.exec("SAVEPOINT op"); err != nil {
		return err
	}
	if err := f(); err != nil {
		w.resetStaged()
		if _, rerr := w.exec("ROLLBACK TO op"); rerr != nil {
			return fmt.Errorf("%w (after %v)", rerr, err)
		}
		if _, rerr := w.exec("RELEASE op"); rerr != nil {
			return rerr
		}
		w.undoTo(mark)
		o.err = err
		return nil
	}
	_, err := w.exec("RELEASE op")
	return err
}

// resetStaged drops rows staged but not yet written.
func (w *writer) resetStaged() {
	w.occIns.reset()
	w.delIns.reset()
	w.attIns.reset()
	w.simpleComp.reset()
	w.settleDone.reset()
	w.settleDead.reset()
	w.ids = w.ids[:0]
}

// insertBatch stores every insert op of the batch with one multi-row
// INSERT per table. An op over its queue cap is refused alone. Should the
// statements fail, each op is retried alone so only the culprit fails.
func (w *writer) insertBatch(ops []*op) error {
	if len(ops) == 0 {
		return nil
	}
	mark := len(w.undo)
	if _, err := w.exec("SAVEPOINT inserts"); err != nil {
		return err
	}
	for _, o := range ops {
		o.insRes, o.err = w.stageInsert(o.ins)
	}
	err := w.flushInserts()
	if err == nil {
		_, err = w.exec("RELEASE inserts")
		return err
	}
	w.resetStaged()
	if _, rerr := w.exec("ROLLBACK TO inserts"); rerr != nil {
		return rerr
	}
	if _, rerr := w.exec("RELEASE inserts"); rerr != nil {
		return rerr
	}
	w.undoTo(mark)
	w.s.log.Warn("store: coalesced insert failed; inserting one by one", "ops", len(ops), "err", err)
	for _, o := range ops {
		o.insRes, o.err = nil, nil
		if err := w.alone(o, func() error {
			res, err := w.stageInsert(o.ins)
			if err != nil {
				return err
			}
			o.insRes = res
			return w.flushInserts()
		}); err != nil {
			return err
		}
	}
	return nil
}

// stageInsert checks the queue cap, assigns ids and stages the rows of
// one occurrence and its deliveries; flushInserts writes them. The
// payload search index reads the occurrence later (searchindex.go).
func (w *writer) stageInsert(p *storage.OccurrenceInsertParams) (*storage.OccurrenceInsertResult, error) {
	n := w.pending[p.EventID]
	if p.QueueCap > 0 && n >= p.QueueCap {
		return nil, fault.New(fault.ErrQueueFull, "queue_full", fmt.Sprintf(
			"the event already has %d pending occurrences (the cap); wait for handlers to catch up or raise the queue cap",
			n))
	}
	id := w.nextOcc
	w.nextOcc++
	trace := p.TraceID
	if trace == 0 {
		trace = id
	}
	status := delivery.OccurrencePending
	if len(p.Deliveries) == 0 {
		status = delivery.OccurrenceCompleted
	}
	// The payload is bound as TEXT without a copy of its ~1 KB (6% of
	// what the process allocated at saturation): p is the caller's, who
	// waits on the op, and SQLite copies the text when the statement runs.
	params := unsafe.String(unsafe.SliceData(p.Parameters), len(p.Parameters))
	if params == "" {
		params = "{}"
	}
	created := nanos(p.CreatedAt)
	w.occIns.add(id, p.EventID, p.AppID, trace, p.ParentDeliveryID, params, string(status), created, p.Traceparent)
	res := &storage.OccurrenceInsertResult{OccurrenceID: id, TraceID: trace}
	if len(p.Deliveries) > 0 {
		res.Deliveries = make([]storage.Claim, len(p.Deliveries))
		lease := nanos(p.LeaseUntil)
		for i, nd := range p.Deliveries {
			did := w.nextDel
			w.nextDel++
			c := storage.Claim{
				DeliveryID: did, OccurrenceID: id, SubscriptionID: nd.SubscriptionID, AppID: nd.AppID,
				EventID: p.EventID, TraceID: trace, Parameters: p.Parameters, CreatedAt: p.CreatedAt, Traceparent: p.Traceparent,
			}
			if nd.Claim {
				c.Token, c.LeaseUntil = 1, p.LeaseUntil
				w.delIns.add(did, id, nd.SubscriptionID, nd.AppID, p.EventID, created, int64(1), lease)
			} else {
				w.delIns.add(did, id, nd.SubscriptionID, nd.AppID, p.EventID, created, int64(0), int64(0))
			}
			res.Deliveries[i] = c
		}
		w.setOpen(id, occState{event: p.EventID, open: int32(len(p.Deliveries))})
		w.setPending(p.EventID, n+1)
	}
	return res, nil
}

// newDeliveryInsert stages new deliveries as (id, occurrence, subscription,
// app, event, created, claim token, lease): a claimed one (token 1) is
// running under its lease, the others are pending, and both are due and
// updated at their creation. Derived in SQL, the three columns cost no
// binding: binding and converting arguments was ~40% of the insert.
func newDeliveryInsert() *multiRow {
	return newMultiRow(`WITH r(id, occ, sub, app, ev, at, tok, lease) AS (VALUES `, `)
INSERT INTO deliveries (id, occurrence_id, subscription_id, app_id, event_id, status, next_attempt_at, claim_token, lease_until, created_at, updated_at)
SELECT id, occ, sub, app, ev, CASE tok WHEN 1 THEN 'running' ELSE 'pending' END, at, tok, lease, at, at FROM r`, 8)
}

func (w *writer) flushInserts() error {
	if err := w.occIns.flush(w.ctx, w.conn); err != nil {
		return fmt.Errorf("insert occurrences: %w", err)
	}
	if err := w.delIns.flush(w.ctx, w.conn); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	return nil
}
