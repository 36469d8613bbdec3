package engine

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

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
	h, err := hashSecret(token, memoryKiB)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return h, nil
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
	ok, err := e.matchSecret(ctx, token, stored)
	if err != nil && ctx.Err() == nil {
		return false, fmt.Errorf("admin token: %w; set EVENTLOOM_ADMIN_TOKEN to replace it", err)
	}
	if err != nil {
		return false, err
	}
	if !ok {
		return false, nil
	}
	e.adminOK.Store(&sum)
	return true, nil
}
