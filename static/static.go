// Package static holds the console's own CSS, its JavaScript as ES
// modules in src/, and, in dist/, the bundles esbuild builds from them
// and from node_modules at build time (never committed). The console
// works without dist: the scripts only enhance forms and pages that work
// as plain HTML.
//
// static imports nothing of the project.
package static

import "embed"

//go:generate sh -c "mkdir -p dist && cp ../node_modules/htmx.org/dist/htmx.min.js dist/htmx.min.js"
//go:generate go tool esbuild src/app.js --bundle --minify --format=iife --outfile=dist/app.js --log-level=warning
//go:generate go tool esbuild src/designer.js --bundle --minify --format=iife --outfile=dist/designer.js --log-level=warning
//go:generate go tool esbuild src/steps.js --bundle --minify --format=iife --outfile=dist/steps.js --log-level=warning
//go:generate go tool esbuild src/charts.js --bundle --minify --format=iife --outfile=dist/charts.js --log-level=warning

// FS is the files served under /static/.
//
//go:embed app.css favicon.svg all:dist
var FS embed.FS
