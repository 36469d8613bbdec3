package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/web/client"
)

// TestClientManagesUsers drives the account API through the Go client
// against a real server: create, list, change, tokens that act with the
// user's role, refusals as typed errors, delete.
func TestClientManagesUsers(t *testing.T) {
	s := newAPIServer(t, engine.Config{})
	ctx := context.Background()
	admin := client.New(s.url, adminToken, client.WithHTTPClient(s.srv.Client()))
	if _, err := admin.CreateUser(ctx, "ada", "viewer", "short"); !client.IsCode(err, "password_too_short") {
		t.Fatalf("short password = %v; want password_too_short", err)
	}
	u, err := admin.CreateUser(ctx, "ada", "viewer", rolePassword)
	if err != nil || u.Name != "ada" || u.Role != "viewer" {
		t.Fatalf("create = %+v %v", u, err)
	}
	tok, err := admin.CreateUserToken(ctx, "ada")
	if err != nil || !strings.HasPrefix(tok.Token, "elu_") || tok.ID == 0 {
		t.Fatalf("token = %+v %v", tok, err)
	}
	ada := client.New(s.url, tok.Token, client.WithHTTPClient(s.srv.Client()))
	if _, err := ada.Users(ctx); !client.IsCode(err, "role_forbidden") || err.(*client.Error).Status != 403 {
		t.Fatalf("a viewer lists users = %v; want 403 role_forbidden", err)
	}
	if u, err := admin.UpdateUser(ctx, "ada", client.UserChange{Role: "admin"}); err != nil || u.Role != "admin" {
		t.Fatalf("update = %+v %v", u, err)
	}
	if users, err := ada.Users(ctx); err != nil || len(users) != 1 || users[0].Role != "admin" {
		t.Fatalf("ada, now an admin, lists = %+v %v", users, err)
	}
	if toks, err := admin.UserTokens(ctx, "ada"); err != nil || len(toks) != 1 || toks[0].ID != tok.ID {
		t.Fatalf("tokens = %+v %v", toks, err)
	}
	if err := admin.RevokeUserToken(ctx, "ada", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ada.Users(ctx); !client.IsCode(err, "bad_token") {
		t.Fatalf("a revoked token = %v; want bad_token", err)
	}
	if err := admin.DeleteUser(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteUser(ctx, "ada"); !client.IsCode(err, "unknown_user") {
		t.Fatalf("deleting twice = %v; want unknown_user", err)
	}
}
