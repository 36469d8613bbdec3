package static

import "io/fs"

// bundle lists the files go generate builds into dist/ from node_modules;
// without them the designer cannot draw, htmx does not enhance forms and
// the overview has no charts.
var bundle = []string{"dist/htmx.min.js", "dist/app.js", "dist/designer.js", "dist/steps.js", "dist/charts.js", "dist/charts.css"}

// Missing returns the bundle files this binary was built without (empty
// when it is complete), so the server can say so at start-up and on
// every page instead of serving a dead canvas.
func Missing() []string {
	var out []string
	for _, name := range bundle {
		if _, err := fs.Stat(FS, name); err != nil {
			out = append(out, name)
		}
	}
	return out
}

// BuildCommand is what builds the bundle on a fresh clone.
const BuildCommand = "make run (or: npm ci --ignore-scripts && go generate ./static/..., then rebuild)"
