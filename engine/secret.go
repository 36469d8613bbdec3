package engine

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// hashSecret is the stored form of a secret a person chose (a password,
// a configured admin token): argon2id with a random salt, in the PHC
// string format, so a stolen database does not give it away cheaply.
func hashSecret(secret string, memoryKiB uint32) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(secret), salt, argonTime, memoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argonPrefix, argon2.Version, memoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// matchSecret reports whether secret matches stored, a hashSecret form.
// Only two argon2id checks run at once (argonSlots), bounding the memory
// a burst of wrong guesses can take; a caller waiting for a slot gives up
// when ctx ends.
func (e *Engine) matchSecret(ctx context.Context, secret, stored string) (bool, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 5 || parts[0]+"$" != argonPrefix {
		return false, errors.New("the stored hash is malformed")
	}
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false, fmt.Errorf("the stored hash is malformed (%v)", err)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[3])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[4])
	if err := errors.Join(err1, err2); err != nil {
		return false, fmt.Errorf("the stored hash is malformed (%v)", err)
	}
	select {
	case e.argonSlots <- struct{}{}:
		defer func() { <-e.argonSlots }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	got := argon2.IDKey([]byte(secret), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
