package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/design"
	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
	"github.com/eventloom/eventloom/store/mem"
)

// lookupCounter is the in-memory store counting its key lookups; shared
// says whether it reports itself shared by several nodes.
type lookupCounter struct {
	storage.Storage
	lookups atomic.Int64
	shared  bool
}

func (c *lookupCounter) KeyLookup(ctx context.Context, hash []byte) (storage.Key, error) {
	c.lookups.Add(1)
	return c.Storage.KeyLookup(ctx, hash)
}

func (c *lookupCounter) Features() storage.Features {
	return storage.Features{SharedByNodes: c.shared}
}

// keyEngine is an engine over st with the app Shop and a key of it.
func keyEngine(t *testing.T, st storage.Storage) (*engine.Engine, engine.NewKey) {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.New(ctx, engine.Config{Storage: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	if _, err := eng.CreateApp(ctx, design.App{Name: "Shop"}); err != nil {
		t.Fatal(err)
	}
	k, err := eng.CreateKey(ctx, "Shop")
	if err != nil {
		t.Fatal(err)
	}
	return eng, k
}

func wantKeyApp(t *testing.T, eng *engine.Engine, clear, want string) {
	t.Helper()
	app, err := eng.KeyApp(context.Background(), clear)
	if err != nil || app != want {
		t.Fatalf("KeyApp = %q, %v; want %q", app, err, want)
	}
}

func wantKeyRefused(t *testing.T, eng *engine.Engine, clear string) {
	t.Helper()
	app, err := eng.KeyApp(context.Background(), clear)
	if !errors.Is(err, fault.ErrUnauthorized) {
		t.Fatalf("KeyApp = %q, %v; want unauthorized", app, err)
	}
}

// TestVerifiedKeysAreRemembered: a key verified once is not looked up
// again, and an unknown key is looked up every time (never remembered).
func TestVerifiedKeysAreRemembered(t *testing.T) {
	st := &lookupCounter{Storage: mem.New()}
	eng, k := keyEngine(t, st)
	for range 3 {
		wantKeyApp(t, eng, k.Clear, "Shop")
	}
	if n := st.lookups.Load(); n != 1 {
		t.Fatalf("%d lookups for 3 requests with one key, want 1", n)
	}
	for range 2 {
		wantKeyRefused(t, eng, "elk_not-a-key")
	}
	if n := st.lookups.Load(); n != 3 {
		t.Fatalf("%d lookups after 2 unknown keys, want 3", n)
	}
}

// TestRevokedKeyIsRefusedAtOnce: a remembered key stops working as soon
// as RevokeKey returns, and so do an app's keys once the app is deleted;
// the other key of the app goes on working.
func TestRevokedKeyIsRefusedAtOnce(t *testing.T) {
	ctx := context.Background()
	eng, k := keyEngine(t, &lookupCounter{Storage: mem.New()})
	other, err := eng.CreateKey(ctx, "Shop")
	if err != nil {
		t.Fatal(err)
	}
	wantKeyApp(t, eng, k.Clear, "Shop")
	wantKeyApp(t, eng, other.Clear, "Shop")
	if err := eng.RevokeKey(ctx, "Shop", k.ID); err != nil {
		t.Fatal(err)
	}
	wantKeyRefused(t, eng, k.Clear)
	wantKeyApp(t, eng, other.Clear, "Shop")
	if err := eng.DeleteApp(ctx, "Shop", true); err != nil {
		t.Fatal(err)
	}
	wantKeyRefused(t, eng, other.Clear)
}

// TestKeysAreNotRememberedOnASharedBackend: with several nodes on one
// backend a key may be revoked on another node, so every request looks
// its key up.
func TestKeysAreNotRememberedOnASharedBackend(t *testing.T) {
	st := &lookupCounter{Storage: mem.New(), shared: true}
	eng, k := keyEngine(t, st)
	for range 3 {
		wantKeyApp(t, eng, k.Clear, "Shop")
	}
	if n := st.lookups.Load(); n != 3 {
		t.Fatalf("%d lookups for 3 requests on a shared backend, want 3", n)
	}
}
