// Eventloom designer: the whole design on one canvas. Apps are compound
// nodes holding the events they own; a subscription is an edge from an
// event to the app handling it. Bundled by esbuild (go generate) with
// cytoscape, cytoscape-edgehandles and @dagrejs/dagre from npm.
import cytoscape from "cytoscape";
import { Graph, layout as dagreLayout } from "@dagrejs/dagre";
import edgehandles from "cytoscape-edgehandles";
import { startLive, fillPickers, relabel, showBacklog } from "./live.js";
import { minimap } from "./minimap.js";
import { toSVG, toPNG, download } from "./exporter.js";
import { Collapser } from "./collapse.js";
import { healthText } from "./health.js";
import { usualKinds, arrowLabel } from "./labels.js";
import { startTimeTravel } from "./timetravel.js";
import { eventRef, splitEventRef, subRef } from "./subref.js";
import { showSide, openSide, watchSide, savePositions } from "./panel.js";

cytoscape.use(edgehandles);

const appID = (name) => "app:" + name;
const eventID = (ref) => "event:" + ref;
const subID = (app, ref) => "sub:" + subRef(app, ref);

// labelWidth is about how wide a name is drawn at the events' 11px. An
// event's width comes from its data: cytoscape's deprecated width "label"
// leaves every edge undrawn and unclickable until a node moves, which a
// layout run used to hide.
const labelWidth = (name) => Math.ceil(name.length * 6.3) + 14;

// eventGap is the distance between the centres of an app's events: an
// event is eventHeight tall, so neighbours keep a clear gap between them.
const eventHeight = 34, eventGap = 50;

// appLabelPx is the smallest an app's name is drawn on screen, in pixels.
const appLabelPx = 12;

