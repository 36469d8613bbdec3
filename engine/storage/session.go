package storage

import "time"

// SessionPutParams is a console sign-in to keep.
type SessionPutParams struct {
	// Hash is the SHA-256 of the session id; the id itself is only ever
	// in the browser's cookie.
	Hash []byte
	// ExpiresAt is when the session ends unless it is put again.
	ExpiresAt time.Time
	// Now is the time sessions that expired before it are swept at.
	Now time.Time
	// User is the name of the user signed in; empty for a sign-in with
	// the admin token.
	User string
}

// Session is a stored console sign-in.
type Session struct {
	ExpiresAt time.Time
	// User is who signed in; empty for the admin token.
	User string
}
