package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventloom/eventloom/engine/fault"
	"github.com/eventloom/eventloom/engine/storage"
)

// secretPrefix starts every signing secret, as the Standard Webhooks
// spec writes them (its libraries strip it and base64-decode the rest).
const secretPrefix = "whsec_"

// NewSecret is an app's signing secret just created or rotated: Secret is
// shown once (the app's page and the REST answer) and never listed
// again. PreviousValidUntil is when the secret it replaced stops signing,
// nil when the app had none.
type NewSecret struct {
	Secret             string     `json:"secret"`
	PreviousValidUntil *time.Time `json:"previousValidUntil"`
}

// RotateSecret creates app's webhook signing secret, or replaces it: the
// replaced one keeps signing beside the new one for Config.SecretGrace,
// so the receiver can switch without dropping a delivery (both
// signatures are sent meanwhile). The rotation is audited; the secret
// itself never reaches the audit log or the process log.
func (e *Engine) RotateSecret(ctx context.Context, app string) (NewSecret, error) {
	a, ok := e.snap.Load().idx.App(app)
	if !ok {
		return NewSecret{}, unknownApp(app)
	}
	key := make([]byte, 32) // 256 bits, as the spec's secrets are
	if _, err := rand.Read(key); err != nil {
		return NewSecret{}, fmt.Errorf("rotate the secret of %s: %w", app, err)
	}
	secret := secretPrefix + base64.StdEncoding.EncodeToString(key)
	now := e.clk.Now()
	s, err := e.st.SecretRotate(ctx, &storage.SecretRotateParams{AppID: a.ID, Secret: secret, Now: now, PreviousValidUntil: now.Add(e.cfg.SecretGrace)})
	if err != nil {
		return NewSecret{}, fmt.Errorf("rotate the secret of %s: %w", app, err)
	}
	e.secrets.put(s, now)
	out := NewSecret{Secret: secret}
	detail := map[string]any{"previousValidUntil": nil}
	if s.Previous != "" {
		until := s.PreviousValidUntil
		out.PreviousValidUntil = &until
		detail["previousValidUntil"] = until
	}
	if err := e.audit(ctx, "secret.rotate", app, detail); err != nil {
		return NewSecret{}, err
	}
	return out, nil
}

// signature is the webhook-signature header of one request: a "v1,..."
// signature by each secret that signs at now (the current one, and the
// previous one during its grace), space-separated as the Standard
// Webhooks spec asks, so a receiver holding either secret verifies it.
func signature(s storage.AppSecret, now time.Time, id string, ts time.Time, body []byte) (string, error) {
	secrets := []string{s.Current}
	if s.Previous != "" && now.Before(s.PreviousValidUntil) {
		secrets = append(secrets, s.Previous)
	}
	sigs := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		wh, err := standardwebhooks.NewWebhook(sec)
		if err != nil {
			return "", fmt.Errorf("the stored signing secret is not whsec_ and base64: %w", err)
		}
		sig, err := wh.Sign(id, ts, body)
		if err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// appSecret returns the signing secrets of app appID, from memory when
// read less than secretCacheTTL ago, else from storage.
func (e *Engine) appSecret(ctx context.Context, appID int64, app string) (storage.AppSecret, error) {
	now := e.clk.Now()
	if s, ok := e.secrets.get(appID, now); ok {
		return s, nil
	}
	s, err := e.st.SecretGet(ctx, appID)
	if errors.Is(err, fault.ErrNotFound) {
		return storage.AppSecret{}, fmt.Errorf("app %s has no webhook signing secret yet: create one on its page or with POST /api/v1/apps/%s/secrets, then configure the receiver with it", app, app)
	}
	if err != nil {
		return storage.AppSecret{}, fmt.Errorf("read the signing secret of %s: %w", app, err)
	}
	e.secrets.put(s, now)
	return s, nil
}

// secretCacheTTL is how long a secret read from storage is used without
// reading it again: a minute spares a read per delivery, and bounds how
// long another process sharing the store signs with a secret rotated
// here (this process forgets its own rotations at once).
const secretCacheTTL = time.Minute

// secretCache holds the signing secrets read recently, by app id.
type secretCache struct {
	mu sync.Mutex
	m  map[int64]cachedSecret
}

type cachedSecret struct {
	s    storage.AppSecret
	read time.Time
}

func (c *secretCache) get(appID int64, now time.Time) (storage.AppSecret, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.m[appID]
	if !ok || now.Sub(x.read) >= secretCacheTTL {
		return storage.AppSecret{}, false
	}
	return x.s, true
}

func (c *secretCache) put(s storage.AppSecret, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int64]cachedSecret)
	}
	c.m[s.AppID] = cachedSecret{s, now}
}

// SecretState says whether app has a signing secret and since when,
// never the secret itself: for the app's page.
type SecretState struct {
	// RotatedAt is when the current secret was made; zero when app has
	// none yet.
	RotatedAt time.Time
	// PreviousValidUntil is when the replaced secret stops signing; zero
	// when it has stopped or there is none.
	PreviousValidUntil time.Time
}

// Secret returns the state of app's signing secret.
func (e *Engine) Secret(ctx context.Context, app string) (SecretState, error) {
	a, ok := e.snap.Load().idx.App(app)
	if !ok {
		return SecretState{}, unknownApp(app)
	}
	s, err := e.st.SecretGet(ctx, a.ID)
	if errors.Is(err, fault.ErrNotFound) {
		return SecretState{}, nil
	}
	if err != nil {
		return SecretState{}, fmt.Errorf("read the signing secret of %s: %w", app, err)
	}
	out := SecretState{RotatedAt: s.RotatedAt}
	if s.Previous != "" && e.clk.Now().Before(s.PreviousValidUntil) {
		out.PreviousValidUntil = s.PreviousValidUntil
	}
	return out, nil
}