function elements(d) {
  const els = [];
  const lint = new Map(d.lints.map((l) => [l.subject, l]));
  for (const a of d.apps) {
    const health = healthText(a.failures);
    const cls = ["app", lint.has(a.name) ? "lint" : "", health ? "unhealthy" : ""].filter(Boolean).join(" ");
    els.push({ group: "nodes", data: { id: appID(a.name), name: a.name, base: a.name, label: [a.name, health].filter(Boolean).join("\n"), health, failures: a.failures || 0, color: a.color || "#64748b", kind: "app" }, classes: cls });
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

const style = [
  // Labels too small to read are not drawn: a zoomed-out large design
  // stays fluid, and zooming in brings them back.
  // 10 px on screen is the smallest text worth drawing.
  { selector: "node, edge", style: { "min-zoomed-font-size": 10 } },
  { selector: "node.app", style: { "background-color": "data(color)", "background-opacity": 0.12, "border-color": "data(color)", "border-width": 2, label: "data(label)", "text-valign": "top", "font-weight": "bold", "font-size": 14, padding: 18, shape: "round-rectangle", "min-width": 90, "min-height": 50 } },
  { selector: "node.app.collapsed", style: { "background-opacity": 0.3, "text-valign": "center", width: 150, height: 64, "border-width": 3 } },
  { selector: "node.event", style: { "background-color": "#fff", "border-width": 2, "border-color": "#2563eb", label: "data(label)", "text-valign": "center", "font-size": 12, shape: "round-rectangle", width: "data(w)", height: eventHeight, padding: 0 } },
  { selector: "node.private", style: { "border-style": "dashed", "border-color": "#64748b" } },
  { selector: "node.app.unhealthy", style: { "border-color": "#dc2626", "border-style": "dashed", "border-width": 3 } },
  { selector: "node.lint", style: { "underlay-color": "#f59e0b", "underlay-opacity": 0.35, "underlay-padding": 4 } },
  { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", width: 2, "line-color": "#94a3b8", "target-arrow-color": "#94a3b8", label: "data(label)", "font-size": 11, "text-background-color": "#fff", "text-background-opacity": 1, "text-background-padding": 2 } },
  // An app's own event: a loop out of the event's right side, into the
  // app's padding, clear of the events above and below.
  { selector: "edge.self", style: { "loop-direction": "90deg", "loop-sweep": "-40deg", "control-point-step-size": 80 } },
  { selector: "edge.meta", style: { width: "mapData(count, 1, 20, 2, 8)", "line-color": "#64748b", "target-arrow-color": "#64748b" } },
  { selector: "edge.paused", style: { "line-style": "dashed" } },
  { selector: "edge.saving", style: { "line-style": "dotted", opacity: 0.6 } },
  { selector: ".faded", style: { opacity: 0.25 } },
  { selector: "node.event.focus", style: { "border-color": "#f59e0b", "border-width": 4 } },
  { selector: ".highlight", style: { "line-color": "#2563eb", "target-arrow-color": "#2563eb", "border-color": "#2563eb", "border-width": 3 } },
  { selector: ":selected", style: { "border-color": "#f59e0b", "border-width": 3 } },
  { selector: ".eh-ghost-edge", style: { "line-color": "#2563eb", "target-arrow-color": "#2563eb", "line-style": "dashed" } },
  { selector: "node.event.hot", style: { "background-color": "mapData(heat, 0, 1, #fef3c7, #dc2626)" } },
  { selector: "node.pulse", style: { "background-color": "#bfdbfe", "border-color": "#1d4ed8", "border-width": 4 } },
  // Live states of a subscription's deliveries, and heat at high rates.
  { selector: "node, edge", style: { "text-wrap": "wrap" } },
  { selector: "edge.hot", style: { width: "mapData(heat, 0, 1, 2, 9)", "line-color": "mapData(heat, 0, 1, #fca5a5, #dc2626)", "target-arrow-color": "mapData(heat, 0, 1, #fca5a5, #dc2626)" } },
  { selector: "edge.running", style: { "line-color": "#3b82f6", "target-arrow-color": "#3b82f6", width: 4 } },
  { selector: "edge.succeeded", style: { "line-color": "#22c55e", "target-arrow-color": "#22c55e", width: 3 } },
  { selector: "edge.failed", style: { "line-color": "#f97316", "target-arrow-color": "#f97316", width: 4 } },
  { selector: "edge.retrying", style: { "line-color": "#f59e0b", "target-arrow-color": "#f59e0b", width: 3, "line-style": "dashed" } },
  { selector: "edge.dead", style: { "line-color": "#ef4444", "target-arrow-color": "#ef4444", width: 4, "line-style": "dotted" } },
];

function post(url, body) {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin" })
    .then(async (r) => ({ ok: r.ok, status: r.status, body: await r.json().catch(() => ({})) }));
}

function say(text, kind) {
  const box = document.getElementById("designer-message");
  box.textContent = text;
  box.className = "flash " + (kind || "ok");
  const shown = box.hidden;
  box.hidden = false;
  // The message pushes the canvas down: Cytoscape caches where its
  // container is, so tell it, or pointer events land off their nodes.
  if (shown && window.designer) window.designer.cy.resize();
}

// arrangement lays a design out left to right as an architecture reads:
// dagre ranks the apps (an app after the apps whose events it handles) and
// orders each rank to cross few arrows; each app's events stand in a
// column inside it. Laying out apps rather than events keeps every app a
// tidy box, which dagre cannot do for compound nodes itself. It works on
// the design document, so the first layout is in place before the canvas
// draws. Returns positions by node id.
function arrangement(d) {
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

function saveLayout(nodes, replace) {
  // A role that may not change the design moves nodes for itself only:
  // nothing is saved (the server would refuse it).
  if (document.getElementById("cy").dataset.canDesign === "false") return Promise.resolve({ ok: false, status: 403, body: {} });
  const positions = {};
  nodes.forEach((n) => {
    if (n.isParent()) return; // a compound's position follows its children
    const p = n.position();
    positions[n.id()] = { x: p.x, y: p.y };
  });
  return savePositions(positions, replace).then((r) => {
    if (window.designer) window.designer.saves++;
    return r;
  });
}

function start() {
  const data = JSON.parse(document.getElementById("cy").dataset.design);
  const t0 = performance.now();
  const saved = data.positions || {};
  const els = elements(data);
  const allPlaced = els.filter((e) => e.group === "nodes" && !(e.data.kind === "app" && data.events.some((ev) => ev.app === e.data.label))).every((e) => saved[e.data.id]);
  const placed = allPlaced ? saved : arrangement(data);

  const cy = cytoscape({
    container: document.getElementById("cy"),
    elements: els,
    style,
    layout: { name: "preset", positions: (n) => placed[n.id()], fit: true, padding: 30 },
    wheelSensitivity: 0.3,
    // Large designs stay fluid: while panning or zooming the canvas shows
    // a snapshot instead of redrawing every label and edge.
    ...(els.length > 400 ? { textureOnViewport: true, hideEdgesOnViewport: true, pixelRatio: 1 } : {}),
  });
  // A small design opens at a natural size rather than blown up to fill
  // the canvas.
  if (cy.zoom() > 1.25) { cy.zoom(1.25); cy.center(); }
  // ready (for tests and the curious) once the graph is drawn.
  cy.one("render", () => requestAnimationFrame(() => drawn()));
  const drawn = () => {
    window.designer.ready = true;
    window.designer.loadMs = performance.now() - t0;
  };
  // The preview edge gets cytoscape's own id: a drag passing over an app
  // that already handles the event offers no preview at all (its edge
  // exists), and the stored edge is added with its real id on the drop.
  // No hover delay: a drop counts the moment the pointer is on the app.
  const eh = cy.edgehandles({
    canConnect: (src, tgt) => src.hasClass("event") && tgt.hasClass("app") && !tgt.hasClass("collapsed")
      && cy.getElementById(subID(tgt.data("name"), src.data("ref"))).empty(),
    edgeParams: () => ({ data: { label: "" }, classes: "sub" }),
    snap: false,
    hoverDelay: 0,
  });
  // The last gesture event, for a test that must explain a failed drag.
  cy.on("ehstart ehstop ehcancel ehhoverover ehhoverout", (ev) => { if (window.designer) window.designer.gesture = ev.type; });
  cy.on("ehcomplete", async (ev, source, target, preview) => {
    const app = target.data("name"), ref = source.data("ref"), id = subID(app, ref);
    cy.remove(preview);
    if (cy.getElementById(id).length) return;
    const kinds = cy.edges(".sub").filter((e) => e.data("app") === app).map((e) => ({ app, kind: e.data("kind") }));
    const base = usualKinds([...kinds, { app, kind: "flow" }]).get(app) === "flow" ? "" : "flow";
    const self = ref.slice(0, ref.indexOf(".")) === app;
    const added = cy.add({ group: "edges", data: { id, source: source.id(), target: self ? source.id() : target.id(), base, label: base, kind: "flow", app, ref }, classes: self ? "sub self" : "sub" });
    // Dotted until the server has stored it, so nobody edits an edge
    // that may yet be refused.
    added.addClass("saving");
    say("Subscribing " + app + " to " + ref + "…", "info");
    const r = await post("/designer/subscribe", { app, event: ref });
    added.removeClass("saving");
    if (!r.ok) {
      cy.remove(added);
      say((r.body.error && r.body.error.message) || "The subscription was refused.", "error");
      return;
    }
    say(app + " now handles " + ref + " with a flow; click the edge to edit it.");
  });
  const folds = new Collapser(cy);
  cy.on("dragfree", "node", (ev) => {
    if (ev.target.hasClass("collapsed")) return; // its events are saved when it opens
    if (ev.target.hasClass("event")) clearOfSiblings(ev.target);
    saveLayout(ev.target.isParent() ? ev.target.descendants() : ev.target, false);
  });
  cy.on("tap", "node.event", (ev) => highlight(cy, ev.target));
  cy.on("tap", (ev) => { if (ev.target === cy) cy.elements().removeClass("faded highlight focus"); });
  cy.on("tap", "node, edge", (ev) => { if (!ev.target.hasClass("meta")) showSide(ev.target); });
  // A double click folds an app into one box, or opens it again.
  const toggleApp = (id) => {
    if (folds.isCollapsed(id)) {
      const moved = folds.expand(id);
      if (moved.length) saveLayout(moved, false);
    } else folds.collapse(id);
    foldLabel();
  };
  cy.on("dbltap", "node.app", (ev) => toggleApp(ev.target.id()));
  const foldButton = document.getElementById("fold");
  const foldLabel = () => {
    const any = folds.names().length > 0;
    foldButton.textContent = any ? "Expand apps" : "Collapse apps";
    foldButton.setAttribute("aria-pressed", String(any));
  };
  foldButton.addEventListener("click", () => {
    if (folds.names().length) {
      const moved = folds.expandAll();
      if (moved.length) saveLayout(moved, false);
    } else folds.collapseAll();
    foldLabel();
  });
  const map = minimap(cy);
  // App names stay readable at any zoom (at least appLabelPx on screen),
  // so a zoomed-out design still says which box is which; event and
  // arrow labels come back as the zoom makes them readable.
  let appFont = 0, fontFrame = 0;
  const scaleAppLabels = () => {
    fontFrame = 0;
    const px = Math.max(14, Math.round(appLabelPx / cy.zoom() / 2) * 2);
    if (px === appFont) return;
    appFont = px;
    cy.style().selector("node.app").style("font-size", px).update();
  };
  cy.on("zoom", () => { if (!fontFrame) fontFrame = requestAnimationFrame(scaleAppLabels); });
  scaleAppLabels();
  document.getElementById("export-svg").addEventListener("click", () => {
    const svg = toSVG(cy);
    window.designer.lastExport = { type: "image/svg+xml", size: svg.length, head: svg.slice(0, 100) };
    download(new Blob([svg], { type: "image/svg+xml" }), "eventloom-design.svg");
  });
  document.getElementById("export-png").addEventListener("click", () => {
    const png = toPNG(cy);
    window.designer.lastExport = { type: png.type, size: png.size };
    download(png, "eventloom-design.png");
  });

  document.getElementById("connect").addEventListener("click", (e) => {
    const on = e.currentTarget.getAttribute("aria-pressed") !== "true";
    e.currentTarget.setAttribute("aria-pressed", String(on));
    if (on) eh.enableDrawMode(); else eh.disableDrawMode();
  });
  document.getElementById("arrange").addEventListener("click", () => {
    const to = arrangement(JSON.parse(document.getElementById("cy").dataset.design));
    cy.batch(() => cy.nodes().forEach((n) => { if (to[n.id()]) n.position(to[n.id()]); }));
    cy.animate({ fit: { eles: cy.elements(), padding: 30 } }, { duration: 200 });
    saveLayout(cy.nodes(), true).then((r) => { if (r.ok) say("Arranged and saved."); });
  });
  document.getElementById("fit").addEventListener("click", () => cy.fit(undefined, 30));
  document.getElementById("search").addEventListener("change", (e) => {
    const q = e.target.value.trim().toLowerCase();
    const hit = cy.nodes().filter((n) => n.data("label").toLowerCase() === q || (n.data("ref") || "").toLowerCase() === q)[0]
      || cy.nodes().filter((n) => n.data("label").toLowerCase().includes(q))[0];
    if (!hit) { say("Nothing is named like " + e.target.value, "error"); return; }
    cy.elements().unselect();
    hit.select();
    cy.animate({ fit: { eles: hit, padding: 120 } }, { duration: 200 });
    if (hit.hasClass("event")) highlight(cy, hit);
  });
  showBacklog(cy, data.backlog || {});

  // Create and delete from the canvas. Editors open beside the graph; a
  // deletion asks first and redraws the design afterwards.
  const selected = () => cy.$(":selected").filter((e) => e.isEdge() || e.hasClass("app") || e.hasClass("event"))[0];
  cy.on("select unselect", () => {
    const el = selected();
    document.getElementById("delete").disabled = !el;
    document.getElementById("new-event").disabled = !(el && el.hasClass("app"));
  });
  document.getElementById("new-app").addEventListener("click", () => openSide("/apps", "New app", "#create"));
  document.getElementById("new-event").addEventListener("click", () => {
    const el = selected();
    if (el && el.hasClass("app")) openSide("/apps/" + el.data("name") + "/events/new", "New event in " + el.data("name"));
  });
  watchSide(cy, refreshDesign);
  document.getElementById("delete").addEventListener("click", async () => {
    const el = selected();
    if (!el) return;
    let url, what;
    if (el.isEdge()) { url = `/apps/${el.data("app")}/subscriptions/${el.data("ref")}/delete`; what = `${el.data("app")}'s subscription to ${el.data("ref")}`; }
    else if (el.hasClass("app")) { url = `/apps/${el.data("name")}/delete`; what = `the app ${el.data("name")} with its events and subscriptions`; }
    else { const { app, name } = splitEventRef(el.data("ref")); url = `/apps/${app}/events/${name}/delete`; what = `the event ${el.data("ref")}`; }
    if (!confirm(`Delete ${what}?`)) return;
    const post = (body) => fetch(url, { method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" }, body });
    let r = await post();
    let body = r.ok || r.redirected ? {} : await r.json().catch(() => ({}));
    // Breaking other apps' subscriptions needs a second, informed yes.
    if (body.error && body.error.code === "breaking_change") {
      const list = (body.error.breaks || []).map((b) => `  ${b.subscription}: ${b.reason}`).join("\n");
      if (!confirm(`Deleting ${what} breaks subscriptions of other apps:\n${list}\n\nDelete anyway?`)) { say("Nothing was deleted.", "info"); return; }
      r = await post(new URLSearchParams({ confirm: "breaking" }));
      body = r.ok || r.redirected ? {} : await r.json().catch(() => ({}));
    }
    if (r.ok || r.redirected) { cy.remove(el.isNode() ? el.union(el.descendants()).union(el.connectedEdges()) : el); say("Deleted " + what + "."); return; }
    say((body.error && body.error.message) || "The deletion was refused (" + r.status + ").", "error");
  });

  window.designer = {
    cy,
    ready: false,
    saves: 0,
    refreshes: 0,
    loadMs: 0,
    // pagePos is where a node is on the page, for tests that drive the
    // canvas with real pointer events.
    pagePos(id) {
      const n = cy.getElementById(id), box = cy.container().getBoundingClientRect(), p = n.renderedPosition();
      return { x: box.left + p.x, y: box.top + p.y };
    },
    // padPos is a point inside a compound app's padding, off its events.
    padPos(id) {
      const n = cy.getElementById(id), box = cy.container().getBoundingClientRect(), b = n.renderedBoundingBox({ includeLabels: false, includeOverlays: false });
      return { x: box.left + b.x1 + 8, y: box.top + (b.y1 + b.y2) / 2 };
    },
    hasEdge(id) { return cy.getElementById(id).length > 0; },
    position(id) { return cy.getElementById(id).position(); },
    folds, minimap: map, toggleApp,
    toSVG: () => toSVG(cy),
    lastExport: null,
  };
  if (cy.elements().length === 0) drawn(); // nothing to wait for
  startTimeTravel(cy);

}

// highlight marks what is downstream (who handles it, and what their
// flows trigger) and upstream of an event, fading the rest.
function highlight(cy, node) {
  const flows = JSON.parse(document.getElementById("cy").dataset.design).flows || {};
  let marked = node.union(node.predecessors()).union(node.successors());
  // A handling app's flow triggers its own events: follow those too.
  const seen = new Set();
  const walk = (ev) => {
    if (seen.has(ev.id())) return;
    seen.add(ev.id());
    ev.connectedEdges().filter((e) => e.source().same(ev)).forEach((edge) => {
      marked = marked.union(edge).union(edge.target());
      for (const to of flows[subRef(edge.data("app"), edge.data("ref"))] || []) {
        const next = cy.getElementById(eventID(to));
        if (next.length) { marked = marked.union(next); walk(next); }
      }
    });
  };
  walk(node);
  // An app's opacity multiplies into its events': the apps holding what
  // is marked stay opaque (their unrelated events fade on their own).
  const holders = marked.nodes().parents();
  cy.elements().addClass("faded").removeClass("highlight focus");
  marked.union(holders).removeClass("faded");
  marked.addClass("highlight");
  node.addClass("focus");
}


// refreshDesign redraws the canvas from a design document (the shape of
// /designer/data): new apps, events and subscriptions appear (new nodes
// near their app), removed ones go, labels, colours and lints follow;
// nothing is laid out again.
function refreshDesign(cy, data) {
  document.getElementById("cy").dataset.design = JSON.stringify(data);
  // Folded apps open while the design is compared, then fold again.
  const folds = window.designer && window.designer.folds, folded = folds ? folds.names() : [];
  if (folds) folds.expandAll();
  const els = elements(data), want = new Set(els.map((e) => e.data.id));
  cy.batch(() => {
    cy.elements().filter((x) => !x.hasClass("eh-ghost") && !x.hasClass("eh-preview") && !x.hasClass("eh-handle") && !x.hasClass("meta") && !want.has(x.id())).remove();
    // A new app (with no saved place) goes right of everything, in view.
    const bb = cy.elements().boundingBox(), ext = cy.extent();
    const center = cy.elements().length ? { x: bb.x2 + 110, y: Math.max(bb.y1, ext.y1) + 60 } : { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 };
    for (const e of els.filter((x) => x.group === "nodes")) addOrUpdate(cy, e, data.positions, center);
    for (const e of els.filter((x) => x.group === "edges")) addOrUpdate(cy, e, data.positions, center);
  });
  const grown = cy.nodes(".app").filter((a) => a.data("fresh") || a.children().some((k) => k.data("fresh")));
  cy.nodes().removeData("fresh");
  const moved = grown.length ? makeRoom(cy, grown) : cy.collection();
  if (moved.length) saveLayout(moved, false);
  const out = grown.filter((a) => { const b = a.boundingBox(), e = cy.extent(); return b.x2 > e.x2 || b.y2 > e.y2 || b.x1 < e.x1 || b.y1 < e.y1; });
  if (out.length) cy.animate({ fit: { eles: cy.elements(), padding: 30 } }, { duration: 200 });
  if (folds) for (const id of folded) folds.collapse(id);
  showBacklog(cy, data.backlog || {});
  fillPickers(data);
  showLints(data.lints);
  if (window.designer) window.designer.refreshes++;
}

// clearOfSiblings moves an event dropped onto another event of its app
// just below it (and below any it then meets), so no two overlap.
function clearOfSiblings(ev) {
  const overlap = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  for (let i = 0; i < 50; i++) {
    const box = ev.boundingBox({ includeLabels: false });
    const hit = ev.siblings().filter((o) => overlap(box, o.boundingBox({ includeLabels: false })))[0];
    if (!hit) return;
    ev.position({ x: ev.position("x"), y: hit.position("y") + eventGap });
  }
}

// below is where a new event goes in its app: under the app's lowest
// event, in line with the others, so it covers no edge leaving them.
function below(cy, parentID) {
  const kids = parentID ? cy.getElementById(parentID).children() : cy.collection();
  if (!kids.length) return null;
  let x = Infinity, y = -Infinity;
  kids.forEach((k) => { x = Math.min(x, k.position("x")); y = Math.max(y, k.position("y")); });
  return { x, y: y + eventGap };
}

// showLints rewrites the list of lints under the canvas.
function showLints(lints) {
  const ul = document.querySelector('[data-testid="lints"]');
  if (!ul) return;
  ul.replaceChildren(...lints.map((l) => {
    const li = document.createElement("li"), b = document.createElement("strong");
    li.dataset.code = l.code;
    b.textContent = l.subject;
    li.append(b, ": " + l.message);
    return li;
  }));
  const none = document.querySelector('[data-testid="no-lints"]');
  if (none) none.hidden = lints.length > 0;
}

// makeRoom moves apps that an app grown by a new event now overlaps down
// out of its way (and whatever they then overlap, in turn), and returns
// the event nodes it moved, for saving.
function makeRoom(cy, grown) {
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

function addOrUpdate(cy, e, saved, center) {
  const x = cy.getElementById(e.data.id);
  if (!x.length) {
    if (e.group === "nodes") {
      e.position = saved[e.data.id] || below(cy, e.data.parent) || center;
      if (!saved[e.data.id]) e.data.fresh = true;
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

function safeStart() {
  try {
    start();
  } catch (e) {
    window.designerError = String(e && e.stack || e);
    say("The designer could not start: " + e, "error");
  }
  // The live log works even when the canvas could not start.
  startLive(JSON.parse(document.getElementById("cy").dataset.design));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", safeStart); else safeStart();
