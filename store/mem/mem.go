// Package mem is an in-memory implementation of the engine's storage seam
// (storage.Storage): everything lives in maps guarded by one mutex and is
// gone when the process ends. It is the backend of the engine's own tests
// (fast, no files, no driver) and the second reference the conformance
// suite (engine/storage/storagetest) checks the contract against, so a
// semantic that only SQLite happens to give shows up as a failing
// subtest here.
//
// mem imports only engine packages and the standard library; it never
// reads a clock: every time it stores comes in the params. Nothing is ever
// evicted, so it suits tests and short demos, not a long-running server.
package mem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/eventloom/eventloom/engine/delivery"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/storage"
)

// errClosed is returned by every method called after Close.
var errClosed = errors.New("the in-memory store is closed; open a new one with mem.New")

// Page sizes of the list queries, as in the SQLite backend.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// claimToken is the token of deliveries created claimed (the contract's
// "claim token 1"); DeliveryClaim hands out tokens above it.
const claimToken = 1

type appRec struct {
	design.App
	deleted bool
}

type eventRec struct {
	id, appID   int64
	name        string
	public      bool
	description string
	// params is the parameters as JSON (nil for none), so a load hands
	// out a fresh copy a caller may change freely.
	params           []byte
	created, updated time.Time
	deleted          bool
}

type subRec struct {
	id, appID, eventID int64
	// handler is the handler as JSON, for the same reason as params.
	handler          []byte
	filter           string
	enabled, paused  bool
	created, updated time.Time
	deleted          bool
}

// occRec is one occurrence; its deliveries' ids in id order.
type occRec struct {
	o    delivery.Occurrence
	dels []int64
	// params is the payload search index of the occurrence's parameters.
	params []storage.ParamEntry
}

// delRec is one delivery with what the contract keeps beside it.
type delRec struct {
	d          delivery.Delivery
	token      int64
	leaseUntil time.Time
	attempts   []delivery.Attempt
}

// Store is the in-memory backend. The zero value is not usable; call New.
//
// One mutex guards everything: every method is a short walk over maps, so
// holding it for a whole method costs little, and it makes each method
// one atomic step for free: the queue cap's check-and-insert, exclusive
// claims, the lease check of a completion with its triggered inserts, and
// the all-or-nothing design apply.
type Store struct {
	mu     sync.Mutex
	closed bool

	apps   map[int64]appRec
	events map[int64]eventRec
	subs   map[int64]subRec
	// nextID numbers apps, events, subscriptions and keys (one sequence
	// each would do as well; the contract only asks for unique ids).
	nextID int64

	keys     map[int64]storage.Key
	settings map[string]string
	sessions map[string]storage.Session
	secrets  map[int64]storage.AppSecret
	// users holds the accounts and their tokens (users.go).
	users users

	// occs and dels are indexed by id-1: ids are dense and increasing.
	occs []*occRec
	dels []*delRec
	// traces lists each trace's occurrence ids, oldest first.
	traces map[int64][]int64
	// pending counts each event's pending occurrences (the queue cap's
	// O(1) counter); events with none are absent.
	pending map[int64]int
	// waiting holds each subscription's Pending and Retrying deliveries,
	// running every Running delivery, so claims and lease sweeps never
	// scan finished deliveries.
	waiting map[int64]map[int64]struct{}
	running map[int64]struct{}
	// leases holds each app's Running deliveries (applimit.go), so a
	// claim under an app-wide limit counts that app's alone.
	leases    map[int64]map[int64]struct{}
	nextToken int64
	// audit is the append-only audit log; an entry's id is its index+1.
	audit []storage.AuditEntry
	// versions are the design versions, oldest first (Version i+1).
	versions []storage.DesignVersion
}

// New returns an empty in-memory store.
func New() *Store {
	return &Store{
		apps: map[int64]appRec{}, events: map[int64]eventRec{}, subs: map[int64]subRec{},
		keys: map[int64]storage.Key{}, settings: map[string]string{}, sessions: map[string]storage.Session{},
		secrets: map[int64]storage.AppSecret{},
		users:   newUsers(),
		traces:  map[int64][]int64{}, pending: map[int64]int{},
		waiting: map[int64]map[int64]struct{}{}, running: map[int64]struct{}{}, leases: map[int64]map[int64]struct{}{},
		nextToken: claimToken + 1,
	}
}

var _ storage.Storage = (*Store)(nil)

// lock takes the mutex unless ctx is done or the store is closed; the
// caller unlocks when it gets nil.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	return nil
}

