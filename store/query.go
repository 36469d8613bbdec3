package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// querier is what the read helpers need: the reader pool, or the writer
// inside its transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Page sizes of the list queries.
const (
	defaultLimit = 50
	maxLimit     = 500
)

func limit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

const occurrenceCols = `o.id, o.event_id, o.app_id, coalesce(a.name, ''), coalesce(e.name, ''), o.trace_id,
	o.parent_delivery_id, o.parameters, o.created_at, o.status, o.traceparent
	FROM occurrences o LEFT JOIN apps a ON a.id = o.app_id LEFT JOIN events e ON e.id = o.event_id`

func scanOccurrences(rows *sql.Rows) ([]delivery.Occurrence, error) {
	defer rows.Close()
	var out []delivery.Occurrence
	for rows.Next() {
		var o delivery.Occurrence
		var params, status string
		var created int64
		if err := rows.Scan(&o.ID, &o.EventID, &o.AppID, &o.App, &o.Event, &o.TraceID,
			&o.ParentDeliveryID, &params, &created, &status, &o.Traceparent); err != nil {
			return nil, err
		}
		o.Parameters = []byte(params)
		o.CreatedAt = fromNanos(created)
		o.Status = delivery.OccurrenceStatus(status)
		out = append(out, o)
	}
	return out, rows.Err()
}

// deliveryCols reads a delivery with its trace id, looked up by the
// occurrence's primary key (one b-tree probe a row), so a delivery read
// carries what its notifications need.
const deliveryCols = `d.id, d.occurrence_id, d.subscription_id, d.app_id, d.event_id, coalesce(a.name, ''),
	coalesce((SELECT trace_id FROM occurrences WHERE id = d.occurrence_id), 0),
	d.status, d.attempts, d.schedule_base, d.next_attempt_at, d.last_error, d.created_at, d.updated_at
	FROM deliveries d LEFT JOIN apps a ON a.id = d.app_id`

func scanDeliveries(rows *sql.Rows) ([]delivery.Delivery, error) {
	defer rows.Close()
	var out []delivery.Delivery
	for rows.Next() {
		var d delivery.Delivery
		var status string
		var next, created, updated int64
		if err := rows.Scan(&d.ID, &d.OccurrenceID, &d.SubscriptionID, &d.AppID, &d.EventID, &d.App, &d.TraceID,
			&status, &d.Attempts, &d.ScheduleBase, &next, &d.LastError, &created, &updated); err != nil {
			return nil, err
		}
		d.Status = delivery.Status(status)
		// A due time means something only while the delivery waits.
		if d.Status == delivery.Pending || d.Status == delivery.Retrying {
			d.NextAttemptAt = fromNanos(next)
		}
		d.CreatedAt, d.UpdatedAt = fromNanos(created), fromNanos(updated)
		out = append(out, d)
	}
	return out, rows.Err()
}

// idList is ids as a JSON array, for json_each.
func idList(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// attachAttempts fills the AttemptList of every delivery in ds.
func attachAttempts(ctx context.Context, q querier, ds []delivery.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ds))
	ids := make([]int64, len(ds))
	for i, d := range ds {
		idx[d.ID] = i
		ids[i] = d.ID
	}
	rows, err := q.QueryContext(ctx, attemptsSQL(true, false), idList(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a delivery.Attempt
		var started, finished int64
		var outcome, logs, resp string
		if err := rows.Scan(&a.DeliveryID, &a.Number, &started, &finished, &outcome, &a.Error, &logs, &resp); err != nil {
			return err
		}
		if resp != "" {
			a.Response = new(delivery.Response)
			if err := json.Unmarshal([]byte(resp), a.Response); err != nil {
				return fmt.Errorf("attempt %d of delivery %d: read its response: %w", a.Number, a.DeliveryID, err)
			}
		}
		if logs != "" {
			if err := json.Unmarshal([]byte(logs), &a.Log); err != nil {
				return fmt.Errorf("attempt %d of delivery %d: read its log: %w", a.Number, a.DeliveryID, err)
			}
		}
		a.StartedAt, a.FinishedAt, a.Outcome = fromNanos(started), fromNanos(finished), delivery.Outcome(outcome)
		d := &ds[idx[a.DeliveryID]]
		d.AttemptList = append(d.AttemptList, a)
	}
	return rows.Err()
}

