package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// sessionPrefix starts every console session id, so one is told from a
// key or the admin token at a glance.
const sessionPrefix = "els_"

// sessionRefresh is how stale a session's stored expiry may grow before a
// use writes a new one: sliding the expiry on every page view would cost
// a durable write per request, once a minute costs nothing a person sees.
const sessionRefresh = time.Minute

// SessionStart begins a console sign-in of user ("" for the admin token)
// lasting ttl from now (sliding: each use extends it) and returns its id,
// the cookie's value. Only the
// id's SHA-256 is stored, so sign-ins survive a restart and a copy of the
// data directory signs nobody in. Ids are 256-bit random, so a fast hash
// is a safe one.
func (e *Engine) SessionStart(ctx context.Context, ttl time.Duration, user string) (string, error) {
	id, err := randomToken(sessionPrefix)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(id))
	now := e.clk.Now()
	if err := e.st.SessionPut(ctx, &storage.SessionPutParams{Hash: sum[:], ExpiresAt: now.Add(ttl), Now: now, User: user}); err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return id, nil
}

// SessionValid reports whether id is a live sign-in and who signed in
// ("" for the admin token) and, when it is live, extends it to ttl from
// now. An expired session is revoked.
func (e *Engine) SessionValid(ctx context.Context, id string, ttl time.Duration) (user string, ok bool, err error) {
	if id == "" {
		return "", false, nil
	}
	sum := sha256.Sum256([]byte(id))
	x, err := e.st.SessionGet(ctx, sum[:])
	if errors.Is(err, fault.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("check session: %w", err)
	}
	now := e.clk.Now()
	if !now.Before(x.ExpiresAt) {
		return "", false, e.st.SessionDelete(ctx, sum[:])
	}
	if want := now.Add(ttl); want.Sub(x.ExpiresAt) >= sessionRefresh {
		if err := e.st.SessionPut(ctx, &storage.SessionPutParams{Hash: sum[:], ExpiresAt: want, Now: now, User: x.User}); err != nil {
			return "", false, fmt.Errorf("extend session: %w", err)
		}
	}
	return x.User, true, nil
}

// SessionEnd revokes a sign-in; ending one that is not live is no error.
func (e *Engine) SessionEnd(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(id))
	if err := e.st.SessionDelete(ctx, sum[:]); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
