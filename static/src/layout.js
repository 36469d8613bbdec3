// Positions on the designer's canvas: the automatic arrangement, keeping
// events and apps from overlapping as they are moved or grow, and
// keeping what is clicked in view.
import { Graph, layout as dagreLayout } from "@dagrejs/dagre";
import { appID, eventID } from "./ids.js";
import { eventRef } from "./subref.js";
import { labelWidth, eventGap } from "./graph.js";

// arrangement lays a design out left to right as an architecture reads:
// dagre ranks the apps (an app after the apps whose events it handles) and
// orders each rank to cross few arrows; each app's events stand in a
// column inside it. Laying out apps rather than events keeps every app a
// tidy box, which dagre cannot do for compound nodes itself. It works on
// the design document, so the first layout is in place before the canvas
// draws. Returns positions by node id.
export function arrangement(d) {
  const gap = eventGap;
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 50, ranksep: 160, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const owned = new Map(d.apps.map((a) => [a.name, []]));
  for (const e of d.events) owned.get(e.app)?.push(e);
  for (const [app, evs] of owned) {
    const width = Math.max(110, ...evs.map((e) => labelWidth(e.name) + 40));
    g.setNode(appID(app), { width, height: Math.max(60, evs.length * gap + 40) });
  }
  for (const s of d.subscriptions) {
    const from = appID(s.event.slice(0, s.event.indexOf("."))), to = appID(s.app);
    if (from !== to && g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to);
  }
  dagreLayout(g);
  const out = {};
  for (const [app, evs] of owned) {
    const p = g.node(appID(app));
    if (!evs.length) out[appID(app)] = { x: p.x, y: p.y };
    evs.forEach((e, i) => { out[eventID(eventRef(e.app, e.name))] = { x: p.x, y: p.y + (i - (evs.length - 1) / 2) * gap }; });
  }
  return out;
}

// clearOfSiblings moves an event dropped onto another event of its app
// just below it (and below any it then meets), so no two overlap.
export function clearOfSiblings(ev) {
  const overlap = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  for (let i = 0; i < 50; i++) {
    const box = ev.boundingBox({ includeLabels: false });
    const hit = ev.siblings().filter((o) => overlap(box, o.boundingBox({ includeLabels: false })))[0];
    if (!hit) return;
    ev.position({ x: ev.position("x"), y: hit.position("y") + eventGap });
  }
}

// makeRoom moves apps that an app grown by a new event now overlaps down
// out of its way (and whatever they then overlap, in turn), and returns
// the event nodes it moved, for saving.
export function makeRoom(cy, grown) {
  let moved = cy.collection(), todo = grown.toArray();
  const overlap = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  for (let pass = 0; todo.length && pass < 50; pass++) {
    const app = todo.shift(), box = app.boundingBox();
    for (const other of cy.nodes().orphans()) {
      if (other.same(app) || !overlap(box, other.boundingBox())) continue;
      const dy = box.y2 - other.boundingBox().y1 + 30;
      const what = other.isParent() ? other.children() : other;
      what.shift({ x: 0, y: dy });
      moved = moved.union(what);
      todo.push(other);
    }
  }
  return moved;
}

// inView reports whether the rendered box b lies in the canvas with a
// margin of m pixels.
export const inView = (cy, b, m) => b.x1 >= m && b.y1 >= m && b.x2 <= cy.width() - m && b.y2 <= cy.height() - m;

// keepInView pans the least that brings el wholly into view with a
// margin (zooming out only for something larger than the view), so the
// rest of the picture moves as little as it can. At once, not animated:
// the next click must land where the canvas shows things.
export function keepInView(cy, el) {
  const b = el.renderedBoundingBox({ includeLabels: true }), m = 30, w = cy.width(), h = cy.height();
  if (inView(cy, b, m)) return;
  if (b.w > w - 2 * m || b.h > h - 2 * m) { cy.fit(el, m); return; }
  const dx = b.x2 > w - m ? w - m - b.x2 : b.x1 < m ? m - b.x1 : 0;
  const dy = b.y2 > h - m ? h - m - b.y2 : b.y1 < m ? m - b.y1 : 0;
  cy.panBy({ x: dx, y: dy });
}

// fitClear fits eles (the whole design by default) in the canvas with a
// margin of m pixels and no closer than maxZoom, clear of the minimap in
// the canvas's bottom-right corner: above it or to its left, whichever
// shows the design larger. A plain fit would draw nodes under the
// minimap once the side panel narrows the canvas, where nobody can see
// or grab them (a press there pans the view instead).
export function fitClear(cy, eles = cy.elements(), m = 30, maxZoom = 1.25) {
  if (eles.empty()) return;
  const bb = eles.boundingBox(), w = cy.width(), h = cy.height();
  const map = cy.container().querySelector(".minimap");
  const mw = map ? map.offsetWidth + 8 : 0, mh = map ? map.offsetHeight + 8 : 0;
  // Each region is {w, h} from the canvas's top-left corner.
  const regions = map ? [{ w, h: h - mh }, { w: w - mw, h }] : [{ w, h }];
  let best = null;
  for (const r of regions) {
    const z = Math.min(maxZoom, (r.w - 2 * m) / (bb.w || 1), (r.h - 2 * m) / (bb.h || 1));
    if (z > 0 && (!best || z > best.z)) best = { z, r };
  }
  if (!best) { cy.fit(eles, m); return; } // a canvas too small for any margin
  const { z, r } = best;
  cy.viewport({ zoom: z, pan: { x: r.w / 2 - (bb.x1 + bb.w / 2) * z, y: r.h / 2 - (bb.y1 + bb.h / 2) * z } });
}

// refitOnResize keeps a design that was wholly in view in view, clear of
// the minimap, when the canvas changes size: the side panel narrows it
// when it opens and again when its page arrives (the panel grows to fit
// a form), after any fit made on opening. A view a person moved off part
// of the design is left as it is.
export function refitOnResize(cy) {
  let w = cy.width(), h = cy.height();
  cy.on("resize", () => {
    const b = cy.elements().renderedBoundingBox(), was = b.x1 >= 0 && b.y1 >= 0 && b.x2 <= w && b.y2 <= h;
    w = cy.width(); h = cy.height();
    if (was && !clearInView(cy, b)) fitClear(cy);
  });
}

// clearInView reports whether the rendered box b lies in the canvas and
// off the minimap.
function clearInView(cy, b) {
  if (!inView(cy, b, 0)) return false;
  const map = cy.container().querySelector(".minimap");
  if (!map) return true;
  const c = cy.container().getBoundingClientRect(), r = map.getBoundingClientRect();
  const x1 = r.left - c.left, y1 = r.top - c.top;
  return b.x2 <= x1 || b.y2 <= y1;
}