// attachDeliveries fills the Deliveries (with attempts) of every
// occurrence in os, each in id order.
func attachDeliveries(ctx context.Context, q querier, os []delivery.Occurrence) error {
	if len(os) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(os))
	ids := make([]int64, len(os))
	for i, o := range os {
		idx[o.ID] = i
		ids[i] = o.ID
	}
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryCols+`
		WHERE d.occurrence_id IN (SELECT value FROM json_each(?)) ORDER BY d.id`, idList(ids))
	if err != nil {
		return err
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return err
	}
	if err := attachAttempts(ctx, q, ds); err != nil {
		return err
	}
	for _, d := range ds {
		o := &os[idx[d.OccurrenceID]]
		o.Deliveries = append(o.Deliveries, d)
	}
	return nil
}

// OccurrenceGet returns one occurrence with its deliveries and attempts.
func (s *Store) OccurrenceGet(ctx context.Context, id int64) (delivery.Occurrence, error) {
	o, err := s.occurrenceGet(ctx, id)
	if err != nil {
		return delivery.Occurrence{}, fmt.Errorf("occurrence %d: %w", id, err)
	}
	return o, nil
}

func (s *Store) occurrenceGet(ctx context.Context, id int64) (delivery.Occurrence, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+occurrenceCols+` WHERE o.id = ?`, id)
	if err != nil {
		return delivery.Occurrence{}, err
	}
	os, err := scanOccurrences(rows)
	if err != nil {
		return delivery.Occurrence{}, err
	}
	if len(os) == 0 {
		return delivery.Occurrence{}, fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("occurrence %d does not exist", id))
	}
	if err := attachDeliveries(ctx, s.rdb, os); err != nil {
		return delivery.Occurrence{}, err
	}
	return os[0], nil
}

// where builds a WHERE clause from conditions that are each added only
// when their filter is set.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// OccurrenceList returns occurrences newest first, without their
// deliveries. Since is inclusive and Until exclusive (created_at).
func (s *Store) OccurrenceList(ctx context.Context, p *storage.OccurrenceListParams) ([]delivery.Occurrence, error) {
	w, err := occurrenceWhere(ctx, s.rdb, p, s.paramLimits)
	if err != nil {
		return nil, fmt.Errorf("occurrence list: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, occurrenceListQuery(w), append(w.args, limit(p.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("occurrence list: %w", err)
	}
	os, err := scanOccurrences(rows)
	if err != nil {
		return nil, fmt.Errorf("occurrence list: %w", err)
	}
	return os, nil
}

// TraceGet returns a trace's occurrences oldest first, with deliveries and
// attempts.
func (s *Store) TraceGet(ctx context.Context, traceID int64) ([]delivery.Occurrence, error) {
	rows, err := s.rdb.QueryContext(ctx, traceQuery, traceID, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("trace %d: %w", traceID, err)
	}
	os, err := scanOccurrences(rows)
	if err != nil {
		return nil, fmt.Errorf("trace %d: %w", traceID, err)
	}
	if len(os) == 0 {
		return nil, fmt.Errorf("trace %d: %w", traceID,
			fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("trace %d has no occurrences", traceID)))
	}
	if err := attachDeliveries(ctx, s.rdb, os); err != nil {
		return nil, fmt.Errorf("trace %d: %w", traceID, err)
	}
	return os, nil
}

