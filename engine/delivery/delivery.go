// Package delivery holds the runtime records of events travelling through
// Eventloom — occurrences, their deliveries to subscribers and the attempts
// at each — with their states and the retry schedule.
//
// delivery imports nothing of the project but design; storage, dispatch and
// the web layer all speak in its types.
package delivery

import (
	"encoding/json"
	"time"
)

// Status is where a delivery stands. Pending, Running and Retrying are
// unfinished; Succeeded, Dead and Discarded are finished.
type Status string

// The delivery states.
const (
	// Pending waits to be claimed (new, released, resumed or replayed).
	Pending Status = "pending"
	// Running is claimed under a lease by a dispatcher.
	Running Status = "running"
	// Retrying failed and waits for its next attempt time.
	Retrying Status = "retrying"
	// Succeeded was handled; it never runs again.
	Succeeded Status = "succeeded"
	// Dead failed its last retry; it is kept, visible and replayable.
	Dead Status = "dead"
	// Discarded was dropped by a person (or its subscription was deleted).
	Discarded Status = "discarded"
)

// Finished reports whether s is a final state.
func (s Status) Finished() bool { return s == Succeeded || s == Dead || s == Discarded }

// Valid reports whether s is one of the states.
func (s Status) Valid() bool {
	switch s {
	case Pending, Running, Retrying, Succeeded, Dead, Discarded:
		return true
	}
	return false
}

// OccurrenceStatus summarises an occurrence's deliveries.
type OccurrenceStatus string

// The occurrence states.
const (
	// OccurrencePending has at least one unfinished delivery; it counts
	// against its event type's queue cap.
	OccurrencePending OccurrenceStatus = "pending"
	// OccurrenceCompleted has every delivery succeeded or discarded (or had
	// no subscriber at all).
	OccurrenceCompleted OccurrenceStatus = "completed"
	// OccurrenceDead has every delivery finished and at least one dead.
	OccurrenceDead OccurrenceStatus = "dead"
)

// Outcome is how one attempt ended.
type Outcome string

// The attempt outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	// OutcomeTimedOut is a failure because the run outlived the handler
	// timeout; it is retried like any failure.
	OutcomeTimedOut Outcome = "timed_out"
)

// Occurrence is one triggering of an event. TraceID is the root occurrence's
// id (its own for a root); ParentDeliveryID is the delivery whose handler
// triggered it (0 for a root).
type Occurrence struct {
	ID               int64            `json:"id"`
	EventID          int64            `json:"-"`
	AppID            int64            `json:"-"`
	App              string           `json:"app"`
	Event            string           `json:"event"`
	TraceID          int64            `json:"traceId"`
	ParentDeliveryID int64            `json:"parentDeliveryId,omitempty"`
	Parameters       json.RawMessage  `json:"parameters"`
	CreatedAt        time.Time        `json:"createdAt"`
	Status           OccurrenceStatus `json:"status"`
	// Traceparent is the W3C trace context of the span that produced it
	// (with tracing off, what its producer sent with the trigger), empty
	// when none; deliveries carry the producer's trace on.
	Traceparent string     `json:"traceparent,omitempty"`
	Deliveries  []Delivery `json:"deliveries,omitempty"`
}

// Delivery is one occurrence handed to one subscribed app. Attempts counts
// finished attempts; NextAttemptAt is when a pending or retrying delivery is
// due. ScheduleBase is how many of those attempts finished before the
// retry schedule last started over (at a replay): the schedule counts the
// failures after it, so a replayed delivery waits 2, 4, 8... minutes again
// instead of dying at its first failure.
type Delivery struct {
	ID             int64 `json:"id"`
	OccurrenceID   int64 `json:"occurrenceId"`
	SubscriptionID int64 `json:"-"`
	AppID          int64 `json:"-"`
	EventID        int64 `json:"-"`
	// TraceID is the delivery's occurrence's trace (its root occurrence's
	// id), read with the delivery so notes about it need no second read.
	TraceID       int64     `json:"-"`
	App           string    `json:"app"`
	Status        Status    `json:"status"`
	Attempts      int       `json:"attempts"`
	ScheduleBase  int       `json:"scheduleBase,omitempty"`
	NextAttemptAt time.Time `json:"nextAttemptAt,omitzero"`
	LastError     string    `json:"lastError,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	AttemptList   []Attempt `json:"attemptList,omitempty"`
}

// Attempt is one run of a delivery's handler. Log holds the messages its
// flow's log steps wrote, in order (at most MaxLogLines, each at most
// MaxLogLineBytes), so a trace shows what a handler said while it ran.
type Attempt struct {
	DeliveryID int64     `json:"-"`
	Number     int       `json:"number"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Outcome    Outcome   `json:"outcome"`
	Error      string    `json:"error,omitempty"`
	Log        []string  `json:"log,omitempty"`
	// Response is the receiver's answer to a webhook attempt; nil for
	// other handler kinds.
	Response *Response `json:"response,omitempty"`
}

// MaxLogLines bounds the log lines kept per attempt, and MaxLogLineBytes
// each line, so a flow logging in a loop cannot grow the store without
// limit; lines past the budget are dropped (the last kept line says so).
const (
	MaxLogLines     = 50
	MaxLogLineBytes = 2000
)

// Duration is how long the attempt ran.
func (a Attempt) Duration() time.Duration { return a.FinishedAt.Sub(a.StartedAt) }
