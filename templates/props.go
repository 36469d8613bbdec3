package templates

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
)

// Page is what every full page shares: its title, the nav item it belongs
// to, whether someone is signed in, and a flash message.
type Page struct {
	Title string
	// Nav is the active nav item: overview, apps, history, dead.
	Nav       string
	SignedIn  bool
	Flash     string
	FlashKind string // "ok" or "error"
}

// FieldErrors maps a form field to the server's message about it.
type FieldErrors map[string]string

// OverviewProps feed the overview page.
type OverviewProps struct {
	Apps, Events, Subscriptions int
	Counts                      map[delivery.Status]int
	Queues                      []QueueRow
	Loads                       []LoadRow
	Failures                    []delivery.Delivery
}

// QueueRow is one event type's queue against its cap.
type QueueRow struct {
	Event        string
	Pending, Cap int
}

// LoadRow is one app's runs against its limit.
type LoadRow struct {
	App                    string
	Running, Queued, Limit int
}

// AppRow is one app in the apps list.
type AppRow struct {
	App                   design.App
	Events, Subscriptions int
}

// AppProps feed an app's page.
type AppProps struct {
	App           design.App
	Events        []design.Event
	Subscriptions []design.Subscription
	Keys          []KeyRow
	NewKey        string
	Deliveries    []delivery.Delivery
	Errors        FieldErrors
}

// KeyRow is an API key without its secret.
type KeyRow struct {
	ID        int64
	Prefix    string
	CreatedAt time.Time
}

// EventProps feed an event's page and its trigger-test form.
type EventProps struct {
	Event       design.Event
	Subscribers []design.Subscription
	Recent      []delivery.Occurrence
	Form        map[string]string
	Errors      FieldErrors
	// FormError is an error not about one field (queue full, too large).
	FormError       string
	Triggered       *TriggeredResult
	MaxTextLength   int
	MaxPayloadBytes int
}

// TriggeredResult is what a successful test trigger made.
type TriggeredResult struct {
	OccurrenceID, TraceID int64
	Deliveries            int
}

// TraceProps feed the trace page: the chain as a tree.
type TraceProps struct {
	TraceID int64
	Roots   []TraceNode
	Running bool
}

// TraceNode is one occurrence with its deliveries, each with the
// occurrences its handler triggered.
type TraceNode struct {
	Occurrence delivery.Occurrence
	Deliveries []TraceDelivery
}

// TraceDelivery is a delivery and what it triggered.
type TraceDelivery struct {
	Delivery delivery.Delivery
	Children []TraceNode
}

// DeadProps feed the dead-letters page.
type DeadProps struct {
	Deliveries []delivery.Delivery
	Waiting    []delivery.Delivery
}

// invalid marks an input aria-invalid="true" when cond holds.
func invalid(cond bool) templ.Attributes {
	if cond {
		return templ.Attributes{"aria-invalid": "true"}
	}
	return templ.Attributes{}
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func dur(a delivery.Attempt) string {
	d := a.Duration()
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

func itoa[T ~int | ~int64](n T) string { return fmt.Sprint(n) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// stepPart names the part of step i an error is about ("when: "), or
// nothing when it is about the whole step.
func stepPart(field string, i int) string {
	part := strings.TrimPrefix(strings.TrimPrefix(field, "handler.steps["+itoa(i)+"]"), ".")
	if part == "" {
		return ""
	}
	return part + ": "
}

// timelineRow is one attempt on the trace's time axis.
type timelineRow struct {
	Label, Outcome, Style, Title string
}

// timelineRows places every attempt of the trace between the first
// occurrence and the last attempt's end, in percent of that span.
func timelineRows(t TraceProps) []timelineRow {
	type span struct {
		label string
		a     delivery.Attempt
	}
	var spans []span
	var start, end time.Time
	var walk func([]TraceNode)
	walk = func(nodes []TraceNode) {
		for _, n := range nodes {
			if start.IsZero() || n.Occurrence.CreatedAt.Before(start) {
				start = n.Occurrence.CreatedAt
			}
			for _, d := range n.Deliveries {
				for _, a := range d.Delivery.AttemptList {
					spans = append(spans, span{label: d.Delivery.App + " ← " + n.Occurrence.Event + " #" + itoa(a.Number), a: a})
					if a.FinishedAt.After(end) {
						end = a.FinishedAt
					}
				}
				walk(d.Children)
			}
		}
	}
	walk(t.Roots)
	total := end.Sub(start)
	if len(spans) == 0 || total <= 0 {
		total = time.Millisecond
	}
	out := make([]timelineRow, 0, len(spans))
	for _, sp := range spans {
		left := float64(sp.a.StartedAt.Sub(start)) / float64(total) * 100
		width := max(float64(sp.a.Duration())/float64(total)*100, 0.5)
		out = append(out, timelineRow{
			Label:   sp.label,
			Outcome: string(sp.a.Outcome),
			Style:   fmt.Sprintf("left:%.2f%%;width:%.2f%%", min(left, 99.5), min(width, 100-min(left, 99.5))),
			Title:   fmt.Sprintf("started +%s, took %s, %s", sp.a.StartedAt.Sub(start).Round(time.Millisecond), sp.a.Duration().Round(time.Millisecond), sp.a.Outcome),
		})
	}
	return out
}
