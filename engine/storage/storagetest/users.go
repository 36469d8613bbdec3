package storagetest

import (
	"strings"
	"testing"
	"time"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// users pins accounts: insert (names unique among live users), get, list
// by name, update of role and password apart, delete taking the user's
// tokens and sessions with it, and a later user of the same name
// inheriting none of them.
func (s *suite) users(t *testing.T) {
	fx := s.fixture(t)
	st := fx.st
	ada, bob := fx.id("ada"), fx.id("bob")
	for _, u := range []storage.User{{Name: bob, Role: "viewer", PasswordHash: "hb", CreatedAt: t0}, {Name: ada, Role: "designer", PasswordHash: "ha", CreatedAt: t0}} {
		got, err := st.UserInsert(ctx(t), &u)
		if err != nil || got.Name != u.Name || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) {
			t.Fatalf("insert %s = %+v %v", u.Name, got, err)
		}
	}
	_, err := st.UserInsert(ctx(t), &storage.User{Name: ada, Role: "admin", PasswordHash: "x", CreatedAt: t0})
	wantKind(t, err, fault.ErrConflict, "insert of a second user named ada")
	if u, err := st.UserGet(ctx(t), ada); err != nil || u.Role != "designer" || u.PasswordHash != "ha" {
		t.Fatalf("get = %+v %v; want the designer ada with her hash (the conflicting insert changed nothing)", u, err)
	}
	_, err = st.UserGet(ctx(t), fx.id("nobody"))
	wantKind(t, err, fault.ErrNotFound, "get of an unknown user")
	if names := s.userNames(t, fx); strings.Join(names, ",") != ada+","+bob {
		t.Fatalf("list = %v; want ada, bob (by name)", names)
	}

	// A role change keeps ada's session; a new password ends it.
	if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: fx.key("s-old"), ExpiresAt: t0.Add(time.Hour), Now: t0, User: ada}); err != nil {
		t.Fatal(err)
	}
	u, err := st.UserUpdate(ctx(t), &storage.UserUpdateParams{Name: ada, Role: "admin", Now: t0.Add(time.Minute)})
	if err != nil || u.Role != "admin" || u.PasswordHash != "ha" || !u.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("role update = %+v %v; want admin, hash kept", u, err)
	}
	if _, err := st.SessionGet(ctx(t), fx.key("s-old")); err != nil {
		t.Fatalf("a role change ended the session: %v", err)
	}
	u, err = st.UserUpdate(ctx(t), &storage.UserUpdateParams{Name: ada, PasswordHash: "ha2", Now: t0.Add(2 * time.Minute)})
	if err != nil || u.Role != "admin" || u.PasswordHash != "ha2" {
		t.Fatalf("password update = %+v %v; want admin kept, new hash", u, err)
	}
	_, err = st.SessionGet(ctx(t), fx.key("s-old"))
	wantKind(t, err, fault.ErrNotFound, "a session signed in with the old password")
	_, err = st.UserUpdate(ctx(t), &storage.UserUpdateParams{Name: fx.id("nobody"), Role: "admin", Now: t0})
	wantKind(t, err, fault.ErrNotFound, "update of an unknown user")

	// Tokens: inserted, listed newest first without hashes, looked up
	// with their user, revoked once.
	var toks []storage.UserToken
	for _, name := range []string{"t1", "t2"} {
		tok, err := st.UserTokenInsert(ctx(t), &storage.UserTokenInsertParams{User: ada, Prefix: "elu_" + name, Hash: fx.key(name), CreatedAt: t0})
		if err != nil || tok.ID == 0 || tok.User != ada {
			t.Fatalf("token insert = %+v %v", tok, err)
		}
		toks = append(toks, tok)
	}
	_, err = st.UserTokenInsert(ctx(t), &storage.UserTokenInsertParams{User: fx.id("nobody"), Prefix: "elu_x", Hash: fx.key("tx"), CreatedAt: t0})
	wantKind(t, err, fault.ErrNotFound, "token for an unknown user")
	list, err := st.UserTokenList(ctx(t), ada)
	if err != nil || len(list) != 2 || list[0].ID != toks[1].ID || list[0].Hash != nil || list[0].Prefix != "elu_t2" {
		t.Fatalf("token list = %+v %v; want t2 then t1, no hashes", list, err)
	}
	tok, owner, err := st.UserTokenLookup(ctx(t), fx.key("t1"))
	if err != nil || tok.ID != toks[0].ID || owner.Name != ada || owner.Role != "admin" {
		t.Fatalf("lookup = %+v %+v %v; want t1 of the admin ada", tok, owner, err)
	}
	wantKind(t, st.UserTokenDelete(ctx(t), bob, toks[0].ID, t0), fault.ErrNotFound, "revoking ada's token as bob's")
	if err := st.UserTokenDelete(ctx(t), ada, toks[0].ID, t0); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	wantKind(t, st.UserTokenDelete(ctx(t), ada, toks[0].ID, t0), fault.ErrNotFound, "revoking a revoked token")
	_, _, err = st.UserTokenLookup(ctx(t), fx.key("t1"))
	wantKind(t, err, fault.ErrNotFound, "lookup of a revoked token")

	// Deleting ada ends her sessions and her tokens; bob's session stays.
	if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: fx.key("sa"), ExpiresAt: t0.Add(time.Hour), Now: t0, User: ada}); err != nil {
		t.Fatal(err)
	}
	if err := st.SessionPut(ctx(t), &storage.SessionPutParams{Hash: fx.key("sb"), ExpiresAt: t0.Add(time.Hour), Now: t0, User: bob}); err != nil {
		t.Fatal(err)
	}
	if err := st.UserDelete(ctx(t), ada, t0.Add(time.Hour)); err != nil {
		t.Fatalf("delete: %v", err)
	}
	wantKind(t, st.UserDelete(ctx(t), ada, t0), fault.ErrNotFound, "deleting a deleted user")
	_, err = st.UserGet(ctx(t), ada)
	wantKind(t, err, fault.ErrNotFound, "get of a deleted user")
	_, err = st.SessionGet(ctx(t), fx.key("sa"))
	wantKind(t, err, fault.ErrNotFound, "the deleted user's session")
	if _, err := st.SessionGet(ctx(t), fx.key("sb")); err != nil {
		t.Fatalf("bob's session went with ada: %v", err)
	}
	_, _, err = st.UserTokenLookup(ctx(t), fx.key("t2"))
	wantKind(t, err, fault.ErrNotFound, "lookup of a deleted user's token")

	// A new ada is a new user: no tokens of the old one, new token ids.
	if _, err := st.UserInsert(ctx(t), &storage.User{Name: ada, Role: "viewer", PasswordHash: "h3", CreatedAt: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	if list, err := st.UserTokenList(ctx(t), ada); err != nil || len(list) != 0 {
		t.Fatalf("the new ada has tokens %+v %v; want none", list, err)
	}
	tok, err = st.UserTokenInsert(ctx(t), &storage.UserTokenInsertParams{User: ada, Prefix: "elu_t3", Hash: fx.key("t3"), CreatedAt: t0})
	if err != nil || tok.ID <= toks[1].ID {
		t.Fatalf("new token id %d (%v); want above %d: ids are never reused", tok.ID, err, toks[1].ID)
	}
	if s.f.Durable {
		fx.reopen(t)
		if _, owner, err := fx.st.UserTokenLookup(ctx(t), fx.key("t3")); err != nil || owner.Name != ada || owner.Role != "viewer" {
			t.Fatalf("after a reopen, lookup = %+v %v", owner, err)
		}
	}
}

// userNames lists the names of this test's users (a backend shared by
// parallel tests holds others' too).
func (s *suite) userNames(t *testing.T, fx *fixture) []string {
	t.Helper()
	all, err := fx.st.UserList(ctx(t))
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var out []string
	for _, u := range all {
		if strings.HasPrefix(u.Name, fx.name+"/") {
			out = append(out, u.Name)
		}
	}
	return out
}
