package store

import (
	"runtime"
	"syscall"
	"testing"
)

// TestBackgroundLowersOnlyItsThread checks that background sets the
// lowest priority on the calling goroutine's thread and on no other: the
// kernel's getpriority answers 20 - nice.
func TestBackgroundLowersOnlyItsThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() {
		if err := background(); err != nil {
			t.Error(err)
		}
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	if p := <-got; p != 20-19 {
		t.Errorf("background thread's getpriority = %d, want %d (nice 19)", p, 20-19)
	}
	after, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("the caller's thread went from %d to %d: only the background thread may change", before, after)
	}
}
