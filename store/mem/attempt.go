package mem

import (
	"context"
	"fmt"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// AttemptFinishedList returns one page of the attempts finished in
// [p.Since, p.Until), walking deliveries by id from p.AfterDeliveryID,
// at most p.Limit deliveries updated since p.Since per page.
func (s *Store) AttemptFinishedList(ctx context.Context, p *storage.AttemptFinishedListParams) (*storage.AttemptFinishedPage, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("finished attempts: %w", err)
	}
	defer s.mu.Unlock()
	page := &storage.AttemptFinishedPage{}
	n, seen := limit(p.Limit), 0
	for id := max(p.AfterDeliveryID, 0) + 1; id <= int64(len(s.dels)); id++ {
		r := s.dels[id-1]
		if r.d.UpdatedAt.Before(p.Since) {
			continue
		}
		for _, a := range r.attempts {
			if !inTime(a.FinishedAt, p.Since, p.Until) {
				continue
			}
			page.Attempts = append(page.Attempts, storage.FinishedAttempt{DeliveryID: id, Number: a.Number, AppID: r.d.AppID, EventID: r.d.EventID,
				StartedAt: a.StartedAt, FinishedAt: a.FinishedAt, Outcome: a.Outcome,
				Dead: r.d.Status == delivery.Dead && a.Number == r.d.Attempts})
		}
		if seen++; seen == n {
			if id < int64(len(s.dels)) {
				page.Next = id
			}
			break
		}
	}
	return page, nil
}
