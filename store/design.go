package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// DesignLoad returns the live design, ordered by name (events by app and
// name, subscriptions by event and handling app).
func (s *Store) DesignLoad(ctx context.Context) (design.Design, error) {
	d, err := loadDesign(ctx, s.rdb)
	if err != nil {
		return design.Design{}, fmt.Errorf("design load: %w", err)
	}
	return d, nil
}

func loadDesign(ctx context.Context, q querier) (design.Design, error) {
	var d design.Design
	rows, err := q.QueryContext(ctx, `SELECT id, name, description, color, concurrency, endpoint, created_at, updated_at
		FROM apps WHERE deleted_at IS NULL ORDER BY name`)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var a design.App
		var created, updated int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Description, &a.Color, &a.Concurrency, &a.Endpoint, &created, &updated); err != nil {
			rows.Close()
			return d, err
		}
		a.CreatedAt, a.UpdatedAt = fromNanos(created), fromNanos(updated)
		d.Apps = append(d.Apps, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}

	rows, err = q.QueryContext(ctx, `SELECT e.id, e.app_id, a.name, e.name, e.public, e.description, e.parameters, e.created_at, e.updated_at
		FROM events e JOIN apps a ON a.id = e.app_id WHERE e.deleted_at IS NULL ORDER BY a.name, e.name`)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var e design.Event
		var params string
		var created, updated int64
		if err := rows.Scan(&e.ID, &e.AppID, &e.App, &e.Name, &e.Public, &e.Description, &params, &created, &updated); err != nil {
			rows.Close()
			return d, err
		}
		if err := json.Unmarshal([]byte(params), &e.Parameters); err != nil {
			rows.Close()
			return d, fmt.Errorf("event %d parameters: %w", e.ID, err)
		}
		if len(e.Parameters) == 0 {
			e.Parameters = nil
		}
		e.CreatedAt, e.UpdatedAt = fromNanos(created), fromNanos(updated)
		d.Events = append(d.Events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}

	rows, err = q.QueryContext(ctx, `SELECT s.id, s.app_id, s.event_id, a.name, ea.name, e.name, s.handler, s.filter, s.enabled, s.paused, s.created_at, s.updated_at
		FROM subscriptions s JOIN apps a ON a.id = s.app_id JOIN events e ON e.id = s.event_id JOIN apps ea ON ea.id = e.app_id
		WHERE s.deleted_at IS NULL ORDER BY ea.name, e.name, a.name`)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var x design.Subscription
		var handler string
		var created, updated int64
		if err := rows.Scan(&x.ID, &x.AppID, &x.EventID, &x.App, &x.Event.App, &x.Event.Event, &handler, &x.Filter, &x.Enabled, &x.Paused, &created, &updated); err != nil {
			rows.Close()
			return d, err
		}
		if err := json.Unmarshal([]byte(handler), &x.Handler); err != nil {
			rows.Close()
			return d, fmt.Errorf("subscription %d handler: %w", x.ID, err)
		}
		x.CreatedAt, x.UpdatedAt = fromNanos(created), fromNanos(updated)
		d.Subscriptions = append(d.Subscriptions, x)
	}
	rows.Close()
	return d, rows.Err()
}

// DesignApply applies p's ops in one transaction, in order, each seeing
// the ones before it, and returns the design after them. Besides the
// contract's uniqueness and name checks it refuses (fault.ErrConflict,
// code "in_use") to delete an app that still has live events or
// subscriptions, or an event that still has live subscriptions, so no
// live part points at a deleted one. Deleting an app revokes its keys.
func (s *Store) DesignApply(ctx context.Context, p *storage.DesignApplyParams) (design.Design, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		now := nanos(p.Now)
		if now == 0 {
			now = time.Now().UnixNano()
		}
		for i := range p.Ops {
			if err := w.designOp(&p.Ops[i], now); err != nil {
				return nil, err
			}
		}
		if p.Audit != nil {
			if _, err := w.insertAudit(p.Audit); err != nil {
				return nil, err
			}
		}
		if v := p.Version; v != nil {
			if _, err := w.exec(`INSERT INTO design_versions (at, actor, summary, document) VALUES (?, ?, ?, ?)`,
				v.At.UnixNano(), v.Actor, v.Summary, string(v.Document)); err != nil {
				return nil, err
			}
		}
		return loadDesign(w.ctx, w)
	})
	if err != nil {
		return design.Design{}, fmt.Errorf("design apply: %w", err)
	}
	return res.(design.Design), nil
}

