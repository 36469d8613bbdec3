package storage

import (
	"encoding/json"
	"time"
)

// AuditEntry is one recorded change: who did what to which part, when, and
// from where. Entries are written once and never changed or deleted (the
// seam has no verb for either), so the log can be trusted after the fact.
type AuditEntry struct {
	// ID orders entries; larger is newer. Set by AuditInsert.
	ID int64 `json:"-"`
	// Actor is who acted: "admin token", a user's name, or an app key's
	// prefix ("key elk_ab12cd"); "system" for the program itself.
	Actor string `json:"actor"`
	// Action names the verb, as kind.verb: "app.create", "delivery.replay".
	Action string `json:"action"`
	// Target names what was acted on: an app, "Producer.Event",
	// "App:Producer.Event", "delivery 12".
	Target string `json:"target"`
	// At is when the change was made.
	At time.Time `json:"at"`
	// From is the client address the request came from ("" when none).
	From string `json:"from"`
	// Detail is a short JSON summary of what changed.
	Detail json.RawMessage `json:"detail"`
}

// AuditListParams filters AuditList. Zero fields do not filter.
type AuditListParams struct {
	// Actor, Action and Target match exactly.
	Actor, Action, Target string
	// Since keeps entries at or after it; Until those before it.
	Since, Until time.Time
	// BeforeID pages: only ids below it (the last id of the previous page).
	BeforeID int64
	// Limit bounds the page (the backend's default when 0).
	Limit int
}
