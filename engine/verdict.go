package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
)

// VerdictKind says what became of an occurrence for one app.
type VerdictKind string

// The verdicts, from handled to never meant to be.
const (
	// VerdictDelivered: the app's handler succeeded.
	VerdictDelivered VerdictKind = "delivered"
	// VerdictRunning: an attempt is in progress.
	VerdictRunning VerdictKind = "running"
	// VerdictRetrying: an attempt failed; the next is scheduled.
	VerdictRetrying VerdictKind = "retrying"
	// VerdictDead: every attempt failed; an operator may replay it.
	VerdictDead VerdictKind = "dead"
	// VerdictDiscarded: an operator dropped the delivery.
	VerdictDiscarded VerdictKind = "discarded"
	// VerdictWaiting: the delivery is due but not started; Reason says
	// what it waits for (a pause, the app's concurrency, older ones).
	VerdictWaiting VerdictKind = "waiting"
	// VerdictNotSubscribed: the app has no subscription to the event.
	VerdictNotSubscribed VerdictKind = "not_subscribed"
	// VerdictSubscribedLater: the app subscribed after the occurrence.
	VerdictSubscribedLater VerdictKind = "subscribed_later"
	// VerdictDisabled: the subscription is disabled, or was when the
	// event occurred.
	VerdictDisabled VerdictKind = "disabled"
	// VerdictPrivate: the event is private; only its producer may handle it.
	VerdictPrivate VerdictKind = "private"
	// VerdictFiltered: the subscription's filter is false for the
	// occurrence, so it created no delivery.
	VerdictFiltered VerdictKind = "filtered"
)

// Verdict is what became of one occurrence for one app that might have
// handled it, with the reason in a sentence an operator can act on.
type Verdict struct {
	App        string      `json:"app"`
	Verdict    VerdictKind `json:"verdict"`
	Reason     string      `json:"reason"`
	DeliveryID int64       `json:"deliveryId,omitempty"`
	Attempts   int         `json:"attempts,omitempty"`
	// At is when the verdict came about: the delivery's last change, or
	// the subscription's creation for subscribed_later.
	At            time.Time `json:"at,omitzero"`
	NextAttemptAt time.Time `json:"nextAttemptAt,omitzero"`
	LastError     string    `json:"lastError,omitempty"`
	// Ahead counts the subscription's deliveries a waiting one is behind
	// (at most maxAhead).
	Ahead int `json:"ahead,omitempty"`
}

// maxAhead bounds the count of deliveries ahead of a waiting one: past
// it, "behind 10,000 or more" says enough.
const maxAhead = 10_000

// Verdicts answers "why did this app (not) get this event?" for every app
// of the design and every app that got a delivery: apps with a delivery
// first, then the others, each by name.
func (e *Engine) Verdicts(ctx context.Context, occurrenceID int64) ([]Verdict, error) {
	o, err := e.st.OccurrenceGet(ctx, occurrenceID)
	if err != nil {
		return nil, fmt.Errorf("verdicts of occurrence %d: %w", occurrenceID, err)
	}
	snap := e.snap.Load()
	ref := design.EventRef{App: o.App, Event: o.Event}
	now := e.clk.Now()
	var out []Verdict
	seen := map[string]bool{}
	for _, d := range o.Deliveries {
		seen[d.App] = true
		v, err := e.deliveryVerdict(ctx, snap, d, now)
		if err != nil {
			return nil, fmt.Errorf("verdicts of occurrence %d: %w", occurrenceID, err)
		}
		out = append(out, v)
	}
	sortByApp(out)
	ev, eventExists := snap.idx.Event(ref)
	var rest []Verdict
	for _, a := range snap.idx.Apps {
		if seen[a.Name] {
			continue
		}
		v := Verdict{App: a.Name}
		sub, subscribed := snap.idx.SubscriptionFor(a.Name, ref)
		switch {
		case eventExists && !ev.Public && a.Name != o.App:
			v.Verdict = VerdictPrivate
			v.Reason = fmt.Sprintf("%s is private: only %s may handle it; make the event public to let %s subscribe", ref, o.App, a.Name)
		case !subscribed:
			v.Verdict = VerdictNotSubscribed
			v.Reason = fmt.Sprintf("%s has no subscription to %s", a.Name, ref)
		case sub.CreatedAt.After(o.CreatedAt):
			v.Verdict, v.At = VerdictSubscribedLater, sub.CreatedAt
			v.Reason = fmt.Sprintf("%s subscribed to %s at %s, after this occurrence; replaying does not reach it, trigger the event again", a.Name, ref, stamp(sub.CreatedAt))
		case !sub.Enabled:
			v.Verdict, v.At = VerdictDisabled, sub.UpdatedAt
			v.Reason = fmt.Sprintf("%s's subscription to %s is disabled: occurrences create no delivery for it; enable it to receive the next ones", a.Name, ref)
		case e.filteredOut(snap.subs[sub.ID], ev, o.Parameters):
			v.Verdict, v.At = VerdictFiltered, o.CreatedAt
			v.Reason = fmt.Sprintf("%s's subscription filter %s is false for this occurrence, so it created no delivery", a.Name, snap.subs[sub.ID].filter)
			if sub.UpdatedAt.After(o.CreatedAt) {
				v.Reason += fmt.Sprintf(" (that is the filter as changed at %s, after the occurrence)", stamp(sub.UpdatedAt))
			}
		default:
			v.Verdict, v.At = VerdictDisabled, sub.UpdatedAt
			v.Reason = fmt.Sprintf("%s's subscription to %s was changed at %s, after this occurrence, and created no delivery for it: it was disabled at the time", a.Name, ref, stamp(sub.UpdatedAt))
		}
		rest = append(rest, v)
	}
	sortByApp(rest)
	return append(out, rest...), nil
}

