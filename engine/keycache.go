package engine

import (
	"sync"

	"github.com/eventloom/eventloom/engine/storage"
)

// keyCacheSize bounds the verified app keys remembered. Past it the cache
// starts over: a process serving more distinct keys than this at once
// pays a storage read per request, as it did without the cache.
const keyCacheSize = 4096

// keyCache remembers which app each recently verified key belongs to, by
// the key's SHA-256, so a REST request with a key seen before costs no
// storage read (it was a tenth of the CPU of a trigger over HTTP).
//
// A revocation takes effect at once: RevokeKey forgets every entry after
// the store has revoked the key, and a lookup under way across that
// moment does not put its (now stale) answer in (the generation check).
// Deleting an app, which revokes its keys, is a design change, and an
// entry holds only for the design it was verified under. The cache is
// off when several nodes share the backend (storage.Features), since a
// key revoked on another node would not be forgotten here.
type keyCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[[32]byte]cachedKey
}

// cachedKey is a verified key's app and the design it was verified under.
type cachedKey struct {
	appID int64
	snap  *snapshot
}

// get returns the app id of the key with hash sum when it was verified
// under snap; gen is the generation to pass to put after a lookup.
func (c *keyCache) get(sum [32]byte, snap *snapshot) (appID int64, gen uint64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k, ok := c.m[sum]
	if !ok || k.snap != snap {
		return 0, c.gen, false
	}
	return k.appID, c.gen, true
}

// put remembers a key storage found live under snap, unless the cache
// was told to forget since gen was read.
func (c *keyCache) put(sum [32]byte, appID int64, snap *snapshot, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= keyCacheSize {
		c.m = make(map[[32]byte]cachedKey)
	}
	c.m[sum] = cachedKey{appID: appID, snap: snap}
}

// forget drops every entry and fails the puts of lookups under way.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// cachesKeys reports whether verified keys may be remembered: only when
// this process is the backend's only user, so every revocation passes
// through RevokeKey here.
func (e *Engine) cachesKeys() bool {
	return !storage.FeaturesOf(e.st).SharedByNodes
}
