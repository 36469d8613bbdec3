// Package asyncapi converts a design to and from an AsyncAPI 3.0 document,
// so the tools people already use for event contracts (AsyncAPI Studio,
// the AsyncAPI generator's code and docs templates) can read what an
// Eventloom design promises, and a contract written elsewhere can become a
// design.
//
// The mapping: each event is a channel (address Producer.EventName) with
// one message whose payload is a JSON Schema built from the event's
// parameters; its owner has a send operation, each subscribed app a receive
// operation. Apps are the document's info tags. What AsyncAPI has no word
// for (the public flag, an app's colour, concurrency and endpoint, a
// subscription's handler, enabled and paused flags, a parameter's exact
// type) is kept in x-eventloom-* extensions, so export then import gives
// the same design back.
//
// asyncapi imports only engine/design, engine/fault and engine/payload; it
// must never import storage, web or store.
package asyncapi
