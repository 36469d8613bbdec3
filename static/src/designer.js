// Eventloom designer: the whole design on one canvas. Apps are compound
// nodes holding the events they own; a subscription is an edge from an
// event to the app handling it. Bundled by esbuild (go generate) with
// cytoscape, cytoscape-edgehandles and @dagrejs/dagre from npm.
import cytoscape from "cytoscape";
import edgehandles from "cytoscape-edgehandles";
import { startLive, attachDesigner, fillPickers, showBacklog } from "./live.js";
import { minimap } from "./minimap.js";
import { toSVG, toPNG, download } from "./exporter.js";
import { Collapser } from "./collapse.js";
import { usualKinds } from "./labels.js";
import { startTimeTravel } from "./timetravel.js";
import { request, getJSON, path } from "./api.js";
import { eventID, subID } from "./ids.js";
import { splitEventRef, subRef } from "./subref.js";
import { showSide, openSide, postSide, watchSide, savePositions } from "./panel.js";
import { elements, graphStyle, addOrUpdate } from "./graph.js";
import { arrangement, clearOfSiblings, makeRoom, inView, keepInView, fitClear, refitOnResize } from "./layout.js";
import { expose } from "./testhooks.js";
import { appSpot } from "./spot.js";

cytoscape.use(edgehandles);

// view is the canvas and what tests read of it (testhooks.js's
// "designer"): cy once drawn, ready once its first frame is on screen,
// and counts of the saves begun (saving) and done, and of redraws.
const view = expose("designer", { cy: null, ready: false, saves: 0, saving: 0, refreshes: 0, loadMs: 0, gesture: "", lastExport: null });

// appLabelPx is the smallest an app's name is drawn on screen, in pixels.
const appLabelPx = 12;

function say(text, kind) {
  const box = document.getElementById("designer-message");
  const height = box.hidden ? -1 : box.offsetHeight;
  box.textContent = text;
  box.className = "flash " + (kind || "ok");
  box.hidden = false;
  // The message pushes the canvas down (when it appears, or wraps onto
  // more lines): Cytoscape caches where its container is, so tell it, or
  // pointer events land off their nodes.
  if (box.offsetHeight !== height && view.cy) view.cy.resize();
}

function saveLayout(nodes, replace) {
  // A role that may not change the design moves nodes for itself only:
  // nothing is saved (the server would refuse it).
  if (document.getElementById("cy").dataset.canDesign === "false") return Promise.resolve(false);
  const positions = {};
  nodes.forEach((n) => {
    if (n.isParent()) return; // a compound's position follows its children
    const p = n.position();
    positions[n.id()] = { x: p.x, y: p.y };
  });
  view.saving++; // saves begun: one counts the moment it is asked for
  return savePositions(positions, replace).then((r) => {
    view.saves++;
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
    style: graphStyle(),
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
    view.ready = true;
    view.loadMs = performance.now() - t0;
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
  cy.on("ehstart ehstop ehcancel ehhoverover ehhoverout", (ev) => { view.gesture = ev.type; });
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
    // The side panel's subscription form, saved with a one-step flow to
    // start from: the panel shows the app (or the form with its errors)
    // and the answer's design change draws the stored edge.
    const saved = await postSide(path("apps", app, "subscriptions", "new"), app + " handles " + ref, {
      event: ref, kind: "flow", enabled: "true", step: "s1", "step.s1.type": "log", "step.s1.message": app + " received " + ref,
    });
    added.removeClass("saving");
    if (!saved.ok) {
      cy.remove(added);
      say(app + " does not handle " + ref + ": the side panel says why.", "error");
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
  refitOnResize(cy);
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
    view.lastExport = { type: "image/svg+xml", size: svg.length, head: svg.slice(0, 100) };
    download(new Blob([svg], { type: "image/svg+xml" }), "eventloom-design.svg");
  });
  document.getElementById("export-png").addEventListener("click", () => {
    const png = toPNG(cy);
    view.lastExport = { type: png.type, size: png.size };
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
    saveLayout(cy.nodes(), true).then((ok) => { if (ok) say("Arranged and saved."); });
  });
  document.getElementById("fit").addEventListener("click", () => fitClear(cy, cy.elements(), 30, cy.maxZoom()));
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
    if (el && el.hasClass("app")) openSide(path("apps", el.data("name"), "events", "new"), "New event in " + el.data("name"));
  });
  watchSide(cy, refreshDesign);
  document.getElementById("delete").addEventListener("click", async () => {
    const el = selected();
    if (!el) return;
    let url, what;
    if (el.isEdge()) { url = path("apps", el.data("app"), "subscriptions", el.data("ref"), "delete"); what = `${el.data("app")}'s subscription to ${el.data("ref")}`; }
    else if (el.hasClass("app")) { url = path("apps", el.data("name"), "delete"); what = `the app ${el.data("name")} with its events and subscriptions`; }
    else { const { app, name } = splitEventRef(el.data("ref")); url = path("apps", app, "events", name, "delete"); what = `the event ${el.data("ref")}`; }
    if (!confirm(`Delete ${what}?`)) return;
    try {
      try {
        await request(url, { method: "POST" });
      } catch (err) {
        // Breaking other apps' subscriptions needs a second, informed yes.
        if (err.code !== "breaking_change") throw err;
        const list = (err.extra.breaks || []).map((b) => `  ${b.subscription}: ${b.reason}`).join("\n");
        if (!confirm(`Deleting ${what} breaks subscriptions of other apps:\n${list}\n\nDelete anyway?`)) { say("Nothing was deleted.", "info"); return; }
        await request(url, { method: "POST", form: new URLSearchParams({ confirm: "breaking" }) });
      }
    } catch (err) {
      say(err.message, "error");
      return;
    }
    cy.remove(el.isNode() ? el.union(el.descendants()).union(el.connectedEdges()) : el);
    say("Deleted " + what + ".");
  });

  Object.assign(view, {
    cy,
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
  });
  attachDesigner(view);
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
  const folds = view.folds, folded = folds ? folds.names() : [];
  if (folds) folds.expandAll();
  const els = elements(data), want = new Set(els.map((e) => e.data.id));
  cy.batch(() => {
    cy.elements().filter((x) => !x.hasClass("eh-ghost") && !x.hasClass("eh-preview") && !x.hasClass("eh-handle") && !x.hasClass("meta") && !want.has(x.id())).remove();
    // A new app with no saved place goes where the panel's create form
    // would have placed it: right of everything, in view.
    const center = appSpot(cy);
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
  view.refreshes++;
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

function safeStart() {
  try {
    start();
  } catch (e) {
    expose("error", String(e && e.stack || e));
    say("The designer could not start: " + e, "error");
  }
  // The live log works even when the canvas could not start.
  startLive(JSON.parse(document.getElementById("cy").dataset.design));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", safeStart); else safeStart();
