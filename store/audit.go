package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// AuditInsert appends one entry to the audit log.
func (s *Store) AuditInsert(ctx context.Context, e *storage.AuditEntry) (int64, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		return w.insertAudit(e)
	})
	if err != nil {
		return 0, fmt.Errorf("audit insert: %w", err)
	}
	return res.(int64), nil
}

// insertAudit appends e within the writer's transaction.
func (w *writer) insertAudit(e *storage.AuditEntry) (int64, error) {
	detail := string(e.Detail)
	if detail == "" {
		detail = "{}"
	}
	var id int64
	err := w.QueryRowContext(w.ctx, `INSERT INTO audit (actor, action, target, at, source, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		e.Actor, e.Action, e.Target, e.At.UnixNano(), e.From, detail).Scan(&id)
	return id, err
}

// AuditList returns audit entries newest first, filtered.
func (s *Store) AuditList(ctx context.Context, p *storage.AuditListParams) ([]storage.AuditEntry, error) {
	var w where
	if p.Actor != "" {
		w.add("actor = ?", p.Actor)
	}
	if p.Action != "" {
		w.add("action = ?", p.Action)
	}
	if p.Target != "" {
		w.add("target = ?", p.Target)
	}
	if !p.Since.IsZero() {
		w.add("at >= ?", bound(p.Since))
	}
	if !p.Until.IsZero() {
		w.add("at < ?", bound(p.Until))
	}
	if p.BeforeID != 0 {
		w.add("id < ?", p.BeforeID)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, actor, action, target, at, source, detail FROM audit`+w.String()+` ORDER BY id DESC LIMIT ?`,
		append(w.args, limit(p.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	var out []storage.AuditEntry
	for rows.Next() {
		var e storage.AuditEntry
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &e.Actor, &e.Action, &e.Target, &at, &e.From, &detail); err != nil {
			return nil, fmt.Errorf("audit list: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	return out, nil
}
