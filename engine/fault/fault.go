// Package fault defines the errors a user can act on. Every refusal the
// engine makes is an *Error whose Kind is one of the sentinels below, so the
// web layer maps kinds to HTTP statuses in one place and shows Code, Field
// and Message to the user.
//
// fault imports nothing of the project; every other package may import it.
package fault

import (
	"errors"
	"strings"
)

// The kinds of refusal. Each maps to one HTTP status in the web layer:
// ErrInvalid 422, ErrForbidden 403, ErrNotFound 404, ErrConflict 409,
// ErrTooLarge 413, ErrQueueFull 429, ErrUnauthorized 401.
var (
	// ErrInvalid marks a value that breaks a rule of the design or payload.
	ErrInvalid = errors.New("invalid")
	// ErrForbidden marks an action the caller may not take: triggering
	// another app's event, handling another app's private event.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound marks a name or id that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a name that exists already or a thing still
	// referenced by others.
	ErrConflict = errors.New("conflict")
	// ErrTooLarge marks a payload over the configured byte limit.
	ErrTooLarge = errors.New("too large")
	// ErrQueueFull marks a trigger refused because its event type already
	// has the configured maximum of pending occurrences.
	ErrQueueFull = errors.New("queue full")
	// ErrUnauthorized marks missing or wrong credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrLeaseLost marks a delivery completion whose claim is no longer
	// valid (its lease expired and it was claimed again, or it already
	// finished). It is internal: the completion is dropped, never retried.
	ErrLeaseLost = errors.New("lease lost")
)

// Error is one refusal: what kind it is, a stable machine-readable Code
// (snake_case, e.g. "text_too_long"), the Field it concerns ("" when none,
// a parameter or property name otherwise) and a Message a person can act
// on. Refs lists related names, such as the subscribers that keep an event
// from being deleted.
type Error struct {
	Kind    error
	Code    string
	Field   string
	Message string
	Refs    []string
}

// Error returns the message, prefixed by the field when there is one.
func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Unwrap returns the kind, so errors.Is(err, fault.ErrInvalid) works.
func (e *Error) Unwrap() error { return e.Kind }

// New builds an *Error without a field.
func New(kind error, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Field builds an *Error about one field; its kind is ErrInvalid unless
// kind is given.
func Field(field, code, message string) *Error {
	return &Error{Kind: ErrInvalid, Code: code, Field: field, Message: message}
}

// List is several refusals reported together, so a producer learns every
// reason at once rather than one per try. errors.Is matches any member.
type List []*Error

// Error joins the members' messages.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the members.
func (l List) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns nil for an empty list, the single member for a list of one,
// and the list otherwise.
func (l List) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

// All returns every *Error inside err (a List, an *Error, or either wrapped),
// in order; nil when err carries none.
func All(err error) []*Error {
	var l List
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}
