// Package store is the SQLite implementation of the engine's storage seam
// (storage.Storage), on modernc.org/sqlite: schema migrations, the design
// (apps, events, subscriptions, keys, settings), occurrences, deliveries and
// their attempts, and the queries the console reads.
//
// It sits beside the engine, never under it: cmd wires a *Store into the
// engine as its storage.Storage. store imports the engine's leaf packages
// (engine/storage, engine/design, engine/delivery, engine/fault) and the
// driver; it must never import web, templates, echo, or package engine
// itself.
//
// One writer goroutine owns the only write connection and commits queued
// writes in groups (group commit); reads go to a separate pool of read-only
// connections so they never wait behind the writer. The queue-cap counters
// live in the writer's memory, rebuilt from the tables at Open, so the cap
// check of DESIGN.md costs O(1).
package store
