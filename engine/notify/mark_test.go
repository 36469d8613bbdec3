package notify

import (
	"context"
	"errors"
	"testing"
)

func TestMarkWaitReturnsOnceTheSeqIsReached(t *testing.T) {
	var m Mark
	done := make(chan error, 1)
	go func() { done <- m.Wait(context.Background(), 3) }()
	m.Set(1)
	m.Set(2)
	select {
	case err := <-done:
		t.Fatalf("Wait(3) returned at seq 2: %v", err)
	default:
	}
	m.Set(3)
	if err := <-done; err != nil {
		t.Fatalf("Wait(3) at seq 3: %v", err)
	}
	if err := m.Wait(context.Background(), 2); err != nil { // already past
		t.Fatalf("Wait(2) at seq 3: %v", err)
	}
}

func TestMarkWaitEndsWithTheContext(t *testing.T) {
	var m Mark
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v, want context.Canceled", err)
	}
}
