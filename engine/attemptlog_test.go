package engine

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eventloom/eventloom/engine/delivery"
)

func TestAttemptLogBounds(t *testing.T) {
	var empty attemptLog
	if empty.lines() != nil {
		t.Fatalf("no log lines = %q, want nil", empty.lines())
	}

	var full attemptLog
	for i := range delivery.MaxLogLines {
		full.add(strings.Repeat("x", i+1))
	}
	if got := full.lines(); len(got) != delivery.MaxLogLines || got[len(got)-1] != strings.Repeat("x", delivery.MaxLogLines) {
		t.Fatalf("exactly the budget: %d lines, last %q; want all %d kept", len(got), got[len(got)-1], delivery.MaxLogLines)
	}

	var over attemptLog
	for range delivery.MaxLogLines + 7 {
		over.add("line")
	}
	got := over.lines()
	if len(got) != delivery.MaxLogLines || !strings.HasPrefix(got[len(got)-1], "8 more log lines were not kept") {
		t.Fatalf("over the budget: %d lines, last %q; want %d with a note that 8 were dropped", len(got), got[len(got)-1], delivery.MaxLogLines)
	}

	var long attemptLog
	long.add(strings.Repeat("é", delivery.MaxLogLineBytes))
	line := long.lines()[0]
	if len(line) > delivery.MaxLogLineBytes || !utf8.ValidString(line) || !strings.HasSuffix(line, "…") {
		t.Fatalf("a long line kept as %d bytes (valid UTF-8 %v); want at most %d, cut on a rune with an ellipsis", len(line), utf8.ValidString(line), delivery.MaxLogLineBytes)
	}
}
