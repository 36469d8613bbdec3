package engine

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// userTokenPrefix starts every user API token, so one is told from an app
// key (elk_), a session (els_) or the admin token at a glance, and secret
// scanners recognise a leaked one.
const userTokenPrefix = "elu_"

// Password bounds: 12 characters is the shortest that resists guessing
// offline once hashed with argon2id; 1,024 bounds the work one sign-in
// can ask argon2id to do.
const (
	MinPasswordChars = 12
	maxPasswordBytes = 1024
)

// userNameRE is what a user name may be: a login name or an e-mail
// address, 1 to 64 characters, starting with a letter or digit.
var userNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// NewUser is an account to create.
type NewUser struct {
	Name, Role, Password string
}

// UserChange changes an account; an empty field keeps what it is.
type UserChange struct {
	Role, Password string
}

// NewUserToken is a user API token just created: Clear is the token,
// shown once and never stored.
type NewUserToken struct {
	storage.UserToken
	Clear string `json:"token"`
}

func checkUserName(name string) error {
	if !userNameRE.MatchString(name) {
		return &fault.Error{Kind: fault.ErrInvalid, Code: "invalid_name", Field: "name",
			Message: fmt.Sprintf("%q is not a user name: use 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit (for example ada or ada@example.com)", name)}
	}
	return nil
}

func checkPassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPasswordChars {
		return &fault.Error{Kind: fault.ErrInvalid, Code: "password_too_short", Field: "password",
			Message: fmt.Sprintf("the password has %d characters; use at least %d (a few unrelated words make a good one)", n, MinPasswordChars)}
	}
	if len(pw) > maxPasswordBytes {
		return &fault.Error{Kind: fault.ErrInvalid, Code: "password_too_long", Field: "password",
			Message: fmt.Sprintf("the password is %d bytes long; use at most %d", len(pw), maxPasswordBytes)}
	}
	return nil
}

// CreateUser adds a console account with a role and a password (stored
// as argon2id); the change is audited.
func (e *Engine) CreateUser(ctx context.Context, u NewUser) (storage.User, error) {
	role, roleErr := ParseRole(u.Role)
	var refusals fault.List
	for _, err := range []error{checkUserName(u.Name), roleErr, checkPassword(u.Password)} {
		refusals = append(refusals, fault.All(err)...)
	}
	if err := refusals.Err(); err != nil {
		return storage.User{}, err
	}
	hash, err := hashSecret(u.Password, e.cfg.AdminTokenMemoryKiB)
	if err != nil {
		return storage.User{}, fmt.Errorf("create user %s: %w", u.Name, err)
	}
	out, err := e.st.UserInsert(ctx, &storage.User{Name: u.Name, Role: string(role), PasswordHash: hash, CreatedAt: e.clk.Now()})
	if err != nil {
		return storage.User{}, fmt.Errorf("create user %s: %w", u.Name, err)
	}
	return out, e.audit(ctx, "user.create", u.Name, map[string]any{"role": role})
}

// Users lists the accounts by name.
func (e *Engine) Users(ctx context.Context) ([]storage.User, error) {
	out, err := e.st.UserList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// User returns one account; fault.ErrNotFound when there is none.
func (e *Engine) User(ctx context.Context, name string) (storage.User, error) {
	u, err := e.st.UserGet(ctx, name)
	if err != nil {
		return u, unknownUser(name, err)
	}
	return u, nil
}

// unknownUser turns a storage not-found into the refusal users see.
func unknownUser(name string, err error) error {
	if errors.Is(err, fault.ErrNotFound) {
		return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_user", Field: "name",
			Message: fmt.Sprintf("there is no user named %q; list the users to check the name", name)}
	}
	return fmt.Errorf("user %s: %w", name, err)
}

// UpdateUser changes an account's role and/or password; a role change
// applies at the user's next request, since sessions and tokens read the
// role each time, and a new password ends the user's console sessions
// (API tokens stay: revoke them apart). The change is audited (never the
// password).
func (e *Engine) UpdateUser(ctx context.Context, name string, c UserChange) (storage.User, error) {
	if c.Role == "" && c.Password == "" {
		return storage.User{}, &fault.Error{Kind: fault.ErrInvalid, Code: "nothing_to_change",
			Message: "send a new role, a new password or both"}
	}
	p := &storage.UserUpdateParams{Name: name, Now: e.clk.Now()}
	detail := map[string]any{}
	if c.Role != "" {
		role, err := ParseRole(c.Role)
		if err != nil {
			return storage.User{}, err
		}
		p.Role, detail["role"] = string(role), role
	}
	if c.Password != "" {
		if err := checkPassword(c.Password); err != nil {
			return storage.User{}, err
		}
		hash, err := hashSecret(c.Password, e.cfg.AdminTokenMemoryKiB)
		if err != nil {
			return storage.User{}, fmt.Errorf("update user %s: %w", name, err)
		}
		p.PasswordHash, detail["password"] = hash, "changed"
	}
	u, err := e.st.UserUpdate(ctx, p)
	if err != nil {
		return u, unknownUser(name, err)
	}
	return u, e.audit(ctx, "user.update", name, detail)
}

