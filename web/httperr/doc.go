// Package httperr is the one error classifier of the web layer: it maps
// any error a handler returns (an engine/fault refusal, engine.ErrClosed,
// a context error, an echo error, a request the server cannot read) to the
// status, code, message and field every face of the server shows — the
// REST API's JSON errors, the console's error pages and htmx notices, and
// the live websocket's refusals — so they cannot drift apart.
//
// It sits under web and beside web/live; it imports the engine's error
// kinds and echo, and never store, the console's templates or another web
// package.
package httperr
