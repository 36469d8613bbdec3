package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// attemptsSQL selects the attempts of the deliveries in the JSON id list
// ?1, by delivery and number: the attempts rows, and the last attempt a
// delivery row keeps in place of one (folded_start, migration 15). The
// columns are delivery id, number, start, end and outcome, then, when
// full, error, log and response; with window, only attempts finished in
// [?2, ?3).
func attemptsSQL(full, window bool) string {
	rows := "SELECT delivery_id, number, started_at, finished_at, outcome"
	folded := "SELECT id, attempts, folded_start, updated_at, '" + string(delivery.OutcomeSucceeded) + "'"
	if full {
		rows += ", error, log, response"
		folded += ", '', '', ''"
	}
	rows += " FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?1))"
	folded += " FROM deliveries WHERE id IN (SELECT value FROM json_each(?1)) AND folded_start <> 0"
	if window {
		rows += " AND finished_at >= ?2 AND finished_at < ?3"
		folded += " AND updated_at >= ?2 AND updated_at < ?3"
	}
	return rows + " UNION ALL " + folded + " ORDER BY 1, 2"
}

// AttemptFinishedList returns one page of the attempts finished in
// [p.Since, p.Until), walking deliveries by id (the table itself, so a page
// costs its own rows rather than a sort of the whole window). The first
// page starts at the lowest delivery id updated since p.Since, read once
// from the indexes touchedSince reads.
func (s *Store) AttemptFinishedList(ctx context.Context, p *storage.AttemptFinishedListParams) (*storage.AttemptFinishedPage, error) {
	after := p.AfterDeliveryID
	if after == 0 {
		var first sql.NullInt64
		if err := s.rdb.QueryRowContext(ctx, `SELECT min(id) FROM (`+touchedSince+`)`,
			bound(p.Since), bound(p.Since)).Scan(&first); err != nil {
			return nil, fmt.Errorf("finished attempts: first delivery: %w", err)
		}
		if !first.Valid {
			return &storage.AttemptFinishedPage{}, nil
		}
		after = first.Int64 - 1
	}
	n := limit(p.Limit)
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, app_id, event_id, status, attempts FROM deliveries NOT INDEXED
		WHERE id > ? AND updated_at >= ? ORDER BY id LIMIT ?`, after, bound(p.Since), n)
	if err != nil {
		return nil, fmt.Errorf("finished attempts: deliveries: %w", err)
	}
	type del struct {
		app, event int64
		dead       bool
		last       int
	}
	dels := map[int64]del{}
	var ids []int64
	last, seen := after, 0
	for rows.Next() {
		var id, app, event int64
		var status string
		var attempts int
		if err := rows.Scan(&id, &app, &event, &status, &attempts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("finished attempts: deliveries: %w", err)
		}
		dels[id] = del{app: app, event: event, dead: delivery.Status(status) == delivery.Dead, last: attempts}
		ids = append(ids, id)
		last, seen = id, seen+1
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finished attempts: deliveries: %w", err)
	}
	page := &storage.AttemptFinishedPage{}
	if seen == n {
		page.Next = last
	}
	if len(ids) == 0 {
		return page, nil
	}
	arows, err := s.rdb.QueryContext(ctx, attemptsSQL(false, true), idList(ids), bound(p.Since), bound(p.Until))
	if err != nil {
		return nil, fmt.Errorf("finished attempts: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var a storage.FinishedAttempt
		var started, finished int64
		var outcome string
		if err := arows.Scan(&a.DeliveryID, &a.Number, &started, &finished, &outcome); err != nil {
			return nil, fmt.Errorf("finished attempts: %w", err)
		}
		d := dels[a.DeliveryID]
		a.AppID, a.EventID = d.app, d.event
		a.StartedAt, a.FinishedAt, a.Outcome = fromNanos(started), fromNanos(finished), delivery.Outcome(outcome)
		a.Dead = d.dead && a.Number == d.last
		page.Attempts = append(page.Attempts, a)
	}
	if err := arows.Err(); err != nil {
		return nil, fmt.Errorf("finished attempts: %w", err)
	}
	return page, nil
}
