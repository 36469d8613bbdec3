// Package crashtest holds the engine's tests that need its data to survive
// a store's close and reopen (a crash, then a restart on the same data
// dir), driven over the SQLite store. They live here, not in package
// engine, so the engine's own tests run on the in-memory store (store/mem)
// and package engine never imports store. The package has no code besides
// its tests.
package crashtest
