package notify_test

import (
	"sync"
	"testing"

	"github.com/eventloom/eventloom/engine/notify"
)

func TestPublishReachesEverySubscriberInOrder(t *testing.T) {
	b := notify.New()
	s1, s2 := b.Subscribe(10), b.Subscribe(10)
	defer s1.Close()
	defer s2.Close()
	for i := 0; i < 3; i++ {
		b.Publish(notify.Note{Kind: notify.OccurrenceTriggered, OccurrenceID: int64(i + 1)})
	}
	for _, s := range []*notify.Subscriber{s1, s2} {
		for i := 0; i < 3; i++ {
			n := <-s.C()
			if n.Seq != uint64(i+1) || n.OccurrenceID != int64(i+1) {
				t.Fatalf("note %d = seq %d occurrence %d", i, n.Seq, n.OccurrenceID)
			}
		}
	}
}

func TestSlowSubscriberDropsAndCounts(t *testing.T) {
	b := notify.New()
	slow := b.Subscribe(2)
	defer slow.Close()
	for i := 0; i < 10; i++ {
		b.Publish(notify.Note{Kind: notify.DeliveryStarted})
	}
	if got := slow.Dropped(); got != 8 {
		t.Fatalf("dropped = %d, want 8", got)
	}
	first, second := <-slow.C(), <-slow.C()
	if first.Seq != 1 || second.Seq != 2 {
		t.Fatalf("kept seqs %d, %d; want 1, 2", first.Seq, second.Seq)
	}
}

func TestCloseStopsDelivery(t *testing.T) {
	b := notify.New()
	s := b.Subscribe(4)
	if !b.Active() {
		t.Fatal("Active false with a subscriber")
	}
	s.Close()
	s.Close()
	b.Publish(notify.Note{})
	if b.Active() {
		t.Fatal("Active true after Close")
	}
	select {
	case n := <-s.C():
		t.Fatalf("got %+v after Close", n)
	default:
	}
}

func TestConcurrentPublishSubscribe(t *testing.T) {
	b := notify.New()
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b.Publish(notify.Note{})
			}
		}()
	}
	for i := 0; i < 50; i++ {
		s := b.Subscribe(8)
		s.Close()
	}
	wg.Wait()
}

func BenchmarkPublishNoSubscribers(b *testing.B) {
	bus := notify.New()
	n := notify.Note{Kind: notify.DeliverySucceeded}
	for b.Loop() {
		bus.Publish(n)
	}
}

func BenchmarkPublishTenSlowSubscribers(b *testing.B) {
	bus := notify.New()
	for i := 0; i < 10; i++ {
		defer bus.Subscribe(64).Close()
	}
	n := notify.Note{Kind: notify.DeliverySucceeded}
	for b.Loop() {
		bus.Publish(n)
	}
}

// TestConcurrentPublishersDeliverInSeqOrder: a subscriber reads Seq gaps
// as losses and Seqs as watermarks, so notes from many goroutines must
// still arrive in Seq order.
func TestConcurrentPublishersDeliverInSeqOrder(t *testing.T) {
	b := notify.New()
	const publishers, each = 8, 2000
	s := b.Subscribe(publishers * each)
	defer s.Close()
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				b.Publish(notify.Note{})
			}
		}()
	}
	wg.Wait()
	for want := uint64(1); want <= publishers*each; want++ {
		if n := <-s.C(); n.Seq != want {
			t.Fatalf("note %d arrived with Seq %d: out of order", want, n.Seq)
		}
	}
}
