// The designer's graph: the ids of its nodes and edges, the elements a
// design document draws (apps holding their events, subscriptions as
// arrows), the canvas's stylesheet, and how a redraw adds or updates an
// element. Positions are layout.js's.
import { relabel } from "./live.js";
import { healthText } from "./health.js";
import { usualKinds, arrowLabel } from "./labels.js";
import { colour, stateColour } from "./colours.js";
import { appID, eventID, subID } from "./ids.js";
import { eventRef } from "./subref.js";

// labelWidth is about how wide a name is drawn at the events' 11px. An
// event's width comes from its data: cytoscape's deprecated width "label"
// leaves every edge undrawn and unclickable until a node moves, which a
// layout run used to hide.
export const labelWidth = (name) => Math.ceil(name.length * 6.3) + 14;

// eventGap is the distance between the centres of an app's events: an
// event is eventHeight tall, so neighbours keep a clear gap between them.
export const eventHeight = 34, eventGap = 50;

// elements are the cytoscape elements of a design document.
export function elements(d) {
  const els = [];
  const lint = new Map(d.lints.map((l) => [l.subject, l]));
  for (const a of d.apps) {
    const health = healthText(a.failures);
    const cls = ["app", lint.has(a.name) ? "lint" : "", health ? "unhealthy" : ""].filter(Boolean).join(" ");
    els.push({ group: "nodes", data: { id: appID(a.name), name: a.name, base: a.name, label: [a.name, health].filter(Boolean).join("\n"), health, failures: a.failures || 0, color: a.color || colour("graph-app"), kind: "app" }, classes: cls });
  }
  for (const e of d.events) {
    const ref = eventRef(e.app, e.name);
    const cls = ["event", e.public ? "public" : "private"];
    if (lint.has(ref)) cls.push("lint");
    els.push({ group: "nodes", data: { id: eventID(ref), parent: appID(e.app), base: e.name, label: e.name, ref, kind: "event", w: labelWidth(e.name) }, classes: cls.join(" ") });
  }
  const usual = usualKinds(d.subscriptions);
  for (const s of d.subscriptions) {
    const ref = s.event, base = arrowLabel(s, usual);
    const cls = ["sub"];
    if (s.paused) cls.push("paused");
    if (s.filter) cls.push("filtered");
    // An app handling its own event: a loop on the event. Cytoscape draws
    // an edge into its source's own parent as a loop round the parent's
    // corner, which reads as leaving whichever event sits there.
    const self = ref.slice(0, ref.indexOf(".")) === s.app;
    if (self) cls.push("self");
    els.push({ group: "edges", data: { id: subID(s.app, ref), source: eventID(ref), target: self ? eventID(ref) : appID(s.app), base, label: base, kind: s.kind, app: s.app, ref }, classes: cls.join(" ") });
  }
  return els;
}

