package mem

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// DeliveryListTouched returns the deliveries created before p.Until and
// last updated at or after p.Since, oldest first, with their attempts. It
// walks every delivery: an in-memory store holds few enough for that.
func (s *Store) DeliveryListTouched(ctx context.Context, p *storage.DeliveryTouchedParams) ([]delivery.Delivery, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("deliveries touched in a window: %w", err)
	}
	defer s.mu.Unlock()
	var out []delivery.Delivery
	n := limit(p.Limit)
	for _, r := range s.dels {
		if len(out) >= n {
			break
		}
		if r.d.ID <= p.AfterID || r.d.UpdatedAt.Before(p.Since) || !r.d.CreatedAt.Before(p.Until) {
			continue
		}
		out = append(out, s.deliveryOut(r, true))
	}
	return out, nil
}