// Close ends the store: its data goes with it (nothing is durable), and
// later calls fail with a closed-store error. Closing twice is no error.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func limit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// KeyInsert stores an app key's hash; fault.ErrNotFound when the app does
// not exist, fault.ErrConflict when the hash is stored already.
func (s *Store) KeyInsert(ctx context.Context, p *storage.KeyInsertParams) (storage.Key, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Key{}, fmt.Errorf("key insert for app %d: %w", p.AppID, err)
	}
	defer s.mu.Unlock()
	a, ok := s.apps[p.AppID]
	if !ok || a.deleted {
		return storage.Key{}, fmt.Errorf("key insert for app %d: %w", p.AppID, storage.Missing("app %d does not exist", p.AppID))
	}
	for _, k := range s.keys {
		if bytes.Equal(k.Hash, p.Hash) {
			return storage.Key{}, fmt.Errorf("key insert for app %d: %w", p.AppID,
				storage.Conflict("exists", "a key with this hash exists already; generate another key"))
		}
	}
	s.nextID++
	k := storage.Key{ID: s.nextID, AppID: p.AppID, App: a.Name, Prefix: p.Prefix, Hash: bytes.Clone(p.Hash), CreatedAt: utc(p.CreatedAt)}
	s.keys[k.ID] = k
	k.Hash = bytes.Clone(k.Hash)
	return k, nil
}

// KeyList returns an app's keys, newest first, hashes left out.
func (s *Store) KeyList(ctx context.Context, appID int64) ([]storage.Key, error) {
	if err := s.lock(ctx); err != nil {
		return nil, fmt.Errorf("key list for app %d: %w", appID, err)
	}
	defer s.mu.Unlock()
	var out []storage.Key
	for _, k := range s.keys {
		if k.AppID == appID {
			k.Hash = nil
			k.App = s.apps[k.AppID].Name
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// KeyDelete revokes key id of app appID.
func (s *Store) KeyDelete(ctx context.Context, appID, id int64) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("key delete: %w", err)
	}
	defer s.mu.Unlock()
	if k, ok := s.keys[id]; !ok || k.AppID != appID {
		return fmt.Errorf("key delete: %w", storage.Missing("app %d has no key %d", appID, id))
	}
	delete(s.keys, id)
	return nil
}

// KeyLookup finds the key with this hash, of a live app.
func (s *Store) KeyLookup(ctx context.Context, hash []byte) (storage.Key, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Key{}, fmt.Errorf("key lookup: %w", err)
	}
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if a, ok := s.apps[k.AppID]; ok && !a.deleted && bytes.Equal(k.Hash, hash) {
			k.App = a.Name
			k.Hash = bytes.Clone(k.Hash)
			return k, nil
		}
	}
	return storage.Key{}, fmt.Errorf("key lookup: %w", storage.Missing("no key matches"))
}

// SettingGet returns a named setting.
func (s *Store) SettingGet(ctx context.Context, name string) (string, error) {
	if err := s.lock(ctx); err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	defer s.mu.Unlock()
	v, ok := s.settings[name]
	if !ok {
		return "", fmt.Errorf("setting %s: %w", name, storage.Missing("setting %q is not set", name))
	}
	return v, nil
}

// SettingPut stores a named setting, replacing any earlier value.
func (s *Store) SettingPut(ctx context.Context, name, value string) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("setting %s put: %w", name, err)
	}
	defer s.mu.Unlock()
	s.settings[name] = value
	return nil
}

// SessionPut stores a sign-in's hash and expiry and sweeps expired ones.
func (s *Store) SessionPut(ctx context.Context, p *storage.SessionPutParams) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("session put: %w", err)
	}
	defer s.mu.Unlock()
	maps.DeleteFunc(s.sessions, func(_ string, x storage.Session) bool { return x.ExpiresAt.Before(p.Now) })
	s.sessions[string(p.Hash)] = storage.Session{ExpiresAt: utc(p.ExpiresAt), User: p.User}
	return nil
}

// SessionGet returns the session with this hash: its expiry and user.
func (s *Store) SessionGet(ctx context.Context, hash []byte) (storage.Session, error) {
	if err := s.lock(ctx); err != nil {
		return storage.Session{}, fmt.Errorf("session get: %w", err)
	}
	defer s.mu.Unlock()
	x, ok := s.sessions[string(hash)]
	if !ok {
		return storage.Session{}, fmt.Errorf("session get: %w", storage.Missing("no such session"))
	}
	return x, nil
}

// SessionDelete revokes the session with this hash, if there is one.
func (s *Store) SessionDelete(ctx context.Context, hash []byte) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("session delete: %w", err)
	}
	defer s.mu.Unlock()
	delete(s.sessions, string(hash))
	return nil
}

// decode reads JSON the store encoded itself; it cannot fail short of a
// bug, which it reports rather than hides.
func decode(b []byte, v any, what string) error {
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// sortedKeys returns a map's int64 keys in increasing order.
func sortedKeys[V any](m map[int64]V) []int64 {
	ks := slices.Collect(maps.Keys(m))
	slices.Sort(ks)
	return ks
}
