// Colours of the console's scripts, read from the CSS custom properties
// of static/app.css, so every colour (a delivery state's above all) is
// written once, in the stylesheet, and the graph, the minimap, the
// exports and the charts draw what the pages show.

// colour is the value of the custom property --name on the page. A name
// the stylesheet does not define is a bug of this code, said loudly
// rather than drawn as an invisible default.
export function colour(name) {
  const v = getComputedStyle(document.documentElement).getPropertyValue("--" + name).trim();
  if (!v) throw new Error(`the colour --${name} is not defined in app.css (is the stylesheet loaded?)`);
  return v;
}

// stateColour is the colour --state-<state> of one of the live states of
// a subscription's deliveries (live.js's stateClasses).
export const stateColour = (state) => colour("state-" + state);
