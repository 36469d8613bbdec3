package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
)

// TestAdminTokenChosenByAPerson: a configured token shorter than 24
// characters is refused with the rule; a long one is stored as argon2id,
// never as itself, and checks true only for itself (also the second
// time, from memory).
func TestAdminTokenChosenByAPerson(t *testing.T) {
	h := newHarness(t, engine.Config{AdminTokenMemoryKiB: 1024})
	ctx := context.Background()
	_, err := h.eng.InitAdminToken(ctx, "short-token")
	var fe *fault.Error
	if !errors.As(err, &fe) || !errors.Is(err, fault.ErrInvalid) || !strings.Contains(fe.Message, "24") {
		t.Fatalf("a short token = %v; want an invalid-value refusal naming 24", err)
	}
	tok := "a-person-chose-this-token-123"
	if _, err := h.eng.InitAdminToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	stored, err := h.st.SettingGet(ctx, "admin_token_sha256")
	if err != nil || !strings.HasPrefix(stored, "argon2id$") || strings.Contains(stored, tok) {
		t.Fatalf("stored = %q (%v); want an argon2id hash", stored, err)
	}
	for i := 0; i < 2; i++ {
		if ok, err := h.eng.CheckAdminToken(ctx, tok); !ok || err != nil {
			t.Fatalf("check %d of the right token = %v %v", i, ok, err)
		}
	}
	if ok, _ := h.eng.CheckAdminToken(ctx, tok+"x"); ok {
		t.Fatal("a wrong token checked true")
	}
	gen, err := h.eng.InitAdminToken(ctx, "")
	if err != nil || gen != "" {
		t.Fatalf("with a token stored, an empty one generates %q (%v); want none", gen, err)
	}
}
