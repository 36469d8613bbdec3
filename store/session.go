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
		_, err := w.exec(`INSERT INTO sessions (hash, expires_at, user) VALUES (?, ?, ?) ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at, user = excluded.user`,
			p.Hash, p.ExpiresAt.UnixNano(), p.User)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("session put: %w", err)
	}
	return nil
}

// SessionGet returns the session with this hash: its expiry and user.
func (s *Store) SessionGet(ctx context.Context, hash []byte) (storage.Session, error) {
	var exp int64
	var out storage.Session
	err := s.rdb.QueryRowContext(ctx, `SELECT expires_at, user FROM sessions WHERE hash = ?`, hash).Scan(&exp, &out.User)
	if notFound(err) {
		return out, fmt.Errorf("session get: %w", storage.Missing("no such session"))
	}
	if err != nil {
		return out, fmt.Errorf("session get: %w", err)
	}
	out.ExpiresAt = time.Unix(0, exp).UTC()
	return out, nil
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
