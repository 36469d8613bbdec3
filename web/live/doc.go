// Package live is the live view's server side: the hub that fans the
// engine's notifications out to viewers (each note encoded once per
// filter, batched, rate-capped, never blocking the engine) and the
// websocket endpoint that streams them with the live counters.
//
// It sits under web: web mounts a Server at GET /api/v1/live behind its
// own authorization, and answers the errors Serve returns with the one
// classifier, web/httperr. It reads the engine through the small Runtime
// interface and its notify bus; it never imports store, the console's
// templates or the web package itself.
package live
