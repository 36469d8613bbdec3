// Package metrics exposes Eventloom's runtime as Prometheus metrics: the
// counters are built from the engine's notification bus (engine/notify),
// the gauges are read at scrape time from the engine's in-memory stats, and
// the store's group commit reports batch sizes and latency through
// store.CommitObserver.
//
// It sits beside web (which serves its Handler at /metrics) and imports
// engine but never web or store, so engine stays free of Prometheus.
package metrics
