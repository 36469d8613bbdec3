package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// keyPrefix starts every app key, so a leaked key is recognisable (secret
// scanners) and a key is told from the admin token at a glance.
const keyPrefix = "elk_"

// adminTokenSetting names the setting holding the admin token's hash.
const adminTokenSetting = "admin_token_sha256"

// NewKey is an app key just created: Key is the clear key, shown once and
// never stored.
type NewKey struct {
	storage.Key
	Clear string `json:"key"`
}

// CreateKey makes a new API key for app. Keys are 256-bit random, so a
// plain SHA-256 of the key is a safe thing to store.
func (e *Engine) CreateKey(ctx context.Context, app string) (NewKey, error) {
	a, ok := e.snap.Load().idx.App(app)
	if !ok {
		return NewKey{}, unknownApp(app)
	}
	clear, err := randomToken(keyPrefix)
	if err != nil {
		return NewKey{}, err
	}
	sum := sha256.Sum256([]byte(clear))
	k, err := e.st.KeyInsert(ctx, &storage.KeyInsertParams{AppID: a.ID, Prefix: clear[:len(keyPrefix)+6], Hash: sum[:], CreatedAt: e.clk.Now()})
	if err != nil {
		return NewKey{}, fmt.Errorf("create key for %s: %w", app, err)
	}
	k.App = app
	if err := e.audit(ctx, "key.create", app, map[string]any{"id": k.ID, "prefix": k.Prefix}); err != nil {
		return NewKey{}, err
	}
	return NewKey{Key: k, Clear: clear}, nil
}

// Keys lists app's keys (never their clear values), newest first.
func (e *Engine) Keys(ctx context.Context, app string) ([]storage.Key, error) {
	a, ok := e.snap.Load().idx.App(app)
	if !ok {
		return nil, unknownApp(app)
	}
	return e.st.KeyList(ctx, a.ID)
}

// RevokeKey revokes key id of app: it no longer authenticates and is no
// longer listed, and its id is never reused; fault.ErrNotFound when app has
// no such live key.
func (e *Engine) RevokeKey(ctx context.Context, app string, id int64) error {
	a, ok := e.snap.Load().idx.App(app)
	if !ok {
		return unknownApp(app)
	}
	err := e.st.KeyDelete(ctx, a.ID, id)
	// Forgotten whatever the outcome: a failed commit may still have
	// revoked it.
	e.keys.forget()
	if err != nil {
		return fmt.Errorf("revoke key %d of %s: %w", id, app, err)
	}
	return e.audit(ctx, "key.revoke", app, map[string]any{"id": id})
}

// KeyApp returns the name of the app a clear key belongs to, or
// fault.ErrUnauthorized.
func (e *Engine) KeyApp(ctx context.Context, clear string) (string, error) {
	refused := &fault.Error{Kind: fault.ErrUnauthorized, Code: "bad_key", Message: "the API key is not valid (revoked or mistyped); create one on the app's page"}
	if !strings.HasPrefix(clear, keyPrefix) {
		return "", refused
	}
	sum := sha256.Sum256([]byte(clear))
	snap := e.snap.Load()
	cache := e.cachesKeys()
	appID, gen, ok := e.keys.get(sum, snap)
	if !cache || !ok {
		k, err := e.st.KeyLookup(ctx, sum[:])
		if errors.Is(err, fault.ErrNotFound) {
			return "", refused
		}
		if err != nil {
			return "", err
		}
		appID = k.AppID
		if cache {
			e.keys.put(sum, appID, snap, gen)
		}
	}
	a, ok := snap.idx.AppByID(appID)
	if !ok {
		return "", refused
	}
	return a.Name, nil
}

// InitAdminToken makes sure an admin token exists. With token non-empty
// (from configuration, so chosen by a person) it must have at least
// MinAdminTokenChars characters and its argon2id hash replaces the stored
// one; with it empty and none stored, a 256-bit token is generated and
// returned (to be shown once); otherwise the stored one stands and "" is
// returned.
func (e *Engine) InitAdminToken(ctx context.Context, token string) (generated string, err error) {
	chosen := token != ""
	if chosen {
		if err := checkChosenToken(token); err != nil {
			return "", err
		}
	} else {
		_, err := e.st.SettingGet(ctx, adminTokenSetting)
		if err == nil {
			return "", nil
		}
		if !errors.Is(err, fault.ErrNotFound) {
			return "", err
		}
		if token, err = randomToken("ela_"); err != nil {
			return "", err
		}
		generated = token
	}
	stored, err := hashAdminToken(token, chosen, e.cfg.AdminTokenMemoryKiB)
	if err != nil {
		return "", err
	}
	if err := e.st.SettingPut(ctx, adminTokenSetting, stored); err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	return generated, nil
}

// CheckAdminToken reports whether token is the admin token.
func (e *Engine) CheckAdminToken(ctx context.Context, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	stored, err := e.st.SettingGet(ctx, adminTokenSetting)
	if errors.Is(err, fault.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return e.matchAdminToken(ctx, token, stored)
}

func randomToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}
