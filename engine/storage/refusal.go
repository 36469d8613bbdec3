package storage

import (
	"fmt"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
)

// The refusals below are the seam's contract for DesignApply and the key
// and setting lookups: every backend answers a taken name, a part still in
// use or a missing id with the same code and the same words, so what a user
// reads does not depend on where the design is stored.

// Missing is a fault.ErrNotFound saying what is not there.
func Missing(format string, args ...any) error {
	return fault.New(fault.ErrNotFound, "not_found", fmt.Sprintf(format, args...))
}

// Conflict is a fault.ErrConflict with its code, saying what clashes.
func Conflict(code, format string, args ...any) error {
	return fault.New(fault.ErrConflict, code, fmt.Sprintf(format, args...))
}

// AppNameTaken refuses a second app of that name.
func AppNameTaken(name string) error {
	return Conflict("exists", "an app named %q exists already; choose another name", name)
}

// EventNameTaken refuses a second event of that name in one app.
func EventNameTaken(app, name string) error {
	return Conflict("exists", "app %s has an event named %q already; choose another name", app, name)
}

// AlreadyHandled refuses a second subscription of one app to one event.
func AlreadyHandled(app string, event design.EventRef) error {
	return Conflict("exists", "app %s handles %s already; edit that subscription instead", app, event)
}

// AppInUse refuses to delete an app that still owns or handles events;
// refs names them (sorted), so the user knows what to delete first.
func AppInUse(id int64, refs []string) error {
	e := fault.New(fault.ErrConflict, "in_use", fmt.Sprintf("app %d still owns or handles %d events; delete them and its subscriptions first", id, len(refs)))
	e.Refs = refs
	return e
}

// EventInUse refuses to delete an event that still has subscribers; refs
// names the subscribing apps (sorted).
func EventInUse(id int64, refs []string) error {
	e := fault.New(fault.ErrConflict, "in_use", fmt.Sprintf("event %d still has %d subscribers; delete their subscriptions first", id, len(refs)))
	e.Refs = refs
	return e
}

// EmptyOp refuses a put op without the part it puts ("an AppPut op
// carries no app"): a caller's bug, named so it is found at once.
func EmptyOp(op, part string) error {
	return fault.New(fault.ErrInvalid, "invalid_op", fmt.Sprintf("%s %s op carries no %s", article(op), op, part))
}

// UnknownOp refuses an op kind this backend does not know.
func UnknownOp(kind DesignOpKind) error {
	return fault.New(fault.ErrInvalid, "invalid_op", fmt.Sprintf("unknown design op kind %d", kind))
}

func article(word string) string {
	if word != "" && (word[0] == 'A' || word[0] == 'E' || word[0] == 'I' || word[0] == 'O' || word[0] == 'U') {
		return "an"
	}
	return "a"
}
