// Package notify is the engine's in-process notification bus: every state
// change of an occurrence or a delivery is published here for live viewers
// (the console's websocket hub, tests, embedding programs).
//
// Publishing never blocks and costs almost nothing when nobody listens: a
// subscriber has a bounded buffer, and a subscriber that does not keep up
// loses notes and can read how many (Dropped) and see the gap in Seq.
//
// notify imports only the standard library; it must never import storage,
// store or web.
package notify

import (
	"sync"
	"sync/atomic"
	"time"
)

// Kind says which state change a Note reports.
type Kind string

// The kinds of notes, in the order they happen to one event.
const (
	// OccurrenceTriggered: an occurrence was committed with its deliveries.
	OccurrenceTriggered Kind = "occurrence.triggered"
	// DeliveryStarted: a handler run (attempt) began.
	DeliveryStarted Kind = "delivery.started"
	// DeliverySucceeded: the handler succeeded; its triggered occurrences
	// follow as their own notes.
	DeliverySucceeded Kind = "delivery.succeeded"
	// DeliveryFailed: the attempt failed or timed out; NextAttemptAt says
	// when the retry is due.
	DeliveryFailed Kind = "delivery.failed"
	// DeliveryDead: the last retry failed; the delivery waits for a person.
	DeliveryDead Kind = "delivery.dead"
	// DeliveryReplayed: a dead delivery was made pending again.
	DeliveryReplayed Kind = "delivery.replayed"
	// DeliveryRetried: a waiting delivery was made due now by a person.
	DeliveryRetried Kind = "delivery.retried"
	// DeliveryDiscarded: a delivery was dropped by a person.
	DeliveryDiscarded Kind = "delivery.discarded"
	// FlowLogged: a flow's log step rendered a message.
	FlowLogged Kind = "flow.logged"
	// TriggerRefused: a trigger was refused and nothing was stored; Reason
	// says why, so metrics can count refusals per event and reason.
	TriggerRefused Kind = "trigger.refused"
	// SubscriptionPaused: the engine paused a subscription of App (Event
	// names its event) by itself: its endpoint answered 410 Gone, or
	// failed Failures attempts in a row. Message says why and how to
	// resume.
	SubscriptionPaused Kind = "subscription.paused"
	// EndpointHealth: App's endpoint has now failed Failures webhook
	// attempts in a row (0: it answered with success again).
	EndpointHealth Kind = "endpoint.health"
)

// Note is one state change. Seq increases by one per published note across
// the bus, so a gap tells a subscriber what it missed. App is the producer
// for an occurrence note and the handling app for a delivery note; Event is
// "Producer.EventName".
type Note struct {
	Seq              uint64    `json:"seq"`
	Kind             Kind      `json:"kind"`
	At               time.Time `json:"at"`
	TraceID          int64     `json:"traceId"`
	OccurrenceID     int64     `json:"occurrenceId"`
	DeliveryID       int64     `json:"deliveryId,omitempty"`
	ParentDeliveryID int64     `json:"parentDeliveryId,omitempty"`
	SubscriptionID   int64     `json:"subscriptionId,omitempty"`
	App              string    `json:"app"`
	Event            string    `json:"event"`
	// Attempt is the attempt's number (1 for the first run).
	Attempt       int       `json:"attempt,omitempty"`
	Error         string    `json:"error,omitempty"`
	Message       string    `json:"message,omitempty"`
	NextAttemptAt time.Time `json:"nextAttemptAt,omitzero"`
	// Deliveries is how many deliveries an occurrence created.
	Deliveries int `json:"deliveries,omitempty"`
	// Reason is a refused trigger's cause, one of a small fixed set
	// (not_found, forbidden, invalid, too_large, queue_full, closed,
	// error), never user text, so it can label a metric.
	Reason string `json:"reason,omitempty"`
	// Failures is an endpoint's failed attempts in a row (EndpointHealth,
	// SubscriptionPaused).
	Failures int `json:"failures,omitempty"`
}

// Bus fans notes out to subscribers. The zero value is not usable; use New.
type Bus struct {
	// pub makes stamping and offering one step, so every subscriber gets
	// the notes in Seq order even from concurrent publishers: a consumer
	// may read a gap in Seq as a loss (the live hub does) and wait on a
	// Seq as a watermark (Mark). Offers never block, so it is held briefly.
	pub  sync.Mutex
	seq  uint64
	mu   sync.Mutex // guards changes to subs
	subs atomic.Pointer[[]*Subscriber]
}

// New returns a bus with no subscribers.
func New() *Bus {
	b := &Bus{}
	b.subs.Store(&[]*Subscriber{})
	return b
}

// Publish stamps n with the next Seq and offers it to every subscriber
// without waiting: a subscriber whose buffer is full drops it and counts
// the drop. It is safe for concurrent use.
func (b *Bus) Publish(n Note) {
	b.pub.Lock()
	defer b.pub.Unlock()
	b.seq++
	n.Seq = b.seq
	for _, s := range *b.subs.Load() {
		select {
		case s.c <- n:
		default:
			s.dropped.Add(1)
		}
	}
}

// Active reports whether anyone listens, so a publisher can skip building
// notes nobody reads.
func (b *Bus) Active() bool { return len(*b.subs.Load()) > 0 }

// Subscribe returns a subscriber whose buffer holds up to buffer notes
// (at least 1). The caller must Close it when done.
func (b *Bus) Subscribe(buffer int) *Subscriber {
	if buffer < 1 {
		buffer = 1
	}
	s := &Subscriber{bus: b, c: make(chan Note, buffer)}
	b.mu.Lock()
	old := *b.subs.Load()
	next := make([]*Subscriber, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	b.subs.Store(&next)
	b.mu.Unlock()
	return s
}

// Subscriber receives notes on C until Close.
type Subscriber struct {
	bus     *Bus
	c       chan Note
	dropped atomic.Uint64
	closed  sync.Once
}

// C delivers the notes in publishing order. It is never closed (a Publish
// racing with Close may still send into it); stop reading after Close.
func (s *Subscriber) C() <-chan Note { return s.c }

// Dropped is how many notes this subscriber lost because its buffer was
// full.
func (s *Subscriber) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes; at most the notes already being published arrive
// after it. Calling it again does nothing.
func (s *Subscriber) Close() {
	s.closed.Do(func() {
		b := s.bus
		b.mu.Lock()
		old := *b.subs.Load()
		next := make([]*Subscriber, 0, len(old))
		for _, x := range old {
			if x != s {
				next = append(next, x)
			}
		}
		b.subs.Store(&next)
		b.mu.Unlock()
	})
}
