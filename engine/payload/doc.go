// Package payload checks the parameters of an event against its design and
// turns them into one canonical JSON object, the form an occurrence stores
// and every handler receives. It enforces the payload rules of DESIGN.md:
// types checked, unknown or missing mandatory parameters rejected, Text at
// most 2,000 characters and the whole payload at most 10 KB (both
// configurable through Limits).
//
// Parameters arrive three ways and meet the same rules: a JSON object (REST
// API, imports), Go values (a program embedding the engine, a flow's trigger
// step) and browser form strings (the console's trigger-test form). Refusals
// are *fault.Error values: ErrInvalid field errors, all reported together,
// and ErrTooLarge for an oversized payload.
//
// payload sits inside engine and imports only design and fault from the
// project; it must never import storage, store, web, a storage driver, echo
// or anything that renders HTML.
package payload
