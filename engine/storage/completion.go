package storage

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
)

// Completion is the state one finished attempt leaves its delivery in,
// built only by Succeeded, Retrying or Dead (River's typed state changes):
// a success alone carries triggered occurrences and a retry always has its
// next attempt time, so a completion that mixes them cannot be built. Its
// fields are unexported for that reason. The zero Completion is no
// completion at all: Err says so and every backend refuses it.
type Completion struct {
	status    delivery.Status
	next      time.Time
	triggered []OccurrenceInsertParams
}

// Succeeded completes a delivery whose handler succeeded, storing the
// occurrences it triggered in the same transaction (so a flow's triggers
// happen exactly once). Their TraceID and ParentDeliveryID are set by the
// caller.
func Succeeded(triggered ...OccurrenceInsertParams) Completion {
	return Completion{status: delivery.Succeeded, triggered: triggered}
}

// Retrying completes a failed attempt whose delivery is due again at next.
// A zero next makes a completion that Err refuses: a retry needs a time.
func Retrying(next time.Time) Completion {
	return Completion{status: delivery.Retrying, next: next}
}

// Dead completes a failed attempt after which the delivery is dead (kept,
// visible, replayable); the reason is the attempt's Error.
func Dead() Completion {
	return Completion{status: delivery.Dead}
}

// Status is the delivery's state after the completion: Succeeded,
// Retrying or Dead ("" for the zero Completion).
func (c Completion) Status() delivery.Status { return c.status }

// NextAttemptAt is when a retrying delivery is due (zero otherwise).
func (c Completion) NextAttemptAt() time.Time { return c.next }

// Triggered are the occurrences a success stores with it (none
// otherwise). The slice is the completion's own: callers must not change
// it.
func (c Completion) Triggered() []OccurrenceInsertParams { return c.triggered }

// Err is nil for a completion its constructors built, and says what is
// wrong with any other: the zero Completion, or a retry without its time.
func (c Completion) Err() error {
	switch c.status {
	case delivery.Succeeded, delivery.Dead:
		return nil
	case delivery.Retrying:
		if c.next.IsZero() {
			return errors.New("a retrying completion needs its next attempt time; build it with storage.Retrying(next) and a non-zero next")
		}
		return nil
	case "":
		return errors.New("the completion is not set; build it with storage.Succeeded, storage.Retrying or storage.Dead")
	default:
		return fmt.Errorf("a completion's status is succeeded, retrying or dead, not %q", c.status)
	}
}

// completionWire is a Completion on the wire: the JetStream backend
// sends its writes as gob commands, and JSON carries them elsewhere.
type completionWire struct {
	Status        delivery.Status          `json:"status"`
	NextAttemptAt time.Time                `json:"nextAttemptAt,omitzero"`
	Triggered     []OccurrenceInsertParams `json:"triggered,omitempty"`
}

func (c Completion) wire() completionWire {
	return completionWire{Status: c.status, NextAttemptAt: c.next, Triggered: c.triggered}
}

// build makes w's completion through the constructors, refusing what they
// could not have built (a retry without its time, triggers beside a
// failure, an unknown status).
func (w completionWire) build() (Completion, error) {
	var out Completion
	switch w.Status {
	case delivery.Succeeded:
		out = Succeeded(w.Triggered...)
	case delivery.Retrying:
		out = Retrying(w.NextAttemptAt)
	case delivery.Dead:
		out = Dead()
	default:
		return Completion{}, fmt.Errorf("decode completion: status %q is not succeeded, retrying or dead", w.Status)
	}
	if w.Status != delivery.Succeeded && len(w.Triggered) > 0 {
		return Completion{}, fmt.Errorf("decode completion: a %s completion carries %d triggered occurrences; only a success stores them", w.Status, len(w.Triggered))
	}
	if err := out.Err(); err != nil {
		return Completion{}, fmt.Errorf("decode completion: %w", err)
	}
	return out, nil
}

// MarshalJSON encodes the completion as its status, next attempt time and
// triggered occurrences.
func (c Completion) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire()) }

// UnmarshalJSON decodes what MarshalJSON wrote through the constructors.
func (c *Completion) UnmarshalJSON(b []byte) error {
	var w completionWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode completion: %w", err)
	}
	out, err := w.build()
	if err != nil {
		return err
	}
	*c = out
	return nil
}

// GobEncode encodes the completion as MarshalJSON's fields, in gob.
func (c Completion) GobEncode() ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(c.wire()); err != nil {
		return nil, fmt.Errorf("encode completion: %w", err)
	}
	return b.Bytes(), nil
}

// GobDecode decodes what GobEncode wrote through the constructors.
func (c *Completion) GobDecode(b []byte) error {
	var w completionWire
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&w); err != nil {
		return fmt.Errorf("decode completion: %w", err)
	}
	out, err := w.build()
	if err != nil {
		return err
	}
	*c = out
	return nil
}
