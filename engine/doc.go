// Package engine is Eventloom's domain: the design model, trigger validation,
// dispatch with retries, handlers and notifications, offered to the rest of
// the program through the Engine facade.
//
// engine sits at the bottom of the dependency graph: cmd -> web -> engine and
// cmd -> store -> engine. It must never import web, store, templates, echo,
// database/sql drivers or anything HTML; persistence is reached only through
// the storage.Storage seam.
package engine
