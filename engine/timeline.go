package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/notify"
	"github.com/eventloom/eventloom/engine/storage"
)

const (
	// TimelineMaxWindow is the longest window a timeline covers: past a
	// day, a replay on the graph is too fast to follow at any speed, and
	// the reading would cost what a history export costs.
	TimelineMaxWindow = 24 * time.Hour
	// TimelineDefaultItems is how many items a timeline holds at most
	// when the caller names no limit.
	TimelineDefaultItems = 2000
	// TimelineMaxItems is the largest limit a caller may ask for: a page
	// holding more would be megabytes of JSON for one scrubber.
	TimelineMaxItems = 10000
	// timelinePage is how many rows one storage read asks for (the
	// storage lists' own cap).
	timelinePage = 500
)

// TimelineQuery is the window of history a timeline replays, [Since,
// Until), and the most items it may hold (0 means TimelineDefaultItems).
type TimelineQuery struct {
	Since, Until time.Time
	Limit        int
}

// Timeline is the recorded flow of a window, as the live view saw it: each
// item is the note the engine published then (an occurrence triggered, an
// attempt started, succeeded, failed or ended dead, a delivery discarded),
// oldest first, so the designer can replay them with its live drawing.
// A delivery's items carry its occurrence's trace when the occurrence was
// created in the window (0 otherwise: the trace is one read away).
type Timeline struct {
	Since time.Time     `json:"since"`
	Until time.Time     `json:"until"`
	Items []notify.Note `json:"items"`
}

