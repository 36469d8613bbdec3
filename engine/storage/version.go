package storage

import (
	"encoding/json"
	"time"
)

// DesignVersion is one numbered state of the design: the whole design
// document after a change, with who made the change, when, and a one-line
// summary. Versions are written with the change they record (in the same
// DesignApply) and never edited.
type DesignVersion struct {
	// Version numbers the states from 1; larger is newer.
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Summary string    `json:"summary"`
	// Document is the design as its JSON document (design.Design); empty
	// in lists.
	Document json.RawMessage `json:"document,omitempty"`
}

// DesignVersionListParams pages DesignVersionList, newest first.
type DesignVersionListParams struct {
	// Before lists versions below it (0: from the newest).
	Before int64
	Limit  int
}
