//go:build !unix

package store

import "os"

// tryLock is a no-op where flock is not available: the directory is not
// guarded there, as documented on LockFile.
func tryLock(*os.File) (held bool, err error) { return false, nil }
