// Package static holds the console's own CSS and JavaScript and, in dist/,
// the front-end libraries copied from node_modules at build time (never
// committed). The console works without dist: htmx only enhances forms
// and pages that work as plain HTML.
//
// static imports nothing of the project.
package static

import "embed"

//go:generate sh -c "mkdir -p dist && cp ../node_modules/htmx.org/dist/htmx.min.js dist/htmx.min.js"
//go:generate go tool esbuild src/designer.js --bundle --minify --format=iife --outfile=dist/designer.js --log-level=warning
//go:generate go tool esbuild src/steps.js --bundle --minify --format=iife --outfile=dist/steps.js --log-level=warning
//go:generate go tool esbuild src/charts.js --bundle --minify --format=iife --outfile=dist/charts.js --log-level=warning

// FS is the files served under /static/.
//
//go:embed app.css app.js favicon.svg all:dist
var FS embed.FS
