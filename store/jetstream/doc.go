// Package jetstream is the storage seam (engine/storage) on NATS JetStream:
// a replicated state machine over one stream. Every write is a command
// (the method and its params, gob-encoded) published to the stream, whose
// publish acknowledgement means the command is on a quorum of servers
// (R3 in a three-server cluster). Every node applies the whole stream, in
// order, to a local read model (store/mem), so two nodes that race for the
// same delivery, or for the last place of a queue, resolve it the same way:
// the first command in the stream wins everywhere. A write returns the
// result of applying its own command; a read first waits until the local
// model has applied the stream as far as the server last reported it, so a
// read after any node's acknowledged write sees that write.
//
// jetstream imports the engine's packages, store/mem and nats.go; it must
// never import web, cmd or the SQLite store.
package jetstream
