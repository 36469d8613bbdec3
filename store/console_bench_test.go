package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// consoleRows is the history the console's pages must stay fast over.
const consoleRows = 100_000

// BenchmarkConsoleQueries times the reads behind the console's pages over
// 100k occurrences (300k deliveries, a tenth of them dead, spread over a
// day): each sub-benchmark is one query a page makes.
func BenchmarkConsoleQueries(b *testing.B) {
	f := newFixture(b, b.TempDir())
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > consoleRows {
					return
				}
				p := f.params(0, true)
				p.CreatedAt = t0.Add(time.Duration(i) * time.Second)
				p.LeaseUntil = p.CreatedAt.Add(time.Minute)
				r, err := f.s.OccurrenceInsert(ctx, p)
				if err != nil {
					b.Error(err)
					return
				}
				for j, c := range r.Deliveries {
					completion := storage.Succeeded()
					if i%10 == 0 && j == 0 {
						completion = storage.Dead()
					}
					if _, err := f.s.DeliveryComplete(ctx, &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Completion: completion,
						Attempt: delivery.Attempt{Number: 1, StartedAt: p.CreatedAt, FinishedAt: p.CreatedAt.Add(time.Millisecond), Outcome: delivery.OutcomeSucceeded}}); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	end := t0.Add(consoleRows * time.Second)
	lastHour := end.Add(-time.Hour)
	queries := []struct {
		name string
		run  func() error
	}{
		{"OccurrenceList/newest", func() error {
			_, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{})
			return err
		}},
		{"OccurrenceList/page_deep", func() error {
			_, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{BeforeID: consoleRows / 2})
			return err
		}},
		{"OccurrenceList/event", func() error {
			_, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{EventID: f.event})
			return err
		}},
		{"OccurrenceList/dead", func() error {
			_, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{Status: delivery.OccurrenceDead})
			return err
		}},
		{"OccurrenceList/time_window", func() error {
			_, err := f.s.OccurrenceList(ctx, &storage.OccurrenceListParams{Since: lastHour, Until: end})
			return err
		}},
		{"DeliveryList/dead", func() error {
			_, err := f.s.DeliveryList(ctx, &storage.DeliveryListParams{Status: delivery.Dead})
			return err
		}},
		{"DeliveryList/app", func() error {
			_, err := f.s.DeliveryList(ctx, &storage.DeliveryListParams{AppID: f.subApp[0]})
			return err
		}},
		{"DeliveryCounts/last_hour", func() error {
			_, err := f.s.DeliveryCounts(ctx, lastHour)
			return err
		}},
		{"OccurrenceGet", func() error {
			_, err := f.s.OccurrenceGet(ctx, consoleRows/3)
			return err
		}},
		{"TraceGet", func() error {
			_, err := f.s.TraceGet(ctx, consoleRows/3)
			return err
		}},
		{"QueueDepths", func() error {
			_, err := f.s.QueueDepths(ctx)
			return err
		}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
