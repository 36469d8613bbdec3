// Package series keeps the console's charts: in-memory time series of the
// same counts the Prometheus metrics keep (triggers accepted and refused,
// finished attempts by outcome, queue depth against the cap, handler
// latency), per 10 seconds for the last hour and per minute for the last
// day, in total, per event and per app, in bounded memory.
//
// It is fed from the engine's notification bus, the very notes
// web/metrics counts, so a chart and a scrape agree; queue depths are
// sampled from the engine every step. After a restart Rebuild fills the
// window again from stored history (occurrences and finished attempts).
// Time comes from the engine's clock, a fake one in tests.
//
// It sits under web and imports engine, never store or web.
package series
