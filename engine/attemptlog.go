package engine

import (
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/delivery"
)

// attemptLog collects what a flow's log steps write during one attempt,
// to be stored with the attempt and shown in its trace. It keeps at most
// delivery.MaxLogLines lines of at most delivery.MaxLogLineBytes each, so a
// flow logging in a loop cannot grow the store without limit; the last kept
// line then says how many were dropped. A run abandoned at its timeout may
// still be writing while the attempt is recorded, hence the mutex.
type attemptLog struct {
	mu      sync.Mutex
	kept    []string
	dropped int
	// resp is a webhook receiver's answer (see setAnswer).
	resp *delivery.Response
}

// add records one message, cut to the line budget on a rune boundary.
func (l *attemptLog) add(msg string) {
	if len(msg) > delivery.MaxLogLineBytes {
		cut := delivery.MaxLogLineBytes - len("…")
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// One slot stays free for the note about dropped lines.
	if len(l.kept) < delivery.MaxLogLines-1 {
		l.kept = append(l.kept, msg)
		return
	}
	l.dropped++
	if l.dropped == 1 {
		// The last line may still fit when no other follows it.
		l.kept = append(l.kept, msg)
	}
}

// lines returns a copy of the kept lines, nil when nothing was logged.
func (l *attemptLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.kept) == 0 {
		return nil
	}
	out := append([]string(nil), l.kept...)
	if l.dropped > 1 {
		// More than the budget: the last slot says how many were not kept.
		out[len(out)-1] = strconv.Itoa(l.dropped) + " more log lines were not kept (at most " + strconv.Itoa(delivery.MaxLogLines) + " per attempt)"
	}
	return out
}
