// Package web serves Eventloom over HTTP: the REST API under /api/v1 (and,
// later, the console and the live websocket). Handlers are thin: they parse
// the request, call the engine, and map the engine's typed refusals to
// statuses in one place (errors.go).
//
// web talks to the engine only — never to store or a database driver — and
// renders HTML through package templates.
package web
