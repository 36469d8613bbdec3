// Package layering holds only a test: it keeps the dependency arrows of
// DESIGN.md true (cmd -> web -> engine, cmd -> store -> engine, web ->
// templates; engine imports neither web nor store) by reading `go list
// -deps`, so a graph written down cannot drift from the code. The parts
// web is split into (the classifier web/httperr, the live view web/live)
// are pinned too: they read the engine and never store, the console's
// templates or the web package that mounts them.
package layering
