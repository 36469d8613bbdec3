// Package web is the wiring of Eventloom's HTTP server: the echo set-up,
// who may call each route (roles and the access table), console
// sessions, the sign-in throttle, cross-origin protection, the body
// guard, the connection limit and the one error handler. It mounts the
// REST API (web/api) under /api/v1, the console (web/console) and the
// live websocket (web/live), and serves /metrics and /healthz.
//
// The faces are thin: they read the request (web/request), call the
// engine, and return the engine's typed refusals, which the one
// classifier, web/httperr, maps to statuses for every face of the server.
//
// web talks to the engine only — never to store or a database driver.
package web
