package store

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// DesignVersionList returns design versions newest first, without their
// documents.
func (s *Store) DesignVersionList(ctx context.Context, p *storage.DesignVersionListParams) ([]storage.DesignVersion, error) {
	q, args := `SELECT version, at, actor, summary FROM design_versions`, []any{}
	if p.Before > 0 {
		q += ` WHERE version < ?`
		args = append(args, p.Before)
	}
	q += ` ORDER BY version DESC LIMIT ?`
	args = append(args, limit(p.Limit))
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("design versions: %w", err)
	}
	defer rows.Close()
	var out []storage.DesignVersion
	for rows.Next() {
		var v storage.DesignVersion
		var at int64
		if err := rows.Scan(&v.Version, &at, &v.Actor, &v.Summary); err != nil {
			return nil, fmt.Errorf("design versions: %w", err)
		}
		v.At = fromNanos(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// DesignVersionGet returns one design version with its document.
func (s *Store) DesignVersionGet(ctx context.Context, version int64) (storage.DesignVersion, error) {
	v := storage.DesignVersion{Version: version}
	var at int64
	var doc string
	err := s.rdb.QueryRowContext(ctx, `SELECT at, actor, summary, document FROM design_versions WHERE version = ?`, version).
		Scan(&at, &v.Actor, &v.Summary, &doc)
	if notFound(err) {
		return v, fmt.Errorf("design version %d: %w", version, fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("there is no design version %d", version)))
	}
	if err != nil {
		return v, fmt.Errorf("design version %d: %w", version, err)
	}
	v.At, v.Document = fromNanos(at), []byte(doc)
	return v, nil
}
