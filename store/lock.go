package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file in the data directory a running store holds an
// exclusive lock on for its whole life, so a second server on the same
// directory is refused at once instead of two engines sharing one
// database (each would re-run the other's leased deliveries).
const LockFile = "eventloom.lock"

// DirInUseError is Open's refusal of a data directory another process
// (or another Store in this one) holds.
type DirInUseError struct {
	// Dir is the data directory, as given.
	Dir string
	// PID is the holder's process id as it wrote it, 0 when unknown.
	PID int
}

func (e *DirInUseError) Error() string {
	who := "another Eventloom server"
	if e.PID > 0 {
		who += " (pid " + strconv.Itoa(e.PID) + ")"
	}
	return fmt.Sprintf("data directory %s is in use by %s; stop that server first, or give this one another directory with --data", e.Dir, who)
}

// lockDir takes the directory's lock and writes this process's id into
// it; the lock ends when the returned file is closed or the process dies
// (kill -9 included: the kernel drops it).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if held {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
		f.Close()
		return nil, &DirInUseError{Dir: dir, PID: pid}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
