package mem

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// DesignLoad returns the live design, ordered by name (events by app and
// name, subscriptions by event and handling app), as the SQLite backend
// orders it.
func (s *Store) DesignLoad(ctx context.Context) (design.Design, error) {
	if err := s.lock(ctx); err != nil {
		return design.Design{}, fmt.Errorf("design load: %w", err)
	}
	defer s.mu.Unlock()
	d, err := loadDesign(s.apps, s.events, s.subs)
	if err != nil {
		return design.Design{}, fmt.Errorf("design load: %w", err)
	}
	return d, nil
}

func loadDesign(apps map[int64]appRec, events map[int64]eventRec, subs map[int64]subRec) (design.Design, error) {
	var d design.Design
	for _, a := range apps {
		if !a.deleted {
			d.Apps = append(d.Apps, a.App)
		}
	}
	sort.Slice(d.Apps, func(i, j int) bool { return d.Apps[i].Name < d.Apps[j].Name })
	for _, e := range events {
		if e.deleted {
			continue
		}
		x := design.Event{ID: e.id, AppID: e.appID, App: apps[e.appID].Name, Name: e.name, Public: e.public,
			Description: e.description, CreatedAt: e.created, UpdatedAt: e.updated}
		if err := decode(e.params, &x.Parameters, fmt.Sprintf("event %d parameters", e.id)); err != nil {
			return design.Design{}, err
		}
		d.Events = append(d.Events, x)
	}
	sort.Slice(d.Events, func(i, j int) bool {
		a, b := d.Events[i], d.Events[j]
		if a.App != b.App {
			return a.App < b.App
		}
		return a.Name < b.Name
	})
	for _, x := range subs {
		if x.deleted {
			continue
		}
		e := events[x.eventID]
		sub := design.Subscription{ID: x.id, AppID: x.appID, EventID: x.eventID, App: apps[x.appID].Name,
			Event:  design.EventRef{App: apps[e.appID].Name, Event: e.name},
			Filter: x.filter, Enabled: x.enabled, Paused: x.paused, CreatedAt: x.created, UpdatedAt: x.updated}
		if err := decode(x.handler, &sub.Handler, fmt.Sprintf("subscription %d handler", x.id)); err != nil {
			return design.Design{}, err
		}
		d.Subscriptions = append(d.Subscriptions, sub)
	}
	sort.Slice(d.Subscriptions, func(i, j int) bool {
		a, b := d.Subscriptions[i], d.Subscriptions[j]
		if a.Event.App != b.Event.App {
			return a.Event.App < b.Event.App
		}
		if a.Event.Event != b.Event.Event {
			return a.Event.Event < b.Event.Event
		}
		return a.App < b.App
	})
	return d, nil
}

// draft is a design apply in progress: copies of the design's maps the
// ops change, swapped in only when every op succeeded, so a refused apply
// changes nothing.
type draft struct {
	apps     map[int64]appRec
	events   map[int64]eventRec
	subs     map[int64]subRec
	nextID   int64
	deadApps []int64
	deadSubs []int64
}

// DesignApply applies p's ops in order, each seeing the ones before it,
// all or nothing, and returns the design after them. Like the SQLite
// backend it refuses (fault.ErrConflict, code "in_use") to delete an app
// that still has live events or subscriptions, or an event that still has
// live subscriptions, and deleting an app revokes its keys.
func (s *Store) DesignApply(ctx context.Context, p *storage.DesignApplyParams) (design.Design, error) {
	if err := s.lock(ctx); err != nil {
		return design.Design{}, fmt.Errorf("design apply: %w", err)
	}
	defer s.mu.Unlock()
	w := &draft{apps: maps.Clone(s.apps), events: maps.Clone(s.events), subs: maps.Clone(s.subs), nextID: s.nextID}
	now := utc(p.Now)
	for i := range p.Ops {
		if err := w.op(&p.Ops[i], now); err != nil {
			return design.Design{}, fmt.Errorf("design apply: %w", err)
		}
	}
	d, err := loadDesign(w.apps, w.events, w.subs)
	if err != nil {
		return design.Design{}, fmt.Errorf("design apply: %w", err)
	}
	s.apps, s.events, s.subs, s.nextID = w.apps, w.events, w.subs, w.nextID
	if p.Audit != nil { // with the change it records, in the same step
		s.appendAudit(p.Audit)
	}
	if p.Version != nil {
		v := *p.Version
		v.Version = int64(len(s.versions) + 1)
		v.At = v.At.UTC()
		v.Document = append(json.RawMessage(nil), v.Document...)
		s.versions = append(s.versions, v)
	}
	for _, app := range w.deadApps {
		for id, k := range s.keys {
			if k.AppID == app {
				delete(s.keys, id)
			}
		}
	}
	for _, sub := range w.deadSubs {
		s.discardSubscription(sub, now)
	}
	return d, nil
}

func (w *draft) appID(name string) (int64, error) {
	for id, a := range w.apps {
		if !a.deleted && a.Name == name {
			return id, nil
		}
	}
	return 0, storage.Missing("there is no app named %q", name)
}

func (w *draft) eventID(ref design.EventRef) (int64, error) {
	app, err := w.appID(ref.App)
	if err != nil {
		return 0, err
	}
	for id, e := range w.events {
		if !e.deleted && e.appID == app && e.name == ref.Event {
			return id, nil
		}
	}
	return 0, storage.Missing("app %s has no event named %q", ref.App, ref.Event)
}

