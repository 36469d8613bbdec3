//go:build linux

package store

import (
	"runtime"
	"syscall"
)

// background moves the calling goroutine, for the rest of its life, onto
// a thread of its own at the lowest CPU priority (nice 19; Linux keeps a
// nice value per thread), as RocksDB does for its compactions. The
// payload search index runs there: the OS then gives it only what the
// triggers, the writer and the handlers leave, where its bursts (~10 ms
// at 1,000 triggers/s) used to hold a P the hot path's goroutines waited
// behind. The goroutine must end without UnlockOSThread: the runtime
// then ends the thread, so no other goroutine inherits the priority.
func background() error {
	runtime.LockOSThread()
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
