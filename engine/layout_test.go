package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eventloom/eventloom/engine"
	"github.com/eventloom/eventloom/engine/fault"
)

// TestLayoutIsOpaque: the engine keeps the console's layout as given,
// hands update the saved one, saves nothing when update fails, and
// refuses a layout past MaxLayoutBytes.
func TestLayoutIsOpaque(t *testing.T) {
	h := newHarness(t, engine.Config{})
	ctx := context.Background()
	if got, err := h.eng.Layout(ctx); err != nil || got != "" {
		t.Fatalf("before any save: %q, %v", got, err)
	}
	if err := h.eng.UpdateLayout(ctx, func(saved string) (string, error) { return saved + "one", nil }); err != nil {
		t.Fatal(err)
	}
	var seen string
	if err := h.eng.UpdateLayout(ctx, func(saved string) (string, error) { seen = saved; return saved + ",two", nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.eng.Layout(ctx); seen != "one" || got != "one,two" {
		t.Fatalf("update saw %q; layout = %q, want one,two", seen, got)
	}
	boom := errors.New("boom")
	if err := h.eng.UpdateLayout(ctx, func(string) (string, error) { return "lost", boom }); !errors.Is(err, boom) {
		t.Fatalf("failing update = %v", err)
	}
	err := h.eng.UpdateLayout(ctx, func(string) (string, error) { return strings.Repeat("x", engine.MaxLayoutBytes+1), nil })
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Code != "too_large" {
		t.Fatalf("oversized layout = %v", err)
	}
	if got, _ := h.eng.Layout(ctx); got != "one,two" {
		t.Fatalf("after refused updates layout = %q", got)
	}
}
