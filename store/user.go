package store

import (
	"context"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/storage"
)

const userCols = `name, role, password_hash, created_at, updated_at FROM users`

func scanUser(r interface{ Scan(...any) error }) (storage.User, error) {
	var u storage.User
	var created, updated int64
	if err := r.Scan(&u.Name, &u.Role, &u.PasswordHash, &created, &updated); err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	return u, nil
}

// UserInsert stores a new user; a live user of that name is a conflict.
func (s *Store) UserInsert(ctx context.Context, u *storage.User) (storage.User, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		dup, err := w.exists(`SELECT 1 FROM users WHERE name = ? AND deleted_at IS NULL`, u.Name)
		if err != nil {
			return nil, err
		}
		if dup {
			return nil, storage.Conflict("exists", "a user named %q exists already; pick another name or change that user", u.Name)
		}
		out := *u
		out.CreatedAt, out.UpdatedAt = u.CreatedAt.UTC(), u.CreatedAt.UTC()
		_, err = w.exec(`INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			u.Name, u.Role, u.PasswordHash, out.CreatedAt.UnixNano(), out.UpdatedAt.UnixNano())
		return out, err
	})
	if err != nil {
		return storage.User{}, fmt.Errorf("user insert %s: %w", u.Name, err)
	}
	return res.(storage.User), nil
}

// UserGet returns the live user of that name.
func (s *Store) UserGet(ctx context.Context, name string) (storage.User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` WHERE name = ? AND deleted_at IS NULL`, name))
	if notFound(err) {
		return u, fmt.Errorf("user get: %w", storage.Missing("there is no user named %q", name))
	}
	if err != nil {
		return u, fmt.Errorf("user get %s: %w", name, err)
	}
	return u, nil
}

// UserList returns the live users by name.
func (s *Store) UserList(ctx context.Context) ([]storage.User, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userCols+` WHERE deleted_at IS NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("user list: %w", err)
	}
	defer rows.Close()
	var out []storage.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("user list: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("user list: %w", err)
	}
	return out, nil
}

// UserUpdate changes a live user's role and/or password hash.
func (s *Store) UserUpdate(ctx context.Context, p *storage.UserUpdateParams) (storage.User, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		r, err := w.exec(`UPDATE users SET role = CASE WHEN ? = '' THEN role ELSE ? END,
			password_hash = CASE WHEN ? = '' THEN password_hash ELSE ? END, updated_at = ?
			WHERE name = ? AND deleted_at IS NULL`,
			p.Role, p.Role, p.PasswordHash, p.PasswordHash, p.Now.UnixNano(), p.Name)
		if err := changed(r, err, storage.Missing("there is no user named %q", p.Name)); err != nil {
			return nil, err
		}
		if p.PasswordHash != "" {
			if _, err := w.exec(`DELETE FROM sessions WHERE user = ?`, p.Name); err != nil {
				return nil, err
			}
		}
		return scanUser(w.QueryRowContext(w.ctx, `SELECT `+userCols+` WHERE name = ? AND deleted_at IS NULL`, p.Name))
	})
	if err != nil {
		return storage.User{}, fmt.Errorf("user update %s: %w", p.Name, err)
	}
	return res.(storage.User), nil
}

