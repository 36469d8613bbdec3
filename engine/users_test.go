package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
)

// TestUsersLifecycle: an account is created with a role and an argon2id
// password, signs in only with that password (an unknown name gets the
// same refusal), changes role and password, gets API tokens that act for
// it until revoked or until it is deleted; every change is audited under
// the acting user's name.
func TestUsersLifecycle(t *testing.T) {
	h := newHarness(t, engine.Config{AdminTokenMemoryKiB: 64})
	ctx := engine.WithActor(context.Background(), engine.Actor{Name: "root", From: "127.0.0.1"})
	e := h.eng

	_, err := e.CreateUser(ctx, engine.NewUser{Name: "1 bad", Role: "boss", Password: "short"})
	if got := fault.All(err); len(got) != 3 || got[0].Field != "name" || got[1].Code != "invalid_role" || got[2].Code != "password_too_short" {
		t.Fatalf("bad user = %v; want the name, role and password refused together", err)
	}
	if !strings.Contains(fault.All(err)[1].Message, "admin, designer, operator, viewer") {
		t.Fatalf("the role refusal %q does not list the roles", fault.All(err)[1].Message)
	}
	u, err := e.CreateUser(ctx, engine.NewUser{Name: "ada", Role: "Designer", Password: "correct horse battery"})
	if err != nil || u.Role != "designer" || !strings.HasPrefix(u.PasswordHash, "argon2id$") {
		t.Fatalf("create = %+v %v; want a designer with an argon2id hash", u, err)
	}
	if _, err := e.CreateUser(ctx, engine.NewUser{Name: "ada", Role: "viewer", Password: "correct horse battery"}); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("second ada = %v; want a conflict", err)
	}

	if got, err := e.SignIn(ctx, "ada", "correct horse battery"); err != nil || got.Name != "ada" {
		t.Fatalf("sign in = %+v %v", got, err)
	}
	_, wrong := e.SignIn(ctx, "ada", "wrong horse battery")
	_, unknown := e.SignIn(ctx, "bob", "correct horse battery")
	if !errors.Is(wrong, fault.ErrUnauthorized) || wrong.Error() != unknown.Error() {
		t.Fatalf("wrong password = %v, unknown name = %v; want the same unauthorized refusal", wrong, unknown)
	}

	if _, err := e.UpdateUser(ctx, "ada", engine.UserChange{}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("empty change = %v; want invalid", err)
	}
	if u, err := e.UpdateUser(ctx, "ada", engine.UserChange{Role: "operator", Password: "a brand new passphrase"}); err != nil || u.Role != "operator" {
		t.Fatalf("update = %+v %v", u, err)
	}
	if _, err := e.SignIn(ctx, "ada", "correct horse battery"); !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("the old password still signs in: %v", err)
	}
	if _, err := e.UpdateUser(ctx, "nobody", engine.UserChange{Role: "viewer"}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("update of an unknown user = %v; want not found", err)
	}

	tok, err := e.CreateUserToken(ctx, "ada")
	if err != nil || !strings.HasPrefix(tok.Clear, "elu_") || len(tok.Clear) != len("elu_")+43 {
		t.Fatalf("token = %+v %v; want elu_ and 256 random bits", tok, err)
	}
	if got, err := e.TokenUser(ctx, tok.Clear); err != nil || got.Name != "ada" || got.Role != "operator" {
		t.Fatalf("token user = %+v %v", got, err)
	}
	if _, err := e.TokenUser(ctx, "elu_nope"); !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("a wrong token = %v; want unauthorized", err)
	}
	if err := e.RevokeUserToken(ctx, "ada", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.TokenUser(ctx, tok.Clear); !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("a revoked token = %v; want unauthorized", err)
	}
	if err := e.RevokeUserToken(ctx, "ada", tok.ID); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("revoking twice = %v; want not found", err)
	}

	tok, _ = e.CreateUserToken(ctx, "ada")
	sess, err := e.SessionStart(ctx, 3600e9, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if who, ok, err := e.SessionValid(ctx, sess, 3600e9); who != "ada" || !ok || err != nil {
		t.Fatalf("session = %q %v %v; want ada's", who, ok, err)
	}
	if err := e.DeleteUser(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.SessionValid(ctx, sess, 3600e9); ok {
		t.Fatal("a deleted user's session is still valid")
	}
	if _, err := e.TokenUser(ctx, tok.Clear); !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("a deleted user's token = %v; want unauthorized", err)
	}

	entries, err := e.Audit(ctx, engine.AuditFilter{Actor: "root"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Target != "ada" || strings.Contains(string(entries[i].Detail), "horse") || strings.Contains(string(entries[i].Detail), "passphrase") {
			t.Fatalf("entry %+v: want target ada and no password", entries[i])
		}
		actions = append(actions, entries[i].Action)
	}
	want := "user.create user.update user.token.create user.token.revoke user.token.create user.delete"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit = %v; want %s", actions, want)
	}
}