// exists runs a query that selects at most one row and reports whether it did.
func (w *writer) exists(q string, args ...any) (bool, error) {
	var one int
	err := w.QueryRowContext(w.ctx, q, args...).Scan(&one)
	if notFound(err) {
		return false, nil
	}
	return err == nil, err
}

func (w *writer) appID(name string) (int64, error) {
	var id int64
	err := w.QueryRowContext(w.ctx, `SELECT id FROM apps WHERE name = ? AND deleted_at IS NULL`, name).Scan(&id)
	if notFound(err) {
		return 0, storage.Missing("there is no app named %q", name)
	}
	return id, err
}

func (w *writer) eventID(ref design.EventRef) (int64, error) {
	app, err := w.appID(ref.App)
	if err != nil {
		return 0, err
	}
	var id int64
	err = w.QueryRowContext(w.ctx, `SELECT id FROM events WHERE app_id = ? AND name = ? AND deleted_at IS NULL`, app, ref.Event).Scan(&id)
	if notFound(err) {
		return 0, storage.Missing("app %s has no event named %q", ref.App, ref.Event)
	}
	return id, err
}

// names lists the first column of a query's rows.
func (w *writer) names(q string, args ...any) ([]string, error) {
	rows, err := w.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// changed checks that an UPDATE touched a row.
func changed(r sql.Result, err error, notFoundErr error) error {
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFoundErr
	}
	return nil
}

