package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// User is an account as the server lists it (never its password).
type User struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// UserToken is a user's API token as listed: its id and public prefix.
type UserToken struct {
	ID        int64     `json:"id"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"createdAt"`
}

// NewUserToken is a token just created; Token is the clear token, which
// the server answers this once.
type NewUserToken struct {
	UserToken
	Token string `json:"token"`
}

// UserChange changes an account; an empty field keeps what it is.
type UserChange struct {
	Role     string `json:"role,omitempty"`
	Password string `json:"password,omitempty"`
}

// The account calls need a client holding the admin token or an admin
// user's token; any other is refused with a 403 *Error naming the role.

// CreateUser adds an account with a role and a password.
func (c *Client) CreateUser(ctx context.Context, name, role, password string) (User, error) {
	var u User
	return u, c.doJSON(ctx, http.MethodPost, "/api/v1/users", map[string]string{"name": name, "role": role, "password": password}, &u)
}

// Users lists the accounts by name.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var out struct {
		Items []User `json:"items"`
	}
	return out.Items, c.doJSON(ctx, http.MethodGet, "/api/v1/users", nil, &out)
}

// UpdateUser changes an account's role and/or password.
func (c *Client) UpdateUser(ctx context.Context, name string, ch UserChange) (User, error) {
	var u User
	return u, c.doJSON(ctx, http.MethodPatch, "/api/v1/users/"+url.PathEscape(name), ch, &u)
}

// DeleteUser deletes an account; its sessions and tokens end at once.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.doJSON(ctx, http.MethodDelete, "/api/v1/users/"+url.PathEscape(name), nil, nil)
}

// CreateUserToken makes an API token acting as the user, with the user's
// role.
func (c *Client) CreateUserToken(ctx context.Context, name string) (NewUserToken, error) {
	var t NewUserToken
	return t, c.doJSON(ctx, http.MethodPost, "/api/v1/users/"+url.PathEscape(name)+"/tokens", nil, &t)
}

// UserTokens lists a user's live tokens, newest first.
func (c *Client) UserTokens(ctx context.Context, name string) ([]UserToken, error) {
	var out struct {
		Items []UserToken `json:"items"`
	}
	return out.Items, c.doJSON(ctx, http.MethodGet, "/api/v1/users/"+url.PathEscape(name)+"/tokens", nil, &out)
}

// RevokeUserToken revokes token id of a user.
func (c *Client) RevokeUserToken(ctx context.Context, name string, id int64) error {
	return c.doJSON(ctx, http.MethodDelete, fmt.Sprintf("/api/v1/users/%s/tokens/%d", url.PathEscape(name), id), nil, nil)
}

// doJSON sends in (when not nil) and decodes a 2xx answer into out (when
// not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	b, err := c.Do(ctx, method, path, "", in)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}
