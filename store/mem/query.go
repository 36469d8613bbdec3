package mem

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// deliveryOut is a copy of r for a caller, with its app's name and, when
// withAttempts, its attempts. A due time means something only while the
// delivery waits, so it is zero otherwise.
func (s *Store) deliveryOut(r *delRec, withAttempts bool) delivery.Delivery {
	d := r.d
	d.App = s.apps[d.AppID].Name
	if d.Status != delivery.Pending && d.Status != delivery.Retrying {
		d.NextAttemptAt = time.Time{}
	}
	if withAttempts && len(r.attempts) > 0 {
		d.AttemptList = make([]delivery.Attempt, len(r.attempts))
		for i, a := range r.attempts {
			a.Log = append([]string(nil), a.Log...)
			if len(a.Log) == 0 {
				a.Log = nil
			}
			a.Response = a.Response.Clone()
			d.AttemptList[i] = a
		}
	}
	return d
}

// occurrenceOut is a copy of o for a caller, with its app's and event's
// names and, when withDeliveries, its deliveries with their attempts.
func (s *Store) occurrenceOut(o *occRec, withDeliveries bool) delivery.Occurrence {
	x := o.o
	x.App = s.apps[x.AppID].Name
	x.Event = s.events[x.EventID].name
	x.Parameters = bytes.Clone(x.Parameters)
	if withDeliveries {
		for _, id := range o.dels {
			x.Deliveries = append(x.Deliveries, s.deliveryOut(s.dels[id-1], true))
		}
	}
	return x
}

// OccurrenceGet returns one occurrence with its deliveries and attempts.
func (s *Store) OccurrenceGet(ctx context.Context, id int64) (delivery.Occurrence, error) {
	if err := s.lock(ctx); err != nil {
		return delivery.Occurrence{}, fmt.Errorf("occurrence %d: %w", id, err)
	}
	defer s.mu.Unlock()
	if id <= 0 || id > int64(len(s.occs)) {
		return delivery.Occurrence{}, fmt.Errorf("occurrence %d: %w", id, storage.Missing("occurrence %d does not exist", id))
	}
	return s.occurrenceOut(s.occs[id-1], true), nil
}

// inTime reports whether t is within [since, until), a zero bound not
// bounding.
func inTime(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
}

// below is the highest id a newest-first page before beforeID may hold,
// of n ids.
func below(beforeID int64, n int) int64 {
	if beforeID <= 0 || beforeID > int64(n) {
		return int64(n)
	}
	return beforeID - 1
}

// OccurrenceList returns occurrences newest first, without their
// deliveries. Since is inclusive and Until exclusive (created time).
func (s *Store) OccurrenceList(ctx context.Context, p *storage.OccurrenceListParams) ([]delivery.Occurrence, error) {
	if err := validParams(p.Params); err != nil {
		return nil, fmt.Errorf("occurrence list: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("occurrence list: %w", err)
	}
	defer s.mu.Unlock()
	var out []delivery.Occurrence
	n := limit(p.Limit)
	for id := below(p.BeforeID, len(s.occs)); id > 0 && len(out) < n; id-- {
		o := s.occs[id-1].o
		if (p.AppID != 0 && o.AppID != p.AppID) || (p.EventID != 0 && o.EventID != p.EventID) ||
			(p.Status != "" && o.Status != p.Status) || (p.TraceID != 0 && o.TraceID != p.TraceID) ||
			!inTime(o.CreatedAt, p.Since, p.Until) || !storage.OccurrenceMatches(o.EventID, s.occs[id-1].params, p.Params) {
			continue
		}
		out = append(out, s.occurrenceOut(s.occs[id-1], false))
	}
	return out, nil
}

func traceMissing(id int64) error {
	return fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf("trace %d has no occurrences", id))
}

// TraceGet returns a trace's occurrences oldest first, with deliveries and
// attempts.
func (s *Store) TraceGet(ctx context.Context, traceID int64) ([]delivery.Occurrence, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("trace %d: %w", traceID, err)
	}
	defer s.mu.Unlock()
	ids := s.traces[traceID]
	if len(ids) == 0 {
		return nil, fmt.Errorf("trace %d: %w", traceID, traceMissing(traceID))
	}
	out := make([]delivery.Occurrence, len(ids))
	for i, id := range ids {
		out[i] = s.occurrenceOut(s.occs[id-1], true)
	}
	return out, nil
}

// TraceList returns one page of a trace's occurrences oldest first, with
// deliveries and attempts.
func (s *Store) TraceList(ctx context.Context, p *storage.TraceListParams) ([]delivery.Occurrence, error) {
	if p.Limit <= 0 {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, fault.New(fault.ErrInvalid, "invalid_limit",
			fmt.Sprintf("a trace page needs a positive limit, not %d", p.Limit)))
	}
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, err)
	}
	defer s.mu.Unlock()
	ids := s.traces[p.TraceID]
	if len(ids) == 0 {
		return nil, fmt.Errorf("trace %d: %w", p.TraceID, traceMissing(p.TraceID))
	}
	var out []delivery.Occurrence
	for _, id := range ids { // ascending: a trace's ids are appended in order
		if id <= p.AfterID {
			continue
		}
		if len(out) == p.Limit {
			break
		}
		out = append(out, s.occurrenceOut(s.occs[id-1], true))
	}
	return out, nil
}