// Timeline reads the recorded flow of q's window from stored history. A
// window that is empty, reversed or longer than TimelineMaxWindow, and one
// holding more than the limit's items, is refused (fault.ErrInvalid) with
// what to change, rather than cut short: a replay missing its end would
// show a flow that did not happen. An attempt still running is not stored
// yet; its delivery's claim stands for its start.
func (e *Engine) Timeline(ctx context.Context, q TimelineQuery) (Timeline, error) {
	limit, err := timelineLimit(q)
	if err != nil {
		return Timeline{}, err
	}
	t := timeline{idx: e.snap.Load().idx, since: q.Since, until: q.Until, limit: limit, occ: map[int64]delivery.Occurrence{}}
	if err := t.occurrences(ctx, e.st); err != nil {
		return Timeline{}, err
	}
	if err := t.deliveries(ctx, e.st); err != nil {
		return Timeline{}, err
	}
	// Oldest first; at one instant an occurrence comes before the
	// deliveries it made, and a start before its end.
	sort.SliceStable(t.items, func(i, j int) bool {
		a, b := t.items[i], t.items[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if timelineRank(a.Kind) != timelineRank(b.Kind) {
			return timelineRank(a.Kind) < timelineRank(b.Kind)
		}
		return a.DeliveryID < b.DeliveryID
	})
	for i := range t.items {
		t.items[i].Seq = uint64(i + 1)
	}
	return Timeline{Since: q.Since, Until: q.Until, Items: nonNilNotes(t.items)}, nil
}

func timelineLimit(q TimelineQuery) (int, error) {
	switch {
	case q.Since.IsZero() || q.Until.IsZero():
		return 0, &fault.Error{Kind: fault.ErrInvalid, Code: "bad_window", Field: "since", Message: "a timeline needs both since and until"}
	case !q.Since.Before(q.Until):
		return 0, &fault.Error{Kind: fault.ErrInvalid, Code: "bad_window", Field: "until",
			Message: fmt.Sprintf("until (%s) must be after since (%s)", q.Until.Format(time.RFC3339), q.Since.Format(time.RFC3339))}
	case q.Until.Sub(q.Since) > TimelineMaxWindow:
		return 0, &fault.Error{Kind: fault.ErrInvalid, Code: "window_too_long", Field: "since",
			Message: fmt.Sprintf("the window is %s long; a timeline covers at most %s: move since closer to until", q.Until.Sub(q.Since).Round(time.Second), TimelineMaxWindow)}
	case q.Limit < 0 || q.Limit > TimelineMaxItems:
		return 0, &fault.Error{Kind: fault.ErrInvalid, Code: "bad_limit", Field: "limit", Message: fmt.Sprintf("limit must be 1 to %d; got %d", TimelineMaxItems, q.Limit)}
	case q.Limit == 0:
		return TimelineDefaultItems, nil
	}
	return q.Limit, nil
}

// timelineRank orders items at one instant in causal order.
func timelineRank(k notify.Kind) int {
	switch k {
	case notify.OccurrenceTriggered:
		return 0
	case notify.DeliveryStarted:
		return 1
	}
	return 2
}

func nonNilNotes(n []notify.Note) []notify.Note {
	if n == nil {
		return []notify.Note{}
	}
	return n
}

// timeline gathers one window's items.
type timeline struct {
	idx          *design.Index
	since, until time.Time
	limit        int
	occ          map[int64]delivery.Occurrence
	items        []notify.Note
}

func (t *timeline) in(at time.Time) bool { return !at.Before(t.since) && at.Before(t.until) }

func (t *timeline) add(n notify.Note) error {
	if !t.in(n.At) {
		return nil
	}
	if len(t.items) >= t.limit {
		return &fault.Error{Kind: fault.ErrInvalid, Code: "window_too_busy", Field: "since",
			Message: fmt.Sprintf("the window from %s to %s holds more than %d recorded steps; choose a shorter window, or a limit up to %d",
				t.since.Format(time.RFC3339), t.until.Format(time.RFC3339), t.limit, TimelineMaxItems)}
	}
	t.items = append(t.items, n)
	return nil
}

// occurrences adds every occurrence created in the window.
func (t *timeline) occurrences(ctx context.Context, st storage.Storage) error {
	var before int64
	for {
		os, err := st.OccurrenceList(ctx, &storage.OccurrenceListParams{Since: t.since, Until: t.until, BeforeID: before, Limit: timelinePage})
		if err != nil {
			return fmt.Errorf("timeline: occurrences: %w", err)
		}
		for _, o := range os {
			t.occ[o.ID] = o
			ref := design.EventRef{App: o.App, Event: o.Event}.String()
			if err := t.add(notify.Note{Kind: notify.OccurrenceTriggered, At: o.CreatedAt, TraceID: o.TraceID, OccurrenceID: o.ID,
				ParentDeliveryID: o.ParentDeliveryID, App: o.App, Event: ref}); err != nil {
				return err
			}
		}
		if len(os) < timelinePage {
			return nil
		}
		before = os[len(os)-1].ID
	}
}

// deliveries adds the attempts of every delivery touched in the window.
func (t *timeline) deliveries(ctx context.Context, st storage.Storage) error {
	var after int64
	for {
		ds, err := st.DeliveryListTouched(ctx, &storage.DeliveryTouchedParams{Since: t.since, Until: t.until, AfterID: after, Limit: timelinePage})
		if err != nil {
			return fmt.Errorf("timeline: deliveries: %w", err)
		}
		for _, d := range ds {
			if err := t.delivery(d); err != nil {
				return err
			}
		}
		if len(ds) < timelinePage {
			return nil
		}
		after = ds[len(ds)-1].ID
	}
}

// delivery adds one delivery's attempts: a start and an end each.
func (t *timeline) delivery(d delivery.Delivery) error {
	about := aboutDelivery(t.idx, d)
	if o, ok := t.occ[d.OccurrenceID]; ok {
		// The stored names outlive a design change that renamed or
		// deleted the event.
		about.event = design.EventRef{App: o.App, Event: o.Event}.String()
	}
	for i, a := range d.AttemptList {
		if err := t.add(deliveryNote(about, notify.DeliveryStarted, a.StartedAt, a.Number)); err != nil {
			return err
		}
		end := deliveryNote(about, "", a.FinishedAt, a.Number)
		last := i == len(d.AttemptList)-1
		switch {
		case a.Outcome == delivery.OutcomeSucceeded:
			end.Kind = notify.DeliverySucceeded
		case last && d.Status == delivery.Dead:
			end.Kind, end.Error = notify.DeliveryDead, a.Error
		default:
			end.Kind, end.Error = notify.DeliveryFailed, a.Error
			if !last {
				end.NextAttemptAt = d.AttemptList[i+1].StartedAt
			} else if d.Status == delivery.Retrying || d.Status == delivery.Pending {
				end.NextAttemptAt = d.NextAttemptAt
			}
		}
		if err := t.add(end); err != nil {
			return err
		}
	}
	switch d.Status {
	case delivery.Running:
		// Claimed and not finished: its claim is the attempt's start.
		return t.add(deliveryNote(about, notify.DeliveryStarted, d.UpdatedAt, d.Attempts+1))
	case delivery.Discarded:
		return t.add(deliveryNote(about, notify.DeliveryDiscarded, d.UpdatedAt, 0))
	}
	return nil
}
