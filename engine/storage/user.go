package storage

import (
	"context"
	"time"
)

// Users is the part of the seam that keeps console accounts and their API
// tokens. Names are unique among live users; a deleted user's tokens and
// sessions die with it, and a later user of the same name inherits
// neither. Roles are stored as the engine names them: the backend does
// not interpret them.
type Users interface {
	// UserInsert stores a new user; fault.ErrConflict when a live user
	// has that name.
	UserInsert(ctx context.Context, u *User) (User, error)
	// UserGet returns the live user of that name; fault.ErrNotFound when
	// none.
	UserGet(ctx context.Context, name string) (User, error)
	// UserList returns every live user, ordered by name.
	UserList(ctx context.Context) ([]User, error)
	// UserUpdate changes a live user's role and/or password hash (empty
	// fields are left as they are) and returns it; a new password hash
	// also ends every session signed in as the user (whoever knew the old
	// password is signed out). fault.ErrNotFound when there is no such
	// user.
	UserUpdate(ctx context.Context, p *UserUpdateParams) (User, error)
	// UserDelete deletes a live user, revokes every token of theirs and
	// ends every session signed in as them, in one transaction;
	// fault.ErrNotFound when there is no such user.
	UserDelete(ctx context.Context, name string, now time.Time) error

	// UserTokenInsert stores a token's hash for a live user;
	// fault.ErrNotFound when there is no such user.
	UserTokenInsert(ctx context.Context, p *UserTokenInsertParams) (UserToken, error)
	// UserTokenList returns a live user's live tokens (hashes left out),
	// newest first.
	UserTokenList(ctx context.Context, user string) ([]UserToken, error)
	// UserTokenDelete revokes token id of user; fault.ErrNotFound when
	// absent, revoked already or another user's. Ids are never reused.
	UserTokenDelete(ctx context.Context, user string, id int64, now time.Time) error
	// UserTokenLookup finds the live token with this hash and the live
	// user it belongs to; fault.ErrNotFound when none.
	UserTokenLookup(ctx context.Context, hash []byte) (UserToken, User, error)
}

// User is a person who signs in to the console. PasswordHash is the
// argon2id hash the engine made; it never leaves the server.
type User struct {
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// UserUpdateParams changes a user; an empty Role or PasswordHash keeps
// the current one.
type UserUpdateParams struct {
	Name         string
	Role         string
	PasswordHash string
	Now          time.Time
}

// UserToken is a user's API token, stored as a SHA-256 hash: the clear
// token is shown once at creation.
type UserToken struct {
	ID        int64     `json:"id"`
	User      string    `json:"user"`
	Prefix    string    `json:"prefix"`
	Hash      []byte    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// UserTokenInsertParams is a new token for a user.
type UserTokenInsertParams struct {
	User string
	// Prefix is the first characters of the clear token, shown to tell
	// tokens apart.
	Prefix    string
	Hash      []byte
	CreatedAt time.Time
}