// TraceList returns one page of a trace's occurrences oldest first, with
// deliveries and attempts.
func (s *Store) TraceList(ctx context.Context, p *storage.TraceListParams) ([]delivery.Occurrence, error) {
	if p.Limit <= 0 {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, fault.New(fault.ErrInvalid, "invalid_limit", "a trace page needs a positive limit"))
	}
	rows, err := s.rdb.QueryContext(ctx, traceQuery, p.TraceID, p.AfterID, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, err)
	}
	os, err := scanOccurrences(rows)
	if err != nil {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, err)
	}
	if len(os) == 0 {
		// The root's id is the trace's id: it exists if the trace does.
		var n int
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM occurrences WHERE id = ? AND trace_id = ?`, p.TraceID, p.TraceID).Scan(&n); err != nil {
			return nil, fmt.Errorf("trace %d: %w", p.TraceID, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("trace %d: %w", p.TraceID,
				fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("trace %d has no occurrences", p.TraceID)))
		}
		return nil, nil
	}
	if err := attachDeliveries(ctx, s.rdb, os); err != nil {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, err)
	}
	return os, nil
}

// OccurrenceDepth counts the chain ending at occurrence id, root
// included, up to limit+1.
func (s *Store) OccurrenceDepth(ctx context.Context, id int64, limit int) (int, error) {
	var depth sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `WITH RECURSIVE chain(parent, depth) AS (
			SELECT parent_delivery_id, 1 FROM occurrences WHERE id = ?
			UNION ALL
			SELECT o.parent_delivery_id, chain.depth + 1 FROM chain
				JOIN deliveries d ON d.id = chain.parent
				JOIN occurrences o ON o.id = d.occurrence_id
			WHERE chain.parent != 0 AND chain.depth <= ?
		) SELECT max(depth) FROM chain`, id, limit).Scan(&depth)
	if err != nil {
		return 0, fmt.Errorf("occurrence %d depth: %w", id, err)
	}
	if !depth.Valid {
		return 0, fmt.Errorf("occurrence %d depth: %w", id,
			fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("occurrence %d does not exist", id)))
	}
	return int(depth.Int64), nil
}

// getDelivery reads one delivery with its attempts.
func getDelivery(ctx context.Context, q querier, id int64) (delivery.Delivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryCols+` WHERE d.id = ?`, id)
	if err != nil {
		return delivery.Delivery{}, err
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return delivery.Delivery{}, err
	}
	if len(ds) == 0 {
		return delivery.Delivery{}, deliveryNotFound(id)
	}
	if err := attachAttempts(ctx, q, ds); err != nil {
		return delivery.Delivery{}, err
	}
	return ds[0], nil
}

// DeliveryGet returns one delivery with its attempts.
func (s *Store) DeliveryGet(ctx context.Context, id int64) (delivery.Delivery, error) {
	d, err := getDelivery(ctx, s.rdb, id)
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("delivery %d: %w", id, err)
	}
	return d, nil
}

// DeliveryList returns deliveries newest first, without attempts. Since
// is inclusive and Until exclusive (created_at).
func (s *Store) DeliveryList(ctx context.Context, p *storage.DeliveryListParams) ([]delivery.Delivery, error) {
	w, err := deliveryWhere(ctx, s.rdb, p, s.paramLimits, true)
	if err != nil {
		return nil, fmt.Errorf("delivery list: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, deliveryListQuery(w), append(w.args, limit(p.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("delivery list: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("delivery list: %w", err)
	}
	return ds, nil
}

// DeliveryCounts counts deliveries by status, those updated at or after
// since (zero: all).
func (s *Store) DeliveryCounts(ctx context.Context, since time.Time) (map[delivery.Status]int, error) {
	q, args := `SELECT status, count(*) FROM deliveries GROUP BY status`, []any(nil)
	if !since.IsZero() {
		q, args = countsSince, []any{bound(since), bound(since)}
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	defer rows.Close()
	out := make(map[delivery.Status]int)
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("delivery counts: %w", err)
		}
		out[delivery.Status(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	return out, nil
}

// DeliveriesAhead counts the subscription's waiting deliveries claimed
// before id, up to limit, on the range of deliveries_due that holds them.
func (s *Store) DeliveriesAhead(ctx context.Context, subID, id int64, due time.Time, limit int) (int, error) {
	var n int
	at := nanos(due)
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM deliveries INDEXED BY deliveries_due
		WHERE subscription_id = ? AND status IN ('pending', 'retrying') AND next_attempt_at <= ?
		AND (next_attempt_at < ? OR id < ?) LIMIT ?)`,
		subID, at, at, id, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("deliveries ahead of %d: %w", id, err)
	}
	return n, nil
}

// notFound reports whether err is sql.ErrNoRows.
func notFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }
