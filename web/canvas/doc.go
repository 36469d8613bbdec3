// Package canvas keeps the designer's saved canvas positions: the node
// ids the console's canvas gives apps and events, their format, and how
// moved positions merge into the saved ones. The engine stores the layout
// as a document it does not read (engine.Layout); this package is the one
// reader and writer of it, for the console's drags and the REST API's
// /api/v1/layout alike.
//
// It imports the engine only: neither web, web/api, web/console nor
// templates.
package canvas
