// Package api is Eventloom's REST API under /api/v1: JSON in and out,
// for services (app keys), workers pulling deliveries, scripts and the
// CLI (user tokens, the admin token). Each handler reads the request
// (package request), calls the engine and answers JSON; refusals are
// returned as errors, which the server's one classifier (web/httperr)
// turns into statuses. Every route is described in web/apidoc.
//
// api knows nothing of who may call a route (the wiring, package web,
// checks that before a handler runs) nor of HTML: it imports neither web,
// web/console nor templates.
package api
