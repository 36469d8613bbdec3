// Package engine is Eventloom's domain: the design model, trigger validation,
// dispatch with retries, handlers and notifications, offered to the rest of
// the program through the Engine facade.
//
// When a delivery runs is package dispatch's (pools, claims, polling,
// sweeps, leases); the engine gives it the design and its handler runner
// (run.go), records each attempt and publishes its notes (notes.go). Pull
// locks stay here: a lock is an attempt in progress, the runner's concern;
// only the place it takes in its app's pool is dispatch's.
//
// engine sits at the bottom of the dependency graph: cmd -> web -> engine and
// cmd -> store -> engine. It must never import web, store, templates, echo,
// database/sql drivers or anything HTML; persistence is reached only through
// the storage.Storage seam.
package engine
