package series

import (
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/notify"
)

// noteBuffer is the bus subscriber's buffer, as large as the metrics' one
// (web/metrics): a note lost here is a chart that undercounts.
const noteBuffer = 1 << 16

// historyPage is how many records one read of the rebuild asks for (the
// storage seam's largest page).
const historyPage = 500

// Start feeds s from eng until ctx ends: it subscribes to eng's
// notification bus at once and counts every note from now on, samples the
// queues every 10 seconds on eng's clock, and reads the last day's history
// (everything before now) in the background, with Status().Rebuilding
// true until that is done. Call it once.
func (s *Series) Start(ctx context.Context, eng *engine.Engine) {
	sub := eng.Bus().Subscribe(noteBuffer)
	clk := eng.Clock()
	cut := clk.Now()
	s.mu.Lock()
	s.status.Rebuilding = true
	s.mu.Unlock()
	go s.follow(ctx, sub, cut)
	go s.rebuild(ctx, eng, cut)
	var sample func()
	sample = func() {
		if ctx.Err() != nil {
			return
		}
		s.sample(ctx, eng)
		clk.AfterFunc(Hour.Step(), sample)
	}
	sample()
}

// follow counts the notes of sub at or after cut (the history the rebuild
// reads ends just before it) until ctx ends. A record stamped exactly at
// cut is counted only here: on a fake clock, where everything after the
// start happens at that instant, none of it is lost; on the wall clock a
// record of that very nanosecond made before the subscription would be.
func (s *Series) follow(ctx context.Context, sub *notify.Subscriber, cut time.Time) {
	defer sub.Close()
	started := map[int64]time.Time{} // delivery id -> its running attempt's start
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-sub.C():
			if !n.At.Before(cut) {
				s.note(&n, started)
			}
			s.mark.Set(n.Seq)
		}
	}
}

// note counts one note; started pairs each attempt's start with its end.
func (s *Series) note(n *notify.Note, started map[int64]time.Time) {
	var o Outcome
	switch n.Kind {
	case notify.OccurrenceTriggered, notify.TriggerRefused:
		s.Trigger(n.At, n.Event, owner(n.Event), n.Kind == notify.OccurrenceTriggered)
		return
	case notify.DeliveryStarted:
		started[n.DeliveryID] = n.At
		return
	case notify.DeliverySucceeded:
		o = Succeeded
	case notify.DeliveryFailed:
		o = Failed
	case notify.DeliveryDead:
		o = Dead
	default:
		return
	}
	took := time.Duration(-1)
	if at, ok := started[n.DeliveryID]; ok {
		took = n.At.Sub(at)
		delete(started, n.DeliveryID)
	}
	s.Attempt(n.At, n.Event, n.App, o, took)
}

// owner is the producing app of an event named "Producer.Event", empty
// when the name is not one.
func owner(event string) string {
	ref, err := design.ParseEventRef(event)
	if err != nil {
		return ""
	}
	return ref.App
}

// sample records every event's queue depth now; a failed read leaves the
// step without a sample (a gap in the chart) and is reported in Status.
func (s *Series) sample(ctx context.Context, eng *engine.Engine) {
	depths, err := eng.QueueDepths(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.setErr(fmt.Errorf("sample queue depths: %w", err))
		}
		return
	}
	ds := make([]Depth, 0, len(depths))
	for name, d := range depths {
		ds = append(ds, Depth{Event: name, App: owner(name), Pending: d.Pending, Cap: d.Cap})
	}
	s.Queue(eng.Now(), ds)
}

// rebuild counts the occurrences and finished attempts of the day before
// cut, a page at a time, then clears Status().Rebuilding.
func (s *Series) rebuild(ctx context.Context, eng *engine.Engine, cut time.Time) {
	err := s.readHistory(ctx, eng, cut.Add(-Day.Span()), cut)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Rebuilding = false
	if err != nil && ctx.Err() == nil {
		s.status.Err = fmt.Sprintf("the charts miss part of the day before %s: %v", cut.UTC().Format(time.RFC3339), err)
	}
	close(s.rebuilt)
}

func (s *Series) readHistory(ctx context.Context, eng *engine.Engine, since, until time.Time) error {
	for before := int64(0); ; {
		os, err := eng.Occurrences(ctx, engine.OccurrenceFilter{Since: since, Until: until, BeforeID: before, Limit: historyPage})
		if err != nil {
			return fmt.Errorf("read occurrences: %w", err)
		}
		for _, o := range os {
			s.Trigger(o.CreatedAt, design.EventRef{App: o.App, Event: o.Event}.String(), o.App, true)
		}
		s.read(len(os))
		if len(os) < historyPage {
			break
		}
		before = os[len(os)-1].ID
	}
	for after := int64(0); ; {
		as, next, err := eng.FinishedAttempts(ctx, since, until, after, historyPage)
		if err != nil {
			return fmt.Errorf("read attempts: %w", err)
		}
		for _, a := range as {
			o := Failed
			switch {
			case a.Dead:
				o = Dead
			case a.Outcome == delivery.OutcomeSucceeded:
				o = Succeeded
			}
			s.Attempt(a.FinishedAt, a.Event, a.App, o, a.FinishedAt.Sub(a.StartedAt))
		}
		s.read(len(as))
		if next == 0 {
			return nil
		}
		after = next
	}
}

func (s *Series) read(n int) {
	s.mu.Lock()
	s.status.Read += n
	s.mu.Unlock()
}

func (s *Series) setErr(err error) {
	s.mu.Lock()
	s.status.Err = err.Error()
	s.mu.Unlock()
}

// WaitNoted returns once the note numbered seq (notify.Note.Seq) and
// every one before it has been counted, or with ctx's error: a caller that
// saw a note on the bus can then read frames that include it.
func (s *Series) WaitNoted(ctx context.Context, seq uint64) error {
	if err := s.mark.Wait(ctx, seq); err != nil {
		return fmt.Errorf("series: wait for note %d: %w", seq, err)
	}
	return nil
}

// Rebuilt is closed once the rebuild Start began has finished (read all
// of the day's history, failed or was cancelled).
func (s *Series) Rebuilt() <-chan struct{} { return s.rebuilt }

// Status reports the rebuild's progress and the lines refused for room.
func (s *Series) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.LinesRefused = s.dropped
	return st
}
