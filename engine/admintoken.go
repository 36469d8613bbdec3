package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/eventloom/eventloom/engine/fault"
)

// MinAdminTokenChars is the shortest admin token a person may choose: a
// shorter one is within reach of guessing even when sign-ins are
// throttled.
const MinAdminTokenChars = 24

// argon2id parameters for a token a person chose (OWASP's recommended
// minimum: 19 MiB, 2 passes, 1 lane), so a stolen database does not give
// the token away cheaply; generated tokens are 256-bit random and keep a
// plain SHA-256.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB; Config.AdminTokenMemoryKiB overrides it
	argonThreads = 1
	argonKeyLen  = 32
	argonPrefix  = "argon2id$"
)

// hashAdminToken is the stored form of a token: argon2id with a random
// salt for a chosen one, hex SHA-256 for a generated one.
func hashAdminToken(token string, chosen bool, memoryKiB uint32) (string, error) {
	if !chosen {
		sum := sha256.Sum256([]byte(token))
		return hex.EncodeToString(sum[:]), nil
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("admin token salt: %w", err)
	}
	key := argon2.IDKey([]byte(token), salt, argonTime, memoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argonPrefix, argon2.Version, memoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkChosenToken refuses a configured admin token too short to resist
// guessing.
func checkChosenToken(token string) error {
	if n := utf8.RuneCountInString(token); n < MinAdminTokenChars {
		return &fault.Error{Kind: fault.ErrInvalid, Code: "admin_token_too_short", Field: "EVENTLOOM_ADMIN_TOKEN",
			Message: fmt.Sprintf("the admin token has %d characters; use at least %d (for example the output of 'openssl rand -base64 32'), or unset it to have one generated", n, MinAdminTokenChars)}
	}
	return nil
}

// matchAdminToken reports whether token matches the stored form.
func (e *Engine) matchAdminToken(ctx context.Context, token, stored string) (bool, error) {
	if !strings.HasPrefix(stored, argonPrefix) {
		sum := sha256.Sum256([]byte(token))
		return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(stored)) == 1, nil
	}
	// A token already verified against this stored form is recognised by
	// its SHA-256 kept in memory, so only a new or wrong token pays for
	// argon2id; and only argonConcurrency of those run at once, bounding
	// the memory a burst of wrong guesses can take.
	sum := sha256.Sum256([]byte(stored + "\x00" + token))
	if v := e.adminOK.Load(); v != nil && subtle.ConstantTimeCompare(v[:], sum[:]) == 1 {
		return true, nil
	}
	parts := strings.Split(stored, "$")
	if len(parts) != 5 {
		return false, errors.New("the stored admin token hash is malformed; set EVENTLOOM_ADMIN_TOKEN to replace it")
	}
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false, fmt.Errorf("the stored admin token hash is malformed (%v); set EVENTLOOM_ADMIN_TOKEN to replace it", err)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[3])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[4])
	if err := errors.Join(err1, err2); err != nil {
		return false, fmt.Errorf("the stored admin token hash is malformed (%v); set EVENTLOOM_ADMIN_TOKEN to replace it", err)
	}
	select {
	case e.argonSlots <- struct{}{}:
		defer func() { <-e.argonSlots }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	got := argon2.IDKey([]byte(token), salt, iters, mem, threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, nil
	}
	e.adminOK.Store(&sum)
	return true, nil
}
