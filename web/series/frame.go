package series

import "time"

// Frame is one key's window as columns, oldest point first, the shape
// uPlot draws: Times[i] is the start of point i in Unix seconds, and every
// other column has a value for each time. Queue and latency columns hold
// null where nothing was sampled or no attempt finished.
type Frame struct {
	Window      Window `json:"window"`
	StepSeconds int    `json:"stepSeconds"`
	Event       string `json:"event,omitempty"`
	App         string `json:"app,omitempty"`
	Status      Status `json:"status"`

	Times     []int64  `json:"times"`
	Accepted  []uint32 `json:"accepted"`
	Refused   []uint32 `json:"refused"`
	Succeeded []uint32 `json:"succeeded"`
	Failed    []uint32 `json:"failed"`
	Dead      []uint32 `json:"dead"`
	// Failures is Failed plus Dead: every attempt that did not succeed.
	Failures     []uint32   `json:"failures"`
	QueuePending []*uint32  `json:"queuePending"`
	QueueCap     []*uint32  `json:"queueCap"`
	LatencyP50Ms []*float64 `json:"latencyP50Ms"`
	LatencyP95Ms []*float64 `json:"latencyP95Ms"`
	LatencyP99Ms []*float64 `json:"latencyP99Ms"`

	Totals Totals `json:"totals"`
}

// Totals sums a frame's counts over the window; Queue is the latest
// sample (null when there is none).
type Totals struct {
	Accepted     uint64  `json:"accepted"`
	Refused      uint64  `json:"refused"`
	Succeeded    uint64  `json:"succeeded"`
	Failed       uint64  `json:"failed"`
	Dead         uint64  `json:"dead"`
	Failures     uint64  `json:"failures"`
	QueuePending *uint32 `json:"queuePending"`
	QueueCap     *uint32 `json:"queueCap"`
}

// quantiles are the latency columns and the quantile each shows.
var quantiles = [...]struct {
	q   float64
	col func(*Frame) []*float64
}{
	{0.5, func(f *Frame) []*float64 { return f.LatencyP50Ms }},
	{0.95, func(f *Frame) []*float64 { return f.LatencyP95Ms }},
	{0.99, func(f *Frame) []*float64 { return f.LatencyP99Ms }},
}

// Frame returns key's window ending at now. A key with no line (nothing
// counted for it yet) has a frame of zeros.
func (s *Series) Frame(key Key, w Window, now time.Time) Frame {
	step, n := w.Step(), w.points()
	f := Frame{Window: w, StepSeconds: int(step / time.Second), Event: key.Event, App: key.App,
		Times: make([]int64, n), Accepted: make([]uint32, n), Refused: make([]uint32, n), Succeeded: make([]uint32, n),
		Failed: make([]uint32, n), Dead: make([]uint32, n), Failures: make([]uint32, n),
		QueuePending: make([]*uint32, n), QueueCap: make([]*uint32, n),
		LatencyP50Ms: make([]*float64, n), LatencyP95Ms: make([]*float64, n), LatencyP99Ms: make([]*float64, n)}
	last := now.UnixNano() / int64(step)
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Status = s.status
	f.Status.LinesRefused = s.dropped
	l := s.lines[key]
	for i := range n {
		num := last - int64(n-1-i)
		f.Times[i] = num * int64(step) / int64(time.Second)
		if l == nil {
			continue
		}
		pts := l.hour
		if w == Day {
			pts = l.day
		}
		p := &pts[num%int64(len(pts))]
		if p.n != num {
			continue
		}
		f.Accepted[i], f.Refused[i], f.Succeeded[i], f.Failed[i], f.Dead[i] = p.accepted, p.refused, p.succeeded, p.failed, p.dead
		f.Failures[i] = p.failed + p.dead
		if p.sampled {
			pending, capacity := p.pending, p.cap
			f.QueuePending[i], f.QueueCap[i] = &pending, &capacity
			f.Totals.QueuePending, f.Totals.QueueCap = &pending, &capacity
		}
		for _, c := range quantiles {
			if ms, ok := percentile(&p.lat, c.q); ok {
				c.col(&f)[i] = &ms
			}
		}
		f.Totals.Accepted += uint64(p.accepted)
		f.Totals.Refused += uint64(p.refused)
		f.Totals.Succeeded += uint64(p.succeeded)
		f.Totals.Failed += uint64(p.failed)
		f.Totals.Dead += uint64(p.dead)
	}
	f.Totals.Failures = f.Totals.Failed + f.Totals.Dead
	return f
}