func (w *draft) op(op *storage.DesignOp, now time.Time) error {
	switch op.Kind {
	case storage.AppPut:
		a := op.App
		if a == nil {
			return storage.EmptyOp("AppPut", "app")
		}
		for id, x := range w.apps {
			if !x.deleted && x.Name == a.Name && id != a.ID {
				return storage.AppNameTaken(a.Name)
			}
		}
		rec := appRec{App: design.App{Name: a.Name, Description: a.Description, Color: a.Color,
			Concurrency: a.Concurrency, Endpoint: a.Endpoint, UpdatedAt: now}}
		if a.ID == 0 {
			w.nextID++
			rec.ID, rec.CreatedAt = w.nextID, now
		} else {
			old, ok := w.apps[a.ID]
			if !ok || old.deleted {
				return storage.Missing("app %d does not exist", a.ID)
			}
			rec.ID, rec.CreatedAt = a.ID, old.CreatedAt
		}
		w.apps[rec.ID] = rec
		return nil

	case storage.AppDelete:
		a, ok := w.apps[op.ID]
		if !ok || a.deleted {
			return storage.Missing("app %d does not exist", op.ID)
		}
		var events, handled []string
		for _, e := range w.events {
			if !e.deleted && e.appID == op.ID {
				events = append(events, e.name)
			}
		}
		for _, x := range w.subs {
			if !x.deleted && x.appID == op.ID {
				e := w.events[x.eventID]
				handled = append(handled, w.apps[e.appID].Name+"."+e.name)
			}
		}
		if refs := append(sortStrings(events), sortStrings(handled)...); len(refs) > 0 {
			return storage.AppInUse(op.ID, refs)
		}
		a.deleted, a.UpdatedAt = true, now
		w.apps[op.ID] = a
		w.deadApps = append(w.deadApps, op.ID)
		return nil

	case storage.EventPut:
		e := op.Event
		if e == nil {
			return storage.EmptyOp("EventPut", "event")
		}
		app, err := w.appID(e.App)
		if err != nil {
			return err
		}
		for id, x := range w.events {
			if !x.deleted && x.appID == app && x.name == e.Name && id != e.ID {
				return storage.EventNameTaken(e.App, e.Name)
			}
		}
		rec := eventRec{appID: app, name: e.Name, public: e.Public, description: e.Description, updated: now}
		if len(e.Parameters) > 0 {
			if rec.params, err = json.Marshal(e.Parameters); err != nil {
				return fmt.Errorf("encode event %s parameters: %w", e.Name, err)
			}
		}
		if e.ID == 0 {
			w.nextID++
			rec.id, rec.created = w.nextID, now
		} else {
			old, ok := w.events[e.ID]
			if !ok || old.deleted {
				return storage.Missing("event %d does not exist", e.ID)
			}
			rec.id, rec.created = e.ID, old.created
		}
		w.events[rec.id] = rec
		return nil

	case storage.EventDelete:
		e, ok := w.events[op.ID]
		if !ok || e.deleted {
			return storage.Missing("event %d does not exist", op.ID)
		}
		var refs []string
		for _, x := range w.subs {
			if !x.deleted && x.eventID == op.ID {
				refs = append(refs, w.apps[x.appID].Name)
			}
		}
		if len(refs) > 0 {
			return storage.EventInUse(op.ID, sortStrings(refs))
		}
		e.deleted, e.updated = true, now
		w.events[op.ID] = e
		return nil

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
		for id, y := range w.subs {
			if !y.deleted && y.eventID == event && y.appID == app && id != x.ID {
				return storage.AlreadyHandled(x.App, x.Event)
			}
		}
		handler, err := json.Marshal(x.Handler)
		if err != nil {
			return fmt.Errorf("encode the handler of %s for %s: %w", x.App, x.Event, err)
		}
		rec := subRec{appID: app, eventID: event, handler: handler, filter: x.Filter, enabled: x.Enabled, paused: x.Paused, updated: now}
		if x.ID == 0 {
			w.nextID++
			rec.id, rec.created = w.nextID, now
		} else {
			old, ok := w.subs[x.ID]
			if !ok || old.deleted {
				return storage.Missing("subscription %d does not exist", x.ID)
			}
			rec.id, rec.created = x.ID, old.created
		}
		w.subs[rec.id] = rec
		return nil

	case storage.SubscriptionDelete:
		x, ok := w.subs[op.ID]
		if !ok || x.deleted {
			return storage.Missing("subscription %d does not exist", op.ID)
		}
		x.deleted, x.updated = true, now
		w.subs[op.ID] = x
		w.deadSubs = append(w.deadSubs, op.ID)
		return nil
	}
	return storage.UnknownOp(op.Kind)
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}

// discardSubscription discards the unfinished deliveries of a deleted
// subscription and settles their occurrences.
func (s *Store) discardSubscription(sub int64, now time.Time) {
	var ids []int64
	for id := range s.waiting[sub] {
		ids = append(ids, id)
	}
	for id := range s.running {
		if s.dels[id-1].d.SubscriptionID == sub {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		r := s.dels[id-1]
		s.setStatus(r, delivery.Discarded)
		r.d.UpdatedAt = now
		s.settle(r.d.OccurrenceID)
	}
}
