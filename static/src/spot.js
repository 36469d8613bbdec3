// Where the designer places a node the side panel creates: the canvas
// picks the spot before the create form is posted (panel.js fills the
// form's hidden x and y with it), so the server saves the node's
// position in the same request and the answer's design change draws it
// there; refreshDesign uses the same spot for a new node that has none.

import { below } from "./graph.js";
import { appID } from "./ids.js";

// appSpot is where a new app goes: right of everything, in view; on an
// empty canvas, its middle.
export function appSpot(cy) {
  const bb = cy.elements().boundingBox(), ext = cy.extent();
  return cy.elements().length ? { x: bb.x2 + 110, y: Math.max(bb.y1, ext.y1) + 60 } : { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 };
}

// eventSpot is where a new event of app goes: under the app's lowest
// event, or where a new app would go when the app shows none.
export function eventSpot(cy, app) {
  return below(cy, appID(app)) || appSpot(cy);
}

// fillSpot writes the spot of the node form creates into its hidden x
// and y inputs (templates/canvasspot.templ); a form without them is left
// alone. Answers whether it filled them.
export function fillSpot(cy, form) {
  const x = form.querySelector('input[name="x"][data-canvas-spot]'), y = form.querySelector('input[name="y"]');
  if (!x || !y) return false;
  const p = x.dataset.canvasSpot === "event" ? eventSpot(cy, x.dataset.app) : appSpot(cy);
  x.value = String(p.x);
  y.value = String(p.y);
  return true;
}
