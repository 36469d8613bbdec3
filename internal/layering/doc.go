// Package layering holds only a test: it keeps the dependency arrows of
// DESIGN.md true (cmd -> web -> engine, cmd -> store -> engine, web ->
// templates; engine imports neither web nor store) by reading `go list
// -deps`, so a graph written down cannot drift from the code.
package layering