// DeleteUser deletes an account, revoking its tokens and ending its
// sessions at once; the change is audited.
func (e *Engine) DeleteUser(ctx context.Context, name string) error {
	if err := e.st.UserDelete(ctx, name, e.clk.Now()); err != nil {
		return unknownUser(name, err)
	}
	return e.audit(ctx, "user.delete", name, map[string]any{})
}

// CreateUserToken makes a REST API token acting as the user, with the
// user's role (read at each use). Tokens are 256-bit random, so a plain
// SHA-256 is a safe thing to store.
func (e *Engine) CreateUserToken(ctx context.Context, name string) (NewUserToken, error) {
	clear, err := randomToken(userTokenPrefix)
	if err != nil {
		return NewUserToken{}, err
	}
	sum := sha256.Sum256([]byte(clear))
	t, err := e.st.UserTokenInsert(ctx, &storage.UserTokenInsertParams{User: name, Prefix: clear[:len(userTokenPrefix)+6], Hash: sum[:], CreatedAt: e.clk.Now()})
	if err != nil {
		return NewUserToken{}, unknownUser(name, err)
	}
	if err := e.audit(ctx, "user.token.create", name, map[string]any{"id": t.ID, "prefix": t.Prefix}); err != nil {
		return NewUserToken{}, err
	}
	return NewUserToken{UserToken: t, Clear: clear}, nil
}

// UserTokens lists a user's live tokens (never their clear values),
// newest first.
func (e *Engine) UserTokens(ctx context.Context, name string) ([]storage.UserToken, error) {
	if _, err := e.User(ctx, name); err != nil {
		return nil, err
	}
	out, err := e.st.UserTokenList(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", name, err)
	}
	return out, nil
}

// RevokeUserToken revokes token id of a user; fault.ErrNotFound when the
// user has no such live token.
func (e *Engine) RevokeUserToken(ctx context.Context, name string, id int64) error {
	if _, err := e.User(ctx, name); err != nil {
		return err
	}
	if err := e.st.UserTokenDelete(ctx, name, id, e.clk.Now()); err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			return &fault.Error{Kind: fault.ErrNotFound, Code: "unknown_token",
				Message: fmt.Sprintf("user %s has no live token %d; list the user's tokens to see their ids", name, id)}
		}
		return fmt.Errorf("revoke token %d of %s: %w", id, name, err)
	}
	return e.audit(ctx, "user.token.revoke", name, map[string]any{"id": id})
}

// errBadSignIn is every failed sign-in by name, whether the name or the
// password was wrong, so a guesser does not learn which names exist.
var errBadSignIn = &fault.Error{Kind: fault.ErrUnauthorized, Code: "bad_sign_in",
	Message: "that name and password do not match an account; check both, or ask an admin to set a new password"}

// SignIn checks a user's password and returns the account;
// fault.ErrUnauthorized when the name or the password is wrong. An
// unknown name costs the same argon2id check as a known one, so the time
// a refusal takes does not tell which names exist.
func (e *Engine) SignIn(ctx context.Context, name, password string) (storage.User, error) {
	if len(password) > maxPasswordBytes {
		return storage.User{}, errBadSignIn
	}
	u, err := e.st.UserGet(ctx, name)
	stored := u.PasswordHash
	switch {
	case errors.Is(err, fault.ErrNotFound):
		stored = e.decoyHash()
	case err != nil:
		return storage.User{}, fmt.Errorf("sign in %s: %w", name, err)
	}
	ok, err := e.matchSecret(ctx, password, stored)
	if err != nil {
		return storage.User{}, fmt.Errorf("sign in %s: %w", name, err)
	}
	if !ok || u.Name == "" {
		return storage.User{}, errBadSignIn
	}
	return u, nil
}

// decoyHash is a well-formed argon2id hash no password matches (its key
// is all zeros), at the configured cost.
func (e *Engine) decoyHash() string {
	zero := base64.RawStdEncoding.EncodeToString(make([]byte, argonKeyLen))
	salt := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	return fmt.Sprintf("%sv=19$m=%d,t=%d,p=%d$%s$%s", argonPrefix, e.cfg.AdminTokenMemoryKiB, argonTime, argonThreads, salt, zero)
}

// TokenUser returns the account a user API token acts for;
// fault.ErrUnauthorized when the token is unknown, revoked or its user
// deleted.
func (e *Engine) TokenUser(ctx context.Context, clear string) (storage.User, error) {
	refused := &fault.Error{Kind: fault.ErrUnauthorized, Code: "bad_token",
		Message: "the user token is not valid (revoked, its user deleted, or mistyped); an admin can create a new one"}
	if !strings.HasPrefix(clear, userTokenPrefix) {
		return storage.User{}, refused
	}
	sum := sha256.Sum256([]byte(clear))
	_, u, err := e.st.UserTokenLookup(ctx, sum[:])
	if errors.Is(err, fault.ErrNotFound) {
		return storage.User{}, refused
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("check user token: %w", err)
	}
	return u, nil
}
