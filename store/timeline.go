package store

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// DeliveryListTouched returns the deliveries created before p.Until and
// last updated at or after p.Since, oldest first, with their attempts. The
// updated-at bound reads the indexes of touchedSince, so a short window
// over a long history costs what happened in it.
func (s *Store) DeliveryListTouched(ctx context.Context, p *storage.DeliveryTouchedParams) ([]delivery.Delivery, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+deliveryCols+`
		WHERE d.id IN (`+touchedSince+`) AND d.created_at < ? AND d.id > ? ORDER BY d.id LIMIT ?`,
		bound(p.Since), bound(p.Since), bound(p.Until), p.AfterID, limit(p.Limit))
	if err != nil {
		return nil, fmt.Errorf("deliveries touched in a window: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("deliveries touched in a window: %w", err)
	}
	if err := attachAttempts(ctx, s.rdb, ds); err != nil {
		return nil, fmt.Errorf("deliveries touched in a window: attempts: %w", err)
	}
	return ds, nil
}
