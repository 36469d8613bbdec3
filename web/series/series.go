package series

import (
	"math"
	"sync"
	"time"

	"github.com/eventloom/eventloom/engine/notify"
)

// Window is how far back a chart looks: Hour (10-second points) or Day
// (one-minute points).
type Window string

// The two windows the series keep.
const (
	Hour Window = "1h"
	Day  Window = "24h"
)

// ParseWindow reads a window's name ("1h" or "24h").
func ParseWindow(s string) (Window, bool) {
	switch Window(s) {
	case Hour, Day:
		return Window(s), true
	}
	return "", false
}

// Step is the width of one point of the window.
func (w Window) Step() time.Duration {
	if w == Day {
		return time.Minute
	}
	return 10 * time.Second
}

// Span is the length of the window.
func (w Window) Span() time.Duration {
	if w == Day {
		return 24 * time.Hour
	}
	return time.Hour
}

func (w Window) points() int { return int(w.Span() / w.Step()) }

// latBins is how many latency bins a point keeps: bin i holds runs up to
// latBase·2^i, so 24 bins reach from a quarter millisecond to about 35
// minutes (past the 2-minute handler timeout) with a factor-2 resolution.
const latBins = 24

// latBase is the upper bound of the first latency bin.
const latBase = 250 * time.Microsecond

// point is one step of one line. n is the step's number since the epoch
// (0: never written); a slot whose n is not the step asked for is empty.
type point struct {
	n                                          int64
	accepted, refused, succeeded, failed, dead uint32
	// pending is the fullest queue sampled in the step and cap its cap;
	// sampled says whether any sample fell in the step.
	pending, cap uint32
	sampled      bool
	lat          [latBins]uint32
}

func (p *point) at(n int64) {
	if p.n != n {
		*p = point{n: n}
	}
}

// line is one key's rings, hour then day.
type line struct {
	hour, day []point
}

func newLine() *line {
	return &line{hour: make([]point, Hour.points()), day: make([]point, Day.points())}
}

// each calls f with the line's point of t in both rings.
func (l *line) each(t time.Time, f func(*point)) {
	for _, r := range []struct {
		pts  []point
		step time.Duration
	}{{l.hour, Hour.Step()}, {l.day, Day.Step()}} {
		n := t.UnixNano() / int64(r.step)
		p := &r.pts[n%int64(len(r.pts))]
		p.at(n)
		f(p)
	}
}

// Key names one line: the total (zero Key), one event ("Producer.Event")
// or one app. At most one of Event and App is set.
type Key struct {
	Event string
	App   string
}

// Total is the key of the line counting everything: the zero Key.
func Total() Key { return Key{} }

// Config configures Series. The zero value is usable.
type Config struct {
	// MaxLines bounds the lines kept besides the total (one per event and
	// one per app seen); a line costs about 220 KB, so the default 256
	// bounds the series near 56 MB. Past it new events and apps are
	// counted in the total only, and Status says so.
	MaxLines int
}

// Series holds the lines. Every method is safe for concurrent use.
type Series struct {
	cfg Config

	mu      sync.Mutex
	lines   map[Key]*line
	dropped int // keys refused for lack of room
	status  Status
	// mark is the last note counted (WaitNoted).
	mark    notify.Mark
	rebuilt chan struct{}
}

// Status says whether the series are complete: while Rebuilding the
// window's history is still being read (Read counts the records read so
// far); Err is why a rebuild stopped, empty when it did not.
type Status struct {
	Rebuilding bool   `json:"rebuilding"`
	Read       int    `json:"read"`
	Err        string `json:"error,omitempty"`
	// LinesRefused counts events and apps with no line of their own
	// because Config.MaxLines was reached.
	LinesRefused int `json:"linesRefused,omitempty"`
}

// New returns empty series.
func New(cfg Config) *Series {
	if cfg.MaxLines <= 0 {
		cfg.MaxLines = 256
	}
	return &Series{cfg: cfg, lines: map[Key]*line{Total(): newLine()}, rebuilt: make(chan struct{})}
}

// update calls f on the point of t of every key's line (the total
// first), creating lines while there is room. The caller holds s.mu.
func (s *Series) update(t time.Time, keys []Key, f func(*point)) {
	for _, k := range keys {
		l, ok := s.lines[k]
		if !ok {
			if len(s.lines) > s.cfg.MaxLines {
				s.dropped++
				continue
			}
			l = newLine()
			s.lines[k] = l
		}
		l.each(t, f)
	}
}

// keys is the total and, when named, the event's and the app's lines.
func keys(event, app string) []Key {
	ks := []Key{Total()}
	if event != "" {
		ks = append(ks, Key{Event: event})
	}
	if app != "" {
		ks = append(ks, Key{App: app})
	}
	return ks
}

// Trigger counts one trigger of event (owned by app) at t, accepted or
// refused.
func (s *Series) Trigger(t time.Time, event, app string, accepted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.update(t, keys(event, app), func(p *point) {
		if accepted {
			p.accepted++
		} else {
			p.refused++
		}
	})
}

// Outcome is how a finished attempt counts.
type Outcome int

// The outcomes of an attempt: Failed means a retry follows, Dead that it
// was the last.
const (
	Succeeded Outcome = iota
	Failed
	Dead
)

// Attempt counts one finished attempt of event handled by app at t; took
// is its run time (negative: unknown, not counted in the latency).
func (s *Series) Attempt(t time.Time, event, app string, o Outcome, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bin := latBin(took)
	s.update(t, keys(event, app), func(p *point) {
		switch o {
		case Succeeded:
			p.succeeded++
		case Failed:
			p.failed++
		case Dead:
			p.dead++
		}
		if bin >= 0 {
			p.lat[bin]++
		}
	})
}

// Depth is one event's queue at a sample: pending occurrences against
// the cap.
type Depth struct {
	Event, App   string
	Pending, Cap int
}

// Queue records one sample of every event's queue at t: each event's and
// app's line keeps its fullest queue, and the total the fullest of all.
func (s *Series) Queue(t time.Time, depths []Depth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range depths {
		s.update(t, keys(d.Event, d.App), func(p *point) {
			if !p.sampled || uint32(d.Pending) >= p.pending {
				p.pending, p.cap = uint32(d.Pending), uint32(d.Cap)
			}
			p.sampled = true
		})
	}
	if len(depths) == 0 { // no events: the total still shows an empty queue
		s.update(t, []Key{Total()}, func(p *point) { p.sampled = true })
	}
}

// latBin is the latency bin of d, or -1 for an unknown run time.
func latBin(d time.Duration) int {
	if d < 0 {
		return -1
	}
	for i, bound := 0, latBase; i < latBins; i, bound = i+1, bound*2 {
		if d <= bound {
			return i
		}
	}
	return latBins - 1
}

// percentile estimates the q-quantile (0 < q <= 1) of the runs counted in
// h, in milliseconds, interpolating within the bin it falls in; ok is
// false when h counts none.
func percentile(h *[latBins]uint32, q float64) (ms float64, ok bool) {
	var total uint64
	for _, c := range h {
		total += uint64(c)
	}
	if total == 0 {
		return 0, false
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= rank {
			hi := float64(latBase<<i) / float64(time.Millisecond)
			lo := 0.0
			if i > 0 {
				lo = hi / 2
			}
			frac := (rank - cum) / float64(c)
			return math.Round((lo+(hi-lo)*frac)*1000) / 1000, true
		}
		cum += float64(c)
	}
	return float64(latBase<<(latBins-1)) / float64(time.Millisecond), true
}
