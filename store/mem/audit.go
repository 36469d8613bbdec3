package mem

import (
	"context"
	"fmt"
	"slices"

	"github.com/eventloom/eventloom/engine/storage"
)

// appendAudit adds one entry with the next id. Call with mu held.
func (s *Store) appendAudit(e *storage.AuditEntry) int64 {
	c := *e
	c.ID = int64(len(s.audit)) + 1
	c.At = utc(c.At)
	c.Detail = slices.Clone(c.Detail)
	s.audit = append(s.audit, c)
	return c.ID
}

// AuditInsert appends one entry to the audit log.
func (s *Store) AuditInsert(ctx context.Context, e *storage.AuditEntry) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("audit insert: %w", err)
	}
	defer s.mu.Unlock()
	return s.appendAudit(e), nil
}

// AuditList returns entries newest first, filtered.
func (s *Store) AuditList(ctx context.Context, p *storage.AuditListParams) ([]storage.AuditEntry, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer s.mu.Unlock()
	n := limit(p.Limit)
	var out []storage.AuditEntry
	for i := len(s.audit) - 1; i >= 0 && len(out) < n; i-- {
		e := s.audit[i]
		switch {
		case p.BeforeID != 0 && e.ID >= p.BeforeID,
			p.Actor != "" && e.Actor != p.Actor,
			p.Action != "" && e.Action != p.Action,
			p.Target != "" && e.Target != p.Target,
			!p.Since.IsZero() && e.At.Before(p.Since),
			!p.Until.IsZero() && !e.At.Before(p.Until):
			continue
		}
		e.Detail = slices.Clone(e.Detail)
		out = append(out, e)
	}
	return out, nil
}
