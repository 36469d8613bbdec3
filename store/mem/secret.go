package mem

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/storage"
)

// SecretRotate makes p.Secret the app's current signing secret, the one it
// replaces becoming the previous one.
func (s *Store) SecretRotate(ctx context.Context, p *storage.SecretRotateParams) (storage.AppSecret, error) {
	if err := s.lock(ctx); err != nil {
		return storage.AppSecret{}, fmt.Errorf("secret rotate: %w", err)
	}
	defer s.mu.Unlock()
	if a, ok := s.apps[p.AppID]; !ok || a.deleted {
		return storage.AppSecret{}, fmt.Errorf("secret rotate: %w", storage.Missing("app %d does not exist", p.AppID))
	}
	out := storage.AppSecret{AppID: p.AppID, Current: p.Secret, RotatedAt: utc(p.Now)}
	if old, ok := s.secrets[p.AppID]; ok {
		out.Previous, out.PreviousValidUntil = old.Current, utc(p.PreviousValidUntil)
	}
	s.secrets[p.AppID] = out
	return out, nil
}

// SecretGet returns the app's signing secrets.
func (s *Store) SecretGet(ctx context.Context, appID int64) (storage.AppSecret, error) {
	if err := s.lock(ctx); err != nil {
		return storage.AppSecret{}, fmt.Errorf("secret get: %w", err)
	}
	defer s.mu.Unlock()
	out, ok := s.secrets[appID]
	if !ok {
		return storage.AppSecret{}, fmt.Errorf("secret get: %w", storage.Missing("app %d has no signing secret", appID))
	}
	return out, nil
}
