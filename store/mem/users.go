package mem

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

// users holds accounts by name (live ones only: a deleted user is gone,
// and the tokens it leaves are marked revoked) and every token ever
// issued by id, so ids are never reused.
type users struct {
	byName  map[string]storage.User
	tokens  map[int64]tokenRec
	nextTok int64
}

// tokenRec is a token with whether it still authenticates.
type tokenRec struct {
	storage.UserToken
	revoked bool
}

func newUsers() users {
	return users{byName: map[string]storage.User{}, tokens: map[int64]tokenRec{}}
}

// UserInsert stores a new user; a live user of that name is a conflict.
func (s *Store) UserInsert(ctx context.Context, u *storage.User) (storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, fmt.Errorf("user insert: %w", err)
	}
	defer s.mu.Unlock()
	if _, ok := s.users.byName[u.Name]; ok {
		return storage.User{}, fmt.Errorf("user insert %s: %w", u.Name, storage.Conflict("exists", "a user named %q exists already; pick another name or change that user", u.Name))
	}
	out := *u
	out.CreatedAt, out.UpdatedAt = utc(u.CreatedAt), utc(u.CreatedAt)
	s.users.byName[u.Name] = out
	return out, nil
}

// UserGet returns the live user of that name.
func (s *Store) UserGet(ctx context.Context, name string) (storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, fmt.Errorf("user get: %w", err)
	}
	defer s.mu.Unlock()
	u, ok := s.users.byName[name]
	if !ok {
		return u, fmt.Errorf("user get: %w", storage.Missing("there is no user named %q", name))
	}
	return u, nil
}

// UserList returns the live users by name.
func (s *Store) UserList(ctx context.Context) ([]storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("user list: %w", err)
	}
	defer s.mu.Unlock()
	return slices.SortedFunc(maps.Values(s.users.byName), func(a, b storage.User) int {
		return strings.Compare(a.Name, b.Name)
	}), nil
}

// UserUpdate changes a live user's role and/or password hash.
func (s *Store) UserUpdate(ctx context.Context, p *storage.UserUpdateParams) (storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.User{}, fmt.Errorf("user update: %w", err)
	}
	defer s.mu.Unlock()
	u, ok := s.users.byName[p.Name]
	if !ok {
		return u, fmt.Errorf("user update: %w", storage.Missing("there is no user named %q", p.Name))
	}
	if p.Role != "" {
		u.Role = p.Role
	}
	if p.PasswordHash != "" {
		u.PasswordHash = p.PasswordHash
		maps.DeleteFunc(s.sessions, func(_ string, x storage.Session) bool { return x.User == p.Name })
	}
	u.UpdatedAt = utc(p.Now)
	s.users.byName[p.Name] = u
	return u, nil
}

// UserDelete deletes a live user with their tokens and sessions.
func (s *Store) UserDelete(ctx context.Context, name string, _ time.Time) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("user delete: %w", err)
	}
	defer s.mu.Unlock()
	if _, ok := s.users.byName[name]; !ok {
		return fmt.Errorf("user delete: %w", storage.Missing("there is no user named %q", name))
	}
	delete(s.users.byName, name)
	for id, t := range s.users.tokens {
		if t.User == name {
			t.revoked = true
			s.users.tokens[id] = t
		}
	}
	maps.DeleteFunc(s.sessions, func(_ string, x storage.Session) bool { return x.User == name })
	return nil
}

// UserTokenInsert stores a token's hash for a live user.
func (s *Store) UserTokenInsert(ctx context.Context, p *storage.UserTokenInsertParams) (storage.UserToken, error) {
	if err := s.lock(ctx); err != nil {
		return storage.UserToken{}, fmt.Errorf("user token insert: %w", err)
	}
	defer s.mu.Unlock()
	if _, ok := s.users.byName[p.User]; !ok {
		return storage.UserToken{}, fmt.Errorf("user token insert: %w", storage.Missing("there is no user named %q", p.User))
	}
	s.users.nextTok++
	t := storage.UserToken{ID: s.users.nextTok, User: p.User, Prefix: p.Prefix, Hash: slices.Clone(p.Hash), CreatedAt: utc(p.CreatedAt)}
	s.users.tokens[t.ID] = tokenRec{UserToken: t}
	t.Hash = nil
	return t, nil
}

// UserTokenList returns a live user's live tokens, newest first.
func (s *Store) UserTokenList(ctx context.Context, user string) ([]storage.UserToken, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("user token list: %w", err)
	}
	defer s.mu.Unlock()
	var out []storage.UserToken
	for _, t := range s.users.tokens {
		if t.User == user && !t.revoked {
			x := t.UserToken
			x.Hash = nil
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// UserTokenDelete revokes token id of user.
func (s *Store) UserTokenDelete(ctx context.Context, user string, id int64, _ time.Time) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("user token delete: %w", err)
	}
	defer s.mu.Unlock()
	t, ok := s.users.tokens[id]
	if !ok || t.revoked || t.User != user {
		return fmt.Errorf("user token delete: %w", storage.Missing("user %q has no token %d", user, id))
	}
	t.revoked = true
	s.users.tokens[id] = t
	return nil
}

// UserTokenLookup finds the live token with this hash and its live user.
func (s *Store) UserTokenLookup(ctx context.Context, hash []byte) (storage.UserToken, storage.User, error) {
	if err := s.lock(ctx); err != nil {
		return storage.UserToken{}, storage.User{}, fmt.Errorf("user token lookup: %w", err)
	}
	defer s.mu.Unlock()
	for _, t := range s.users.tokens {
		if !t.revoked && string(t.Hash) == string(hash) {
			x := t.UserToken
			x.Hash = nil
			return x, s.users.byName[t.User], nil
		}
	}
	return storage.UserToken{}, storage.User{}, fmt.Errorf("user token lookup: %w", storage.Missing("no token matches"))
}
