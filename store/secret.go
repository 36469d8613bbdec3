package store

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/storage"
)

// SecretRotate makes p.Secret the app's current signing secret, the one it
// replaces becoming the previous one, in one transaction.
func (s *Store) SecretRotate(ctx context.Context, p *storage.SecretRotateParams) (storage.AppSecret, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		ok, err := w.exists(`SELECT 1 FROM apps WHERE id = ? AND deleted_at IS NULL`, p.AppID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, storage.Missing("app %d does not exist", p.AppID)
		}
		out := storage.AppSecret{AppID: p.AppID, Current: p.Secret, RotatedAt: p.Now.UTC()}
		var prev string
		err = w.QueryRowContext(w.ctx, `SELECT current FROM app_secrets WHERE app_id = ?`, p.AppID).Scan(&prev)
		switch {
		case notFound(err):
		case err != nil:
			return nil, err
		default:
			out.Previous, out.PreviousValidUntil = prev, p.PreviousValidUntil.UTC()
		}
		_, err = w.exec(`INSERT INTO app_secrets (app_id, current, previous, previous_valid_until, rotated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (app_id) DO UPDATE SET current = excluded.current, previous = excluded.previous,
			previous_valid_until = excluded.previous_valid_until, rotated_at = excluded.rotated_at`,
			p.AppID, out.Current, out.Previous, nanos(out.PreviousValidUntil), nanos(out.RotatedAt))
		return out, err
	})
	if err != nil {
		return storage.AppSecret{}, fmt.Errorf("secret rotate for app %d: %w", p.AppID, err)
	}
	return res.(storage.AppSecret), nil
}

// SecretGet returns the app's signing secrets.
func (s *Store) SecretGet(ctx context.Context, appID int64) (storage.AppSecret, error) {
	out := storage.AppSecret{AppID: appID}
	var until, rotated int64
	err := s.rdb.QueryRowContext(ctx, `SELECT current, previous, previous_valid_until, rotated_at FROM app_secrets WHERE app_id = ?`, appID).
		Scan(&out.Current, &out.Previous, &until, &rotated)
	if notFound(err) {
		return storage.AppSecret{}, fmt.Errorf("secret get: %w", storage.Missing("app %d has no signing secret", appID))
	}
	if err != nil {
		return storage.AppSecret{}, fmt.Errorf("secret get for app %d: %w", appID, err)
	}
	out.PreviousValidUntil, out.RotatedAt = fromNanos(until), fromNanos(rotated)
	return out, nil
}
