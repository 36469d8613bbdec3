// Package flow compiles and runs flow handlers: the steps a user designs in
// the console (log a message, wait, trigger one of the handling app's own
// events, fail on a condition or with a probability, call a service over
// HTTP) to simulate a service without writing one, or to reach a real one.
//
// Compile runs when a subscription is saved, so every mistake (an
// expression that does not parse or names no parameter, a trigger of an
// event the app does not own, a mapping of the wrong type) is refused then,
// with the field it concerns, rather than found by a delivery at run time.
// Expressions are github.com/expr-lang/expr over the handled event's
// parameters, typed as payload.Decode gives them. Run executes a compiled
// Flow for one delivery and returns the events it triggers, which the
// engine commits together with the delivery's success.
//
// Each step that runs is an OpenTelemetry span of the injected tracer
// (Env.Tracer, the API only: the engine passes its provider's).
//
// flow sits inside engine and imports design, payload, fault, clock and
// tracecontext from the project, and net/http as a client only (the caller
// injects the *http.Client, the outbound guard's in the engine); it must
// never import
// storage, store, web, a storage driver, echo or anything that renders
// HTML.
package flow
