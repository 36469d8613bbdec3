package storagetest

import (
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// sessions pins the sign-in records: put, read back, extend, revoke, and
// the sweep of expired ones on the next put; a durable backend keeps them
// across a reopen.
func (s *suite) sessions(t *testing.T) {
	fx := s.fixture(t)
	st := fx.st
	a, b := fx.key("session-a"), fx.key("session-b")
	if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: a, ExpiresAt: t0.Add(time.Hour), Now: t0}); err != nil {
		t.Fatalf("put: %v", err)
	}
	if exp, err := st.SessionGet(ctx(t), a); err != nil || !exp.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("get = %v %v; want it to expire at t0+1h", exp, err)
	}
	if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: a, ExpiresAt: t0.Add(2 * time.Hour), Now: t0}); err != nil {
		t.Fatalf("extend: %v", err)
	}
	if exp, err := st.SessionGet(ctx(t), a); err != nil || !exp.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after extending, get = %v %v; want t0+2h", exp, err)
	}
	if s.f.Durable { // a sign-in survives a restart
		fx.reopen(t)
		st = fx.st
		if exp, err := st.SessionGet(ctx(t), a); err != nil || !exp.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("after a reopen, get = %v %v; want t0+2h", exp, err)
		}
	}
	_, err := st.SessionGet(ctx(t), fx.key("unknown"))
	wantKind(t, err, fault.ErrNotFound, "get of an unknown session")

	// A put at t0+3h sweeps a (expired at t0+2h) and keeps b.
	if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: b, ExpiresAt: t0.Add(4 * time.Hour), Now: t0.Add(3 * time.Hour)}); err != nil {
		t.Fatalf("put b: %v", err)
	}
	_, err = st.SessionGet(ctx(t), a)
	wantKind(t, err, fault.ErrNotFound, "get of a session swept after it expired")
	if _, err := st.SessionGet(ctx(t), b); err != nil {
		t.Fatalf("the live session was swept too: %v", err)
	}

	// A session remembers who signed in ('' for the admin token), and an
	// extension keeps it.
	if x, err := st.SessionGet(ctx(t), b); err != nil || x.User != "" {
		t.Fatalf("admin token session = %+v %v; want no user", x, err)
	}
	c := fx.key("session-c")
	for _, exp := range []time.Time{t0.Add(4 * time.Hour), t0.Add(5 * time.Hour)} {
		if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: c, ExpiresAt: exp, Now: t0.Add(3 * time.Hour), User: "ada"}); err != nil {
			t.Fatalf("put c: %v", err)
		}
	}
	if x, err := st.SessionGet(ctx(t), c); err != nil || x.User != "ada" || !x.ExpiresAt.Equal(t0.Add(5*time.Hour)) {
		t.Fatalf("user session = %+v %v; want ada until t0+5h", x, err)
	}

	if err := st.SessionDelete(ctx(t), b); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = st.SessionGet(ctx(t), b)
	wantKind(t, err, fault.ErrNotFound, "get of a revoked session")
	if err := st.SessionDelete(ctx(t), b); err != nil {
		t.Fatalf("deleting a revoked session again: %v; want no error", err)
	}
}
