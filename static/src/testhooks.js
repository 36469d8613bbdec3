// The one place the console exposes its inner state to browser tests
// (and the curious, from the devtools console): window.__eventloomTest.
// Modules talk to each other through imports and DOM events, never
// through window; a test reads what a module exposes here, by name:
//
//   designer  the canvas (cy, ready, saves, pagePos, ...), designer.js
//   live      the live view's state (trail, animated, stats, ...), live.js
//   travel    time travel's state (loads, t, playing, ...), timetravel.js
//   trace     the trace pages' live counts (notes, refreshes), app.js
//   error     why the designer could not start, if it could not
//
// Each bundle (designer, app, steps, charts) carries its own copy of
// this module; they share the one namespace on window.

const name = "__eventloomTest";

// expose makes value readable by tests as window.__eventloomTest[key] and
// returns it.
export function expose(key, value) {
  const hooks = window[name] || (window[name] = {});
  hooks[key] = value;
  return value;
}