// UserDelete deletes a live user with their tokens and sessions.
func (s *Store) UserDelete(ctx context.Context, name string, now time.Time) error {
	_, err := s.do(ctx, func(w *writer) (any, error) {
		var id int64
		err := w.QueryRowContext(w.ctx, `SELECT id FROM users WHERE name = ? AND deleted_at IS NULL`, name).Scan(&id)
		if notFound(err) {
			return nil, storage.Missing("there is no user named %q", name)
		}
		if err != nil {
			return nil, err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE users SET deleted_at = ? WHERE id = ?`, []any{now.UnixNano(), id}},
			{`UPDATE user_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, []any{now.UnixNano(), id}},
			{`DELETE FROM sessions WHERE user = ?`, []any{name}},
		} {
			if _, err := w.exec(q.sql, q.args...); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("user delete %s: %w", name, err)
	}
	return nil
}

// UserTokenInsert stores a token's hash for a live user.
func (s *Store) UserTokenInsert(ctx context.Context, p *storage.UserTokenInsertParams) (storage.UserToken, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		var uid int64
		err := w.QueryRowContext(w.ctx, `SELECT id FROM users WHERE name = ? AND deleted_at IS NULL`, p.User).Scan(&uid)
		if notFound(err) {
			return nil, storage.Missing("there is no user named %q", p.User)
		}
		if err != nil {
			return nil, err
		}
		t := storage.UserToken{User: p.User, Prefix: p.Prefix, CreatedAt: p.CreatedAt.UTC()}
		err = w.QueryRowContext(w.ctx, `INSERT INTO user_tokens (user_id, prefix, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			uid, p.Prefix, p.Hash, t.CreatedAt.UnixNano()).Scan(&t.ID)
		return t, err
	})
	if err != nil {
		return storage.UserToken{}, fmt.Errorf("user token insert for %s: %w", p.User, err)
	}
	return res.(storage.UserToken), nil
}

const userTokenCols = `t.id, u.name, t.prefix, t.created_at FROM user_tokens t JOIN users u ON u.id = t.user_id`

func scanUserToken(r interface{ Scan(...any) error }) (storage.UserToken, error) {
	var t storage.UserToken
	var created int64
	err := r.Scan(&t.ID, &t.User, &t.Prefix, &created)
	t.CreatedAt = time.Unix(0, created).UTC()
	return t, err
}

// UserTokenList returns a live user's live tokens, newest first.
func (s *Store) UserTokenList(ctx context.Context, user string) ([]storage.UserToken, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userTokenCols+` WHERE u.name = ? AND u.deleted_at IS NULL AND t.revoked_at IS NULL ORDER BY t.id DESC`, user)
	if err != nil {
		return nil, fmt.Errorf("user token list for %s: %w", user, err)
	}
	defer rows.Close()
	var out []storage.UserToken
	for rows.Next() {
		t, err := scanUserToken(rows)
		if err != nil {
			return nil, fmt.Errorf("user token list for %s: %w", user, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("user token list for %s: %w", user, err)
	}
	return out, nil
}

// UserTokenDelete revokes token id of user; the row stays so its id is
// never reused.
func (s *Store) UserTokenDelete(ctx context.Context, user string, id int64, now time.Time) error {
	_, err := s.do(ctx, func(w *writer) (any, error) {
		r, err := w.exec(`UPDATE user_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL
			AND user_id = (SELECT id FROM users WHERE name = ? AND deleted_at IS NULL)`, now.UnixNano(), id, user)
		return nil, changed(r, err, storage.Missing("user %q has no token %d", user, id))
	})
	if err != nil {
		return fmt.Errorf("user token delete: %w", err)
	}
	return nil
}

// UserTokenLookup finds the live token with this hash and its live user.
func (s *Store) UserTokenLookup(ctx context.Context, hash []byte) (storage.UserToken, storage.User, error) {
	var t storage.UserToken
	var u storage.User
	var tCreated, uCreated, uUpdated int64
	err := s.rdb.QueryRowContext(ctx, `SELECT t.id, t.prefix, t.created_at, u.name, u.role, u.password_hash, u.created_at, u.updated_at
		FROM user_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND t.revoked_at IS NULL AND u.deleted_at IS NULL`, hash).
		Scan(&t.ID, &t.Prefix, &tCreated, &u.Name, &u.Role, &u.PasswordHash, &uCreated, &uUpdated)
	if notFound(err) {
		return t, u, fmt.Errorf("user token lookup: %w", storage.Missing("no token matches"))
	}
	if err != nil {
		return t, u, fmt.Errorf("user token lookup: %w", err)
	}
	t.User, t.CreatedAt = u.Name, time.Unix(0, tCreated).UTC()
	u.CreatedAt, u.UpdatedAt = time.Unix(0, uCreated).UTC(), time.Unix(0, uUpdated).UTC()
	return t, u, nil
}
