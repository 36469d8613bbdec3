// Package web serves Eventloom over HTTP: the REST API under /api/v1, the
// console, and (mounted from web/live) the live websocket. Handlers are
// thin: they parse the request, call the engine, and return the engine's
// typed refusals, which the one classifier, web/httperr, maps to statuses
// for every face of the server.
//
// web talks to the engine only — never to store or a database driver — and
// renders HTML through package templates.
package web
