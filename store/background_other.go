//go:build !linux

package store

// background is a no-op where a thread's priority cannot be set alone:
// the payload search index then runs at the process's priority.
func background() error { return nil }
