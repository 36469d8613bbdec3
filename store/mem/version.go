package mem

import (
	"context"
	"fmt"
	"slices"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// DesignVersionList returns design versions newest first, without their
// documents.
func (s *Store) DesignVersionList(ctx context.Context, p *storage.DesignVersionListParams) ([]storage.DesignVersion, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("design versions: %w", err)
	}
	defer s.mu.Unlock()
	n := limit(p.Limit)
	var out []storage.DesignVersion
	for i := len(s.versions) - 1; i >= 0 && len(out) < n; i-- {
		v := s.versions[i]
		if p.Before > 0 && v.Version >= p.Before {
			continue
		}
		v.Document = nil
		out = append(out, v)
	}
	return out, nil
}

// DesignVersionGet returns one design version with its document.
func (s *Store) DesignVersionGet(ctx context.Context, version int64) (storage.DesignVersion, error) {
	if err := s.lock(ctx); err != nil {
		return storage.DesignVersion{}, fmt.Errorf("design version %d: %w", version, err)
	}
	defer s.mu.Unlock()
	if version < 1 || version > int64(len(s.versions)) {
		return storage.DesignVersion{}, fmt.Errorf("design version %d: %w", version, fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("there is no design version %d", version)))
	}
	v := s.versions[version-1]
	v.Document = slices.Clone(v.Document)
	return v, nil
}
