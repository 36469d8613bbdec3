package store

import (
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// SessionPut stores a sign-in's hash and expiry and sweeps expired ones.
func (s *Store) SessionPut(ctx context.Context, p *storage.SessionPutParams) error {
	_, err := s.do(ctx, func(w *writer) (any, error) {
		if _, err := w.exec(`DELETE FROM sessions WHERE expires_at < ?`, p.Now.UnixNano()); err != nil {
			return nil, err
		}
		_, err := w.exec(`INSERT INTO sessions (hash, expires_at) VALUES (?, ?) ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at`,
			p.Hash, p.ExpiresAt.UnixNano())
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("session put: %w", err)
	}
	return nil
}

// SessionGet returns when the session with this hash expires.
func (s *Store) SessionGet(ctx context.Context, hash []byte) (time.Time, error) {
	var exp int64
	err := s.rdb.QueryRowContext(ctx, `SELECT expires_at FROM sessions WHERE hash = ?`, hash).Scan(&exp)
	if notFound(err) {
		return time.Time{}, fmt.Errorf("session get: %w", missing("no such session"))
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("session get: %w", err)
	}
	return time.Unix(0, exp).UTC(), nil
}

// SessionDelete revokes the session with this hash, if there is one.
func (s *Store) SessionDelete(ctx context.Context, hash []byte) error {
	_, err := s.do(ctx, func(w *writer) (any, error) {
		_, err := w.exec(`DELETE FROM sessions WHERE hash = ?`, hash)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("session delete: %w", err)
	}
	return nil
}
