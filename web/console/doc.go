// Package console is Eventloom's browser console: server-rendered pages
// and forms (designer, apps, events, history, traces, dead letters, bulk
// actions, users, audit, versions, alerts, sign-in) that work as plain
// HTML, enhanced by htmx and the designer's ES modules. Each screen is one
// file holding its handler and form model; its view is the matching
// templates/<screen>.templ component, rendered through one render helper
// that decides full page or fragment.
//
// The console reads requests through web/request and keeps the canvas
// layout through web/canvas. It knows nothing of who may open a page (the
// wiring, package web, checks every request first and lends the console
// its sessions and throttle through Config); it imports neither web nor
// web/api.
package console
