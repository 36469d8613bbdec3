package engine

import (
	"fmt"
	"strings"

	"github.com/eventloom/eventloom/engine/fault"
)

// Role is what a user may do (DESIGN.md, "User"). The rights are not a
// ladder: a designer shapes the design but does not operate on
// deliveries, an operator does the reverse; both read everything and
// both may trigger test events; only an admin manages users and backups.
type Role string

// The roles.
const (
	// RoleAdmin may do everything: the admin token acts as one.
	RoleAdmin Role = "admin"
	// RoleDesigner changes the design: apps (with their endpoints and API
	// keys, which belong to an app's set-up), events, subscriptions and
	// their handlers, the layout, imports; and triggers test events.
	RoleDesigner Role = "designer"
	// RoleOperator runs the router: replays, retries and discards
	// deliveries, pauses and resumes subscriptions; and triggers test
	// events.
	RoleOperator Role = "operator"
	// RoleViewer reads everything and changes nothing.
	RoleViewer Role = "viewer"
)

// Roles lists every role, most powerful first (the order forms offer).
func Roles() []Role { return []Role{RoleAdmin, RoleDesigner, RoleOperator, RoleViewer} }

// Right is one kind of action a route needs; each Role holds a set.
type Right string

// The rights, each with what a refusal says the role may not do.
const (
	// RightRead reads the design, history, live view and audit log.
	RightRead Right = "read"
	// RightDesign changes apps, events, subscriptions, keys and the layout.
	RightDesign Right = "design"
	// RightOperate replays, retries, discards, pauses and resumes.
	RightOperate Right = "operate"
	// RightTrigger triggers an event from the console or with a user's
	// credentials (app keys trigger their own app's events regardless).
	RightTrigger Right = "trigger"
	// RightAdmin manages users and their tokens, and takes backups.
	RightAdmin Right = "admin"
)

// May reports whether the role holds right; an unknown role holds none.
func (r Role) May(right Right) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleDesigner:
		return right == RightRead || right == RightDesign || right == RightTrigger
	case RoleOperator:
		return right == RightRead || right == RightOperate || right == RightTrigger
	case RoleViewer:
		return right == RightRead
	}
	return false
}

// Doing is what a refusal says about the right: "change the design".
func (r Right) Doing() string {
	switch r {
	case RightRead:
		return "read the console"
	case RightDesign:
		return "change the design (apps, events, subscriptions, keys, layout)"
	case RightOperate:
		return "operate deliveries and subscriptions (replay, retry, discard, pause, resume)"
	case RightTrigger:
		return "trigger events"
	case RightAdmin:
		return "manage users, their tokens and backups"
	}
	return string(r)
}

// Refusal is the 403 a role gets for a route needing right: it names the
// role and what it may not do, and who can help.
func (r Role) Refusal(right Right) *fault.Error {
	return &fault.Error{Kind: fault.ErrForbidden, Code: "role_forbidden",
		Message: fmt.Sprintf("your role %s may not %s; ask an admin", r, right.Doing())}
}

// ParseRole reads a role by name; an unknown one is a field error listing
// the roles.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.May(RightRead) {
		return r, nil
	}
	var names []string
	for _, x := range Roles() {
		names = append(names, string(x))
	}
	return "", &fault.Error{Kind: fault.ErrInvalid, Code: "invalid_role", Field: "role",
		Message: fmt.Sprintf("%q is not a role; use one of %s", s, strings.Join(names, ", "))}
}
