// Package tracecontext reads and writes W3C Trace Context traceparent
// values, the one place their rule lives: the engine checks a producer's
// traceparent with it, turns stored ones into OpenTelemetry span contexts
// (span.go) and back, and engine/cloudevent passes one on. Besides the
// standard library it imports only the OpenTelemetry trace API (no HTTP,
// no SDK), so every engine package may use it.
package tracecontext

import "regexp"

var traceparentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$`)

// Parse splits a traceparent of version 00 into its trace id, parent id
// and flags; ok is false when s is not one, or when either id is all
// zeros (which the W3C spec makes invalid).
func Parse(s string) (traceID, parentID, flags string, ok bool) {
	m := traceparentRE.FindStringSubmatch(s)
	if m == nil || m[1] == "00000000000000000000000000000000" || m[2] == "0000000000000000" {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

// Valid reports whether s is a valid traceparent (see Parse).
func Valid(s string) bool {
	_, _, _, ok := Parse(s)
	return ok
}