// graphStyle is the canvas's stylesheet, its colours read from app.css.
export function graphStyle() {
  const c = colour, state = stateColour;
  const line = (col) => ({ "line-color": col, "target-arrow-color": col });
  return [
    // Labels too small to read are not drawn: a zoomed-out large design
    // stays fluid, and zooming in brings them back.
    // 10 px on screen is the smallest text worth drawing.
    { selector: "node, edge", style: { "min-zoomed-font-size": 10 } },
    { selector: "node.app", style: { "background-color": "data(color)", "background-opacity": 0.12, "border-color": "data(color)", "border-width": 2, label: "data(label)", "text-valign": "top", "font-weight": "bold", "font-size": 14, padding: 18, shape: "round-rectangle", "min-width": 90, "min-height": 50 } },
    { selector: "node.app.collapsed", style: { "background-opacity": 0.3, "text-valign": "center", width: 150, height: 64, "border-width": 3 } },
    { selector: "node.event", style: { "background-color": c("graph-paper"), "border-width": 2, "border-color": c("graph-event"), label: "data(label)", "text-valign": "center", "font-size": 12, shape: "round-rectangle", width: "data(w)", height: eventHeight, padding: 0 } },
    { selector: "node.private", style: { "border-style": "dashed", "border-color": c("graph-private") } },
    { selector: "node.app.unhealthy", style: { "border-color": c("graph-unhealthy"), "border-style": "dashed", "border-width": 3 } },
    { selector: "node.lint", style: { "underlay-color": c("graph-lint"), "underlay-opacity": 0.35, "underlay-padding": 4 } },
    { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", width: 2, ...line(c("graph-edge")), label: "data(label)", "font-size": 11, "text-background-color": c("graph-paper"), "text-background-opacity": 1, "text-background-padding": 2 } },
    // An app's own event: a loop out of the event's right side, into the
    // app's padding, clear of the events above and below.
    { selector: "edge.self", style: { "loop-direction": "90deg", "loop-sweep": "-40deg", "control-point-step-size": 80 } },
    { selector: "edge.meta", style: { width: "mapData(count, 1, 20, 2, 8)", ...line(c("graph-meta")) } },
    { selector: "edge.paused", style: { "line-style": "dashed" } },
    { selector: "edge.saving", style: { "line-style": "dotted", opacity: 0.6 } },
    { selector: ".faded", style: { opacity: 0.25 } },
    { selector: "node.event.focus", style: { "border-color": c("graph-select"), "border-width": 4 } },
    { selector: ".highlight", style: { ...line(c("graph-event")), "border-color": c("graph-event"), "border-width": 3 } },
    { selector: ":selected", style: { "border-color": c("graph-select"), "border-width": 3 } },
    { selector: ".eh-ghost-edge", style: { ...line(c("graph-event")), "line-style": "dashed" } },
    { selector: "node.event.hot", style: { "background-color": `mapData(heat, 0, 1, ${c("graph-heat-cold")}, ${c("graph-heat-hot")})` } },
    { selector: "node.pulse", style: { "background-color": c("graph-pulse-fill"), "border-color": c("graph-pulse"), "border-width": 4 } },
    // Live states of a subscription's deliveries, and heat at high rates.
    { selector: "node, edge", style: { "text-wrap": "wrap" } },
    { selector: "edge.hot", style: { width: "mapData(heat, 0, 1, 2, 9)", ...line(`mapData(heat, 0, 1, ${c("graph-edge-heat-cold")}, ${c("graph-heat-hot")})`) } },
    { selector: "edge.running", style: { ...line(state("running")), width: 4 } },
    { selector: "edge.succeeded", style: { ...line(state("succeeded")), width: 3 } },
    { selector: "edge.failed", style: { ...line(state("failed")), width: 4 } },
    { selector: "edge.retrying", style: { ...line(state("retrying")), width: 3, "line-style": "dashed" } },
    { selector: "edge.dead", style: { ...line(state("dead")), width: 4, "line-style": "dotted" } },
  ];
}

// below is where a new event goes in its app: under the app's lowest
// event, in line with the others, so it covers no edge leaving them.
export function below(cy, parentID) {
  const kids = parentID ? cy.getElementById(parentID).children() : cy.collection();
  if (!kids.length) return null;
  let x = Infinity, y = -Infinity;
  kids.forEach((k) => { x = Math.min(x, k.position("x")); y = Math.max(y, k.position("y")); });
  return { x, y: y + eventGap };
}

// addOrUpdate adds a new element of a redraw (placed where it was saved,
// under its app's events, or at center) or brings an existing one up to
// date, keeping its live classes.
export function addOrUpdate(cy, e, saved, center) {
  const x = cy.getElementById(e.data.id);
  if (!x.length) {
    if (e.group === "nodes") {
      e.position = saved[e.data.id] || below(cy, e.data.parent) || center;
      e.data.fresh = true; // new, even where saved (a panel's create): its app may need room
    }
    cy.add(e);
    return;
  }
  for (const [k, v] of Object.entries(e.data)) {
    if (k === "id" || k === "source" || k === "target" || k === "parent") continue;
    if (k === "label") continue; // relabel joins the name and the live numbers
    if (x.data(k) !== v) x.data(k, v);
  }
  relabel(x);
  if (e.data.parent && x.data("parent") !== e.data.parent) x.move({ parent: e.data.parent });
  const keep = (x.classes() || []).filter((c) => !["app", "event", "public", "private", "lint", "sub", "paused", "self"].includes(c));
  x.classes([...e.classes.split(" "), ...keep].join(" "));
}
