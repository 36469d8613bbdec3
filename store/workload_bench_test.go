package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/storage"
)

// workloadPayload is an occurrence's parameters shaped like the bench's
// (cmd/eventloom): seven parameters adding up to about 1 KB.
func workloadPayload(i int) json.RawMessage {
	items := make([]string, 0, 8)
	for j := range 8 {
		items = append(items, fmt.Sprintf("sku-%04d-%d x%d @ %d.99 gift-wrapped, deliver to the side door", (i+j)%10000, j, j+1, 10+j))
	}
	b, _ := json.Marshal(map[string]any{
		"OrderId": fmt.Sprintf("ord-%d", i), "Customer": fmt.Sprintf("Customer %d", i%977),
		"Email": fmt.Sprintf("customer%d@example.com", i%977), "Amount": float64(i%10000) + 0.99,
		"Paid": i%2 == 0, "Items": strings.Join(items, "; "), "Comment": strings.Repeat("fragile ", 14),
	})
	return b
}

// BenchmarkWorkload is the engine's hot path as the store sees it: 64
// producers insert occurrences of a ~1 KB payload, each created with
// three claimed deliveries, and as many completers as the three apps'
// concurrency (300) record a plain success for each, all through the
// one writer, synchronous=FULL. One op is one occurrence stored and its
// three deliveries completed.
func BenchmarkWorkload(b *testing.B) {
	f := newFixture(b, b.TempDir())
	ctx := context.Background()
	payloads := make([]json.RawMessage, 1000)
	for i := range payloads {
		payloads[i] = workloadPayload(i)
	}
	claims := make(chan storage.Claim, 4096)
	var completers sync.WaitGroup
	for range 300 {
		completers.Go(func() {
			for c := range claims {
				p := &storage.DeliveryCompleteParams{DeliveryID: c.DeliveryID, Token: c.Token, Completion: storage.Succeeded(),
					Attempt: delivery.Attempt{Number: 1, StartedAt: t0, FinishedAt: t0.Add(time.Millisecond), Outcome: delivery.OutcomeSucceeded}}
				if _, err := f.s.DeliveryComplete(ctx, p); err != nil {
					b.Error(err)
				}
			}
		})
	}
	next := make(chan int, 64)
	var producers sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range 64 {
		producers.Go(func() {
			p := f.params(0, true)
			for i := range next {
				q := *p
				q.Parameters = payloads[i%len(payloads)]
				r, err := f.s.OccurrenceInsert(ctx, &q)
				if err != nil {
					b.Error(err)
					continue
				}
				for _, c := range r.Deliveries {
					claims <- c
				}
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	producers.Wait()
	close(claims)
	completers.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	// CPU time per event says what the path costs whatever else the
	// machine runs; events/s moves with the machine's load.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
}

// cpuTime is the user and system CPU time the test process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
