package templates

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
)

// Page is what every full page shares: its title, the nav item it belongs
// to, whether someone is signed in, and a flash message.
type Page struct {
	Title string
	// Nav is the active nav item: overview, apps, history, dead.
	Nav      string
	SignedIn bool
	// User names who is signed in: a user's name, or "admin token".
	User string
	// Role is the signed-in person's role; pages hide the controls it
	// may not use (the server refuses them anyway).
	Role      engine.Role
	Flash     string
	FlashKind string // "ok" or "error"
	// BundleMissing names the front-end files this build lacks; a page
	// with any shows a banner saying how to build them, never a silent
	// dead canvas.
	BundleMissing []string
	// Assets maps a static file's name ("dist/designer.js") to its
	// versioned URL; a name it lacks is linked unversioned.
	Assets map[string]string
	// Alerts counts the alerts of the last 24 hours, for the nav's badge.
	Alerts int
	// Fragment renders the page's main element alone, without the frame
	// (head, nav): the designer's side panel shows only that, so a
	// request made from it gets no more.
	Fragment bool
}

// May reports whether the signed-in person's role allows right.
func (p Page) May(right engine.Right) bool { return p.Role.May(right) }

// Asset is the URL a page links a static file by: versioned (cached for a
// year) when Assets knows it.
func (p Page) Asset(name string) string {
	if u, ok := p.Assets[name]; ok {
		return u
	}
	return "/static/" + name
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
	// Webhook is the app's endpoint health and signing secret.
	Webhook AppWebhook
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
	// Zone is the zone the form's DateTime inputs were sent in; empty
	// means UTC.
	Zone string
	// DryRun, when set, is what the form's values would do, shown
	// instead of a trigger's result (nothing was stored).
	DryRun *DryRunResult
}

// DryRunResult is a dry run's answer as the event page shows it.
type DryRunResult struct {
	Subscriptions []DryRunSubscription
}

// DryRunSubscription is one subscription's part of a dry run.
type DryRunSubscription struct {
	App, Handler string
	Delivery     bool
	Note         string
	// Steps say what each flow step would do, in words.
	Steps    []string
	Refusals []string
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
	// After is the last occurrence id of the page before (0: this page
	// starts at the root); Next is this page's last id when more follow.
	After, Next int64
	PageSize    int
	// ExternalURL links the same trace in an external tracing UI, by
	// its W3C trace id ExternalTraceID; empty shows no link.
	ExternalURL, ExternalTraceID string
}

// TraceNode is one occurrence with its deliveries, each with the
// occurrences its handler triggered.
type TraceNode struct {
	Occurrence delivery.Occurrence
	Deliveries []TraceDelivery
	// ParentOffPage is set when the delivery that triggered the
	// occurrence is on an earlier page of the trace.
	ParentOffPage bool
}

// TraceDelivery is a delivery and what it triggered.
type TraceDelivery struct {
	Delivery delivery.Delivery
	Children []TraceNode
}

// DeadProps feed the dead-letters page.
type DeadProps struct {
	// CanOperate shows the replay, retry and discard controls: the
	// signed-in role may operate.
	CanOperate bool
	Deliveries []DeliveryRow
	Waiting    []DeliveryRow
	// Replayed are the deliveries just replayed, in their current state;
	// LiveTraces lists (space-separated) the traces of those unfinished,
	// which the page follows live; ReplayedQuery refreshes them.
	Replayed      []DeliveryRow
	LiveTraces    string
	ReplayedQuery string
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
