package templates

import (
	"fmt"
	"strconv"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

// count says "1 delivery" or "3 deliveries": a count with its noun in the
// right number, so no page reads "1 deliveries".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// DeliveryRow is a delivery with the occurrence it carries, for lists that
// show which event it delivers, its payload and its trace. Occurrence is
// zero when the occurrence could not be read.
type DeliveryRow struct {
	delivery.Delivery
	Occurrence delivery.Occurrence
}

// ZoneUTC is the zone date-time inputs are read in when the browser says
// none (no JavaScript): the console shows every time in UTC.
const ZoneUTC = "UTC"

// ZoneField is the form field (query parameter on history) carrying the
// IANA zone of the browser's date-time inputs, set by app.js. No parameter
// can be named so: parameter names start with a letter.
const ZoneField = "_tz"

// zoneName is the zone a date-time input is in, as its hint shows it.
func zoneName(tz string) string {
	if tz == "" {
		return ZoneUTC
	}
	return tz
}

// timelineAxis is the trace timeline's time axis: where each tick sits (in
// percent of the span) and the clock time it stands for.
type timelineAxis struct {
	Ticks []timelineTick
	// Caption says what the ticks count from and in which zone.
	Caption string
}

type timelineTick struct {
	Left  string
	Label string
}

// timelineRow is one delivery on the trace's time axis, its attempts as
// segments.
type timelineRow struct {
	DeliveryID int64
	Label      string
	Status     string
	Segments   []timelineSegment
}

// timelineSegment is one attempt (or the wait for the next one) on a row.
// Kind is the attempt's outcome, "dead" for the attempt that made the
// delivery dead, or "waiting" for the wait before a retry.
type timelineSegment struct {
	Kind, Style, Title, Label string
}

// tickSteps are the spacings the axis picks from: round numbers a person
// reads at a glance, from a millisecond to a day.
var tickSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// maxTicks bounds the labels on the axis so they never crowd each other on
// a narrow screen.
const maxTicks = 6

// timelineOf places every delivery of the trace on one time axis running
// from the first occurrence to the last thing known (an attempt's end or
// a retry's due time), one row per delivery with its attempts as
// segments, and a wait segment up to a retrying delivery's next attempt.
func timelineOf(t TraceProps) (timelineAxis, []timelineRow) {
	type entry struct {
		label string
		d     delivery.Delivery
	}
	var entries []entry
	var start, end time.Time
	var walk func([]TraceNode)
	walk = func(nodes []TraceNode) {
		for _, n := range nodes {
			if start.IsZero() || n.Occurrence.CreatedAt.Before(start) {
				start = n.Occurrence.CreatedAt
			}
			for _, d := range n.Deliveries {
				dl := d.Delivery
				entries = append(entries, entry{label: dl.App + " ← " + n.Occurrence.Event + " #" + strconv.FormatInt(dl.ID, 10), d: dl})
				for _, a := range dl.AttemptList {
					if a.FinishedAt.After(end) {
						end = a.FinishedAt
					}
				}
				if dl.Status == delivery.Retrying && dl.NextAttemptAt.After(end) {
					end = dl.NextAttemptAt
				}
				walk(d.Children)
			}
		}
	}
	walk(t.Roots)
	hasAttempts := false
	for _, e := range entries {
		hasAttempts = hasAttempts || len(e.d.AttemptList) > 0
	}
	if !hasAttempts {
		return timelineAxis{}, nil
	}
	if !end.After(start) {
		end = start.Add(time.Millisecond)
	}
	// The axis runs between whole steps around the chain, so every tick
	// falls on a round clock time (12:00:30, not 12:00:27.391).
	step, origin, span := tickSteps[len(tickSteps)-1], start, end.Sub(start)
	for _, st := range tickSteps {
		o := start.Truncate(st)
		n := (end.Sub(o) + st - 1) / st
		if n <= maxTicks {
			step, origin, span = st, o, n*st
			break
		}
	}
	pct := func(d time.Duration) float64 { return float64(d) / float64(span) * 100 }
	axis := timelineAxis{Caption: "Times in UTC; the chain started at " + start.UTC().Format("2006-01-02 15:04:05.000") + "."}
	layout := "15:04:05"
	if step < time.Second {
		layout = "15:04:05.000"
	}
	for at := time.Duration(0); at <= span; at += step {
		axis.Ticks = append(axis.Ticks, timelineTick{Left: fmt.Sprintf("left:%.2f%%", pct(at)), Label: origin.Add(at).UTC().Format(layout)})
	}
	start = origin
	rows := make([]timelineRow, 0, len(entries))
	for _, e := range entries {
		r := timelineRow{DeliveryID: e.d.ID, Label: e.label, Status: string(e.d.Status)}
		for i, a := range e.d.AttemptList {
			kind, label := string(a.Outcome), string(a.Outcome)
			if a.Outcome == delivery.OutcomeTimedOut {
				label = "timed out"
			}
			last := i == len(e.d.AttemptList)-1
			if last && e.d.Status == delivery.Dead {
				kind, label = "dead", "failed, dead"
			}
			r.Segments = append(r.Segments, timelineSegment{
				Kind:  kind,
				Label: label,
				Style: place(pct(a.StartedAt.Sub(start)), pct(a.Duration())),
				Title: fmt.Sprintf("attempt %d at %s, took %s: %s", a.Number, a.StartedAt.UTC().Format("15:04:05.000"), a.Duration().Round(time.Millisecond), label),
			})
		}
		if e.d.Status == delivery.Retrying && len(e.d.AttemptList) > 0 {
			from := e.d.AttemptList[len(e.d.AttemptList)-1].FinishedAt
			r.Segments = append(r.Segments, timelineSegment{
				Kind:  "waiting",
				Label: "waiting",
				Style: place(pct(from.Sub(start)), pct(e.d.NextAttemptAt.Sub(from))),
				Title: "waiting for the next attempt at " + e.d.NextAttemptAt.UTC().Format("15:04:05.000"),
			})
		}
		rows = append(rows, r)
	}
	return axis, rows
}

// place is a segment's style: left and width in percent, at least wide
// enough to see and never past the track's end.
func place(left, width float64) string {
	left = min(max(left, 0), 99.5)
	width = min(max(width, 0.5), 100-left)
	return fmt.Sprintf("left:%.2f%%;width:%.2f%%", left, width)
}

// attemptOutcome is how the trace labels an attempt: its outcome, or
// "failed, dead" (styled dead) for the attempt after which the delivery
// died, so dead reads apart from a failure that was retried.
func attemptOutcome(d delivery.Delivery, a delivery.Attempt) (class, label string) {
	if d.Status == delivery.Dead && len(d.AttemptList) > 0 && a.Number == d.AttemptList[len(d.AttemptList)-1].Number && a.Outcome != delivery.OutcomeSucceeded {
		return "s-dead", string(a.Outcome) + ", dead"
	}
	return "s-" + string(a.Outcome), string(a.Outcome)
}

// dryRunDeliveries counts the deliveries a dry run says would be created.
func dryRunDeliveries(d DryRunResult) int {
	n := 0
	for _, s := range d.Subscriptions {
		if s.Delivery {
			n++
		}
	}
	return n
}