// OccurrenceDepth counts the chain ending at occurrence id, root
// included, up to limit+1.
func (s *Store) OccurrenceDepth(ctx context.Context, id int64, limit int) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("occurrence %d depth: %w", id, err)
	}
	defer s.mu.Unlock()
	if id <= 0 || id > int64(len(s.occs)) {
		return 0, fmt.Errorf("occurrence %d depth: %w", id, storage.Missing("occurrence %d does not exist", id))
	}
	depth := 1
	for parent := s.occs[id-1].o.ParentDeliveryID; parent > 0 && parent <= int64(len(s.dels)) && depth <= limit; depth++ {
		parent = s.occs[s.dels[parent-1].d.OccurrenceID-1].o.ParentDeliveryID
	}
	return depth, nil
}

// DeliveryGet returns one delivery with its attempts.
func (s *Store) DeliveryGet(ctx context.Context, id int64) (delivery.Delivery, error) {
	if err := s.lock(ctx); err != nil {
		return delivery.Delivery{}, fmt.Errorf("delivery %d: %w", id, err)
	}
	defer s.mu.Unlock()
	r, err := s.delivery(id)
	if err != nil {
		return delivery.Delivery{}, fmt.Errorf("delivery %d: %w", id, err)
	}
	return s.deliveryOut(r, true), nil
}

// DeliveryList returns deliveries newest first, without attempts. Since
// is inclusive and Until exclusive (created time).
func (s *Store) DeliveryList(ctx context.Context, p *storage.DeliveryListParams) ([]delivery.Delivery, error) {
	if err := validParams(p.Params); err != nil {
		return nil, fmt.Errorf("delivery list: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("delivery list: %w", err)
	}
	defer s.mu.Unlock()
	var out []delivery.Delivery
	n := limit(p.Limit)
	for id := below(p.BeforeID, len(s.dels)); id > 0 && len(out) < n; id-- {
		if s.deliveryMatches(s.dels[id-1], p) {
			out = append(out, s.deliveryOut(s.dels[id-1], false))
		}
	}
	return out, nil
}

// DeliveryCount counts the deliveries DeliveryList would return without
// a page limit.
func (s *Store) DeliveryCount(ctx context.Context, p *storage.DeliveryListParams) (int, error) {
	if err := validParams(p.Params); err != nil {
		return 0, fmt.Errorf("delivery count: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("delivery count: %w", err)
	}
	defer s.mu.Unlock()
	n := 0
	for id := below(p.BeforeID, len(s.dels)); id > 0; id-- {
		if s.deliveryMatches(s.dels[id-1], p) {
			n++
		}
	}
	return n, nil
}

func (s *Store) deliveryMatches(r *delRec, p *storage.DeliveryListParams) bool {
	d := r.d
	if (p.AppID != 0 && d.AppID != p.AppID) || (p.EventID != 0 && d.EventID != p.EventID) ||
		(p.OccurrenceID != 0 && d.OccurrenceID != p.OccurrenceID) || (p.Status != "" && d.Status != p.Status) ||
		(p.SubscriptionID != 0 && d.SubscriptionID != p.SubscriptionID) || !inTime(d.CreatedAt, p.Since, p.Until) {
		return false
	}
	if p.TraceID == 0 && len(p.Params) == 0 {
		return true
	}
	o := s.occs[d.OccurrenceID-1]
	return (p.TraceID == 0 || o.o.TraceID == p.TraceID) && storage.OccurrenceMatches(o.o.EventID, o.params, p.Params)
}

// validParams checks payload conditions as the SQLite backend does.
func validParams(conds []storage.ParamCond) error {
	for _, c := range conds {
		if err := c.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// DeliveryCounts counts deliveries by status, those updated at or after
// since (zero: all). It walks every delivery: an in-memory store holds
// few enough for that.
func (s *Store) DeliveryCounts(ctx context.Context, since time.Time) (map[delivery.Status]int, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	defer s.mu.Unlock()
	out := map[delivery.Status]int{}
	for _, r := range s.dels {
		if since.IsZero() || !r.d.UpdatedAt.Before(since) {
			out[r.d.Status]++
		}
	}
	return out, nil
}

// DeliveriesAhead counts the subscription's waiting deliveries claimed
// before id, up to limit.
func (s *Store) DeliveriesAhead(ctx context.Context, subID, id int64, due time.Time, limit int) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, fmt.Errorf("deliveries ahead of %d: %w", id, err)
	}
	defer s.mu.Unlock()
	n := 0
	for other := range s.waiting[subID] {
		at := s.dels[other-1].d.NextAttemptAt
		if at.Before(due) || at.Equal(due) && other < id {
			n++
		}
	}
	return min(n, limit), nil
}

// QueueDepths returns the pending occurrences per event id, from the
// counters.
func (s *Store) QueueDepths(ctx context.Context) (map[int64]int, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	defer s.mu.Unlock()
	out := make(map[int64]int, len(s.pending))
	for ev, n := range s.pending {
		if n > 0 {
			out[ev] = n
		}
	}
	return out, nil
}
