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

// producers is how many goroutines per GOMAXPROCS feed the writer, as
// many concurrent triggers and handler runs would.
const producers = 64

// BenchmarkOccurrenceInsert measures triggers: one occurrence with three
// pending deliveries each, from many producers, synchronous=FULL.
func BenchmarkOccurrenceInsert(b *testing.B) {
	f := newFixture(b, b.TempDir())
	ctx := context.Background()
	b.SetParallelism(producers)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		p := f.params(0, false)
		for pb.Next() {
			if _, err := f.s.OccurrenceInsert(ctx, p); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "occurrences/s")
}

// BenchmarkDeliveryComplete measures plain successes of deliveries created
// claimed, from many producers, synchronous=FULL.
func BenchmarkDeliveryComplete(b *testing.B) {
	f := newFixture(b, b.TempDir())
	ctx := context.Background()
	claims := make([]storage.Claim, 0, b.N+3)
	var mu sync.Mutex
	var wg sync.WaitGroup
	occs := (b.N + 2) / 3
	var next atomic.Int64
	for range 64 {
		wg.Go(func() {
			p := f.params(0, true)
			for next.Add(1) <= int64(occs) {
				r, err := f.s.OccurrenceInsert(ctx, p)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				claims = append(claims, r.Deliveries...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	var i atomic.Int64
	b.SetParallelism(producers)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := claims[i.Add(1)-1]
			p := &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Completion: storage.Succeeded(),
				Attempt: delivery.Attempt{Number: 1, StartedAt: t0, FinishedAt: t0.Add(time.Millisecond), Outcome: delivery.OutcomeSucceeded}}
			if _, err := f.s.DeliveryComplete(ctx, p); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "completions/s")
}