// deliveryVerdict explains one delivery's state.
func (e *Engine) deliveryVerdict(ctx context.Context, snap *snapshot, d delivery.Delivery, now time.Time) (Verdict, error) {
	v := Verdict{App: d.App, DeliveryID: d.ID, Attempts: d.Attempts, At: d.UpdatedAt, LastError: d.LastError}
	attempts := plural(d.Attempts, "attempt")
	switch d.Status {
	case delivery.Succeeded:
		v.Verdict = VerdictDelivered
		v.Reason = fmt.Sprintf("delivered at %s after %s", stamp(d.UpdatedAt), attempts)
	case delivery.Running:
		if cs := snap.subs[d.SubscriptionID]; cs != nil && e.d.Queued(cs.app.ID, d.ID) {
			v.Verdict = VerdictWaiting
			load := e.InFlight()[cs.app.Name]
			v.Reason = fmt.Sprintf("waiting: taken for %s, it waits for a free handler slot (%d of %d in progress)", cs.app.Name, load.Running, load.Limit)
			return v, nil
		}
		v.Verdict = VerdictRunning
		v.Reason = fmt.Sprintf("attempt %d is running", d.Attempts+1)
		if cs := snap.subs[d.SubscriptionID]; cs != nil && cs.sub.Handler.Kind == design.KindPull {
			v.Reason = fmt.Sprintf("attempt %d is locked by a pull worker of %s until it acknowledges, releases or rejects it, or the lock expires", d.Attempts+1, cs.app.Name)
		}
	case delivery.Dead:
		v.Verdict = VerdictDead
		v.Reason = fmt.Sprintf("dead after %s; the last failed with: %s. Replay it once the cause is fixed", attempts, d.LastError)
	case delivery.Discarded:
		v.Verdict = VerdictDiscarded
		v.Reason = fmt.Sprintf("discarded by an operator at %s after %s", stamp(d.UpdatedAt), attempts)
	case delivery.Retrying:
		if d.NextAttemptAt.After(now) {
			v.Verdict, v.NextAttemptAt = VerdictRetrying, d.NextAttemptAt
			v.Reason = fmt.Sprintf("attempt %d failed with: %s; the next attempt is at %s", d.Attempts, d.LastError, stamp(d.NextAttemptAt))
			return v, nil
		}
		fallthrough
	default: // pending, or a retry whose time has come
		v.Verdict = VerdictWaiting
		why, err := e.waitingFor(ctx, snap, d, &v)
		if err != nil {
			return v, err
		}
		v.Reason = why
	}
	return v, nil
}

// waitingFor says what a due delivery waits for: its subscription's
// pause, its app's concurrency, older deliveries, or only its turn.
func (e *Engine) waitingFor(ctx context.Context, snap *snapshot, d delivery.Delivery, v *Verdict) (string, error) {
	var why []string
	cs := snap.subs[d.SubscriptionID]
	if cs != nil && cs.sub.Paused {
		why = append(why, "the subscription is paused; resume it to deliver")
	}
	if cs != nil {
		if load, ok := e.InFlight()[cs.app.Name]; ok && load.Running >= load.Limit {
			why = append(why, fmt.Sprintf("%s is at its concurrency limit (%d of %d handler runs in progress)", cs.app.Name, load.Running, load.Limit))
		}
	}
	ahead, err := e.st.DeliveriesAhead(ctx, d.SubscriptionID, d.ID, d.NextAttemptAt, maxAhead)
	if err != nil {
		return "", err
	}
	if v.Ahead = ahead; ahead > 0 {
		more := ""
		if ahead == maxAhead {
			more = " or more"
		}
		why = append(why, fmt.Sprintf("it is behind %d%s older deliveries of the same subscription", ahead, more))
	}
	if len(why) == 0 {
		if cs != nil && cs.sub.Handler.Kind == design.KindPull {
			return fmt.Sprintf("due now: it waits for a pull worker of %s to receive it", cs.app.Name), nil
		}
		return "due now: a handler takes it within moments", nil
	}
	return "waiting: " + strings.Join(why, "; "), nil
}

func sortByApp(vs []Verdict) {
	sort.Slice(vs, func(i, j int) bool { return vs[i].App < vs[j].App })
}

// stamp writes a time in the verdicts' sentences: UTC to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// plural is "1 attempt" or "3 attempts".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