func (w *writer) designOp(op *storage.DesignOp, now int64) error {
	switch op.Kind {
	case storage.AppPut:
		a := op.App
		if a == nil {
			return storage.EmptyOp("AppPut", "app")
		}
		taken, err := w.exists(`SELECT 1 FROM apps WHERE name = ? AND deleted_at IS NULL AND id <> ?`, a.Name, a.ID)
		if err != nil {
			return err
		}
		if taken {
			return storage.AppNameTaken(a.Name)
		}
		if a.ID == 0 {
			_, err := w.exec(`INSERT INTO apps (name, description, color, concurrency, endpoint, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Name, a.Description, a.Color, a.Concurrency, a.Endpoint, now, now)
			return err
		}
		r, err := w.exec(`UPDATE apps SET name = ?, description = ?, color = ?, concurrency = ?, endpoint = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`, a.Name, a.Description, a.Color, a.Concurrency, a.Endpoint, now, a.ID)
		return changed(r, err, storage.Missing("app %d does not exist", a.ID))

	case storage.AppDelete:
		ok, err := w.exists(`SELECT 1 FROM apps WHERE id = ? AND deleted_at IS NULL`, op.ID)
		if err != nil {
			return err
		}
		if !ok {
			return storage.Missing("app %d does not exist", op.ID)
		}
		refs, err := w.names(`SELECT name FROM events WHERE app_id = ? AND deleted_at IS NULL
			UNION ALL SELECT ea.name || '.' || e.name FROM subscriptions s JOIN events e ON e.id = s.event_id JOIN apps ea ON ea.id = e.app_id
			WHERE s.app_id = ? AND s.deleted_at IS NULL`, op.ID, op.ID)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return storage.AppInUse(op.ID, refs)
		}
		if _, err := w.exec(`UPDATE apps SET deleted_at = ?, updated_at = ? WHERE id = ?`, now, now, op.ID); err != nil {
			return err
		}
		_, err = w.exec(`UPDATE keys SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL`, now, op.ID)
		return err

	case storage.EventPut:
		e := op.Event
		if e == nil {
			return storage.EmptyOp("EventPut", "event")
		}
		app, err := w.appID(e.App)
		if err != nil {
			return err
		}
		taken, err := w.exists(`SELECT 1 FROM events WHERE app_id = ? AND name = ? AND deleted_at IS NULL AND id <> ?`, app, e.Name, e.ID)
		if err != nil {
			return err
		}
		if taken {
			return storage.EventNameTaken(e.App, e.Name)
		}
		params := []byte("[]")
		if len(e.Parameters) > 0 {
			if params, err = json.Marshal(e.Parameters); err != nil {
				return err
			}
		}
		if e.ID == 0 {
			_, err := w.exec(`INSERT INTO events (app_id, name, public, description, parameters, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, app, e.Name, e.Public, e.Description, string(params), now, now)
			return err
		}
		r, err := w.exec(`UPDATE events SET app_id = ?, name = ?, public = ?, description = ?, parameters = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`, app, e.Name, e.Public, e.Description, string(params), now, e.ID)
		return changed(r, err, storage.Missing("event %d does not exist", e.ID))

	case storage.EventDelete:
		ok, err := w.exists(`SELECT 1 FROM events WHERE id = ? AND deleted_at IS NULL`, op.ID)
		if err != nil {
			return err
		}
		if !ok {
			return storage.Missing("event %d does not exist", op.ID)
		}
		refs, err := w.names(`SELECT a.name FROM subscriptions s JOIN apps a ON a.id = s.app_id
			WHERE s.event_id = ? AND s.deleted_at IS NULL ORDER BY a.name`, op.ID)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return storage.EventInUse(op.ID, refs)
		}
		_, err = w.exec(`UPDATE events SET deleted_at = ?, updated_at = ? WHERE id = ?`, now, now, op.ID)
		return err

	case storage.SubscriptionPut:
		x := op.Subscription
		if x == nil {
			return storage.EmptyOp("SubscriptionPut", "subscription")
		}
		app, err := w.appID(x.App)
		if err != nil {
			return err
		}
		event, err := w.eventID(x.Event)
		if err != nil {
			return err
		}
		taken, err := w.exists(`SELECT 1 FROM subscriptions WHERE event_id = ? AND app_id = ? AND deleted_at IS NULL AND id <> ?`, event, app, x.ID)
		if err != nil {
			return err
		}
		if taken {
			return storage.AlreadyHandled(x.App, x.Event)
		}
		handler, err := json.Marshal(x.Handler)
		if err != nil {
			return err
		}
		if x.ID == 0 {
			_, err := w.exec(`INSERT INTO subscriptions (event_id, app_id, handler, filter, enabled, paused, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, event, app, string(handler), x.Filter, x.Enabled, x.Paused, now, now)
			return err
		}
		r, err := w.exec(`UPDATE subscriptions SET event_id = ?, app_id = ?, handler = ?, filter = ?, enabled = ?, paused = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`, event, app, string(handler), x.Filter, x.Enabled, x.Paused, now, x.ID)
		return changed(r, err, storage.Missing("subscription %d does not exist", x.ID))

	case storage.SubscriptionDelete:
		r, err := w.exec(`UPDATE subscriptions SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, now, now, op.ID)
		if err := changed(r, err, storage.Missing("subscription %d does not exist", op.ID)); err != nil {
			return err
		}
		return w.discardSubscription(op.ID, now)
	}
	return storage.UnknownOp(op.Kind)
}

// discardSubscriptionQuery discards subscription ?2's unfinished
// deliveries at ?1, finding them by the due index and the lease index
// (running deliveries are not in the partial deliveries_status), not by
// a scan of every delivery.
const discardSubscriptionQuery = `UPDATE deliveries SET status = 'discarded', lease_until = 0, updated_at = ?1
	WHERE id IN (SELECT id FROM deliveries WHERE subscription_id = ?2 AND status IN ('pending', 'retrying')
		UNION ALL SELECT id FROM deliveries WHERE status = 'running' AND subscription_id = ?2)
	RETURNING occurrence_id`

// discardSubscription discards the unfinished deliveries of a deleted
// subscription and settles their occurrences.
func (w *writer) discardSubscription(id, now int64) error {
	rows, err := w.query(discardSubscriptionQuery, now, id)
	if err != nil {
		return err
	}
	seen := make(map[int64]bool)
	var occs []int64
	for rows.Next() {
		var occ int64
		if err := rows.Scan(&occ); err != nil {
			rows.Close()
			return err
		}
		if !seen[occ] {
			seen[occ] = true
			occs = append(occs, occ)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, occ := range occs {
		if _, err := w.resettle(occ); err != nil {
			return err
		}
	}
	return nil
}

// KeyInsert stores an app key's hash; fault.ErrNotFound when the app does
// not exist, fault.ErrConflict when the hash is stored already.
func (s *Store) KeyInsert(ctx context.Context, p *storage.KeyInsertParams) (storage.Key, error) {
	res, err := s.do(ctx, func(w *writer) (any, error) {
		var app string
		err := w.QueryRowContext(w.ctx, `SELECT name FROM apps WHERE id = ? AND deleted_at IS NULL`, p.AppID).Scan(&app)
		if notFound(err) {
			return nil, storage.Missing("app %d does not exist", p.AppID)
		}
		if err != nil {
			return nil, err
		}
		dup, err := w.exists(`SELECT 1 FROM keys WHERE hash = ?`, p.Hash)
		if err != nil {
			return nil, err
		}
		if dup {
			return nil, storage.Conflict("exists", "a key with this hash exists already; generate another key")
		}
		k := storage.Key{AppID: p.AppID, App: app, Prefix: p.Prefix, Hash: p.Hash, CreatedAt: p.CreatedAt.UTC()}
		if p.CreatedAt.IsZero() {
			k.CreatedAt = time.Now().UTC()
		}
		err = w.QueryRowContext(w.ctx, `INSERT INTO keys (app_id, prefix, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			p.AppID, p.Prefix, p.Hash, k.CreatedAt.UnixNano()).Scan(&k.ID)
		return k, err
	})
	if err != nil {
		return storage.Key{}, fmt.Errorf("key insert for app %d: %w", p.AppID, err)
	}
	return res.(storage.Key), nil
}

const keyCols = `k.id, k.app_id, a.name, k.prefix, k.hash, k.created_at FROM keys k JOIN apps a ON a.id = k.app_id`

func scanKey(sc interface{ Scan(...any) error }) (storage.Key, error) {
	var k storage.Key
	var created int64
	err := sc.Scan(&k.ID, &k.AppID, &k.App, &k.Prefix, &k.Hash, &created)
	k.CreatedAt = fromNanos(created)
	return k, err
}

// KeyList returns an app's live keys, newest first, hashes left out;
// revoked keys are not listed.
func (s *Store) KeyList(ctx context.Context, appID int64) ([]storage.Key, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+keyCols+` WHERE k.app_id = ? AND k.revoked_at IS NULL ORDER BY k.id DESC`, appID)
	if err != nil {
		return nil, fmt.Errorf("key list for app %d: %w", appID, err)
	}
	defer rows.Close()
	var out []storage.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("key list for app %d: %w", appID, err)
		}
		k.Hash = nil
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("key list for app %d: %w", appID, err)
	}
	return out, nil
}

// KeyDelete revokes key id of app appID. The row stays, marked revoked_at,
// so its id is never given to a later key (migration 4).
func (s *Store) KeyDelete(ctx context.Context, appID, id int64) error {
	_, err := s.do(ctx, func(w *writer) (any, error) {
		r, err := w.exec(`UPDATE keys SET revoked_at = ? WHERE id = ? AND app_id = ? AND revoked_at IS NULL`, time.Now().UTC().UnixNano(), id, appID)
		return nil, changed(r, err, storage.Missing("app %d has no key %d", appID, id))
	})
	if err != nil {
		return fmt.Errorf("key delete: %w", err)
	}
	return nil
}

// KeyLookup finds the live key with this hash, of a live app; a revoked key
// is not found.
func (s *Store) KeyLookup(ctx context.Context, hash []byte) (storage.Key, error) {
	k, err := scanKey(s.rdb.QueryRowContext(ctx, `SELECT `+keyCols+` WHERE k.hash = ? AND k.revoked_at IS NULL AND a.deleted_at IS NULL`, hash))
	if notFound(err) {
		return storage.Key{}, fmt.Errorf("key lookup: %w", storage.Missing("no key matches"))
	}
	if err != nil {
		return storage.Key{}, fmt.Errorf("key lookup: %w", err)
	}
	return k, nil
}

// SettingGet returns a named setting.
func (s *Store) SettingGet(ctx context.Context, name string) (string, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if notFound(err) {
		return "", fmt.Errorf("setting %s: %w", name, storage.Missing("setting %q is not set", name))
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	return v, nil
}

// SettingPut stores a named setting, replacing any earlier value.
func (s *Store) SettingPut(ctx context.Context, name, value string) error {
	_, err := s.do(ctx, func(w *writer) (any, error) {
		_, err := w.exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("setting %s put: %w", name, err)
	}
	return nil
}
