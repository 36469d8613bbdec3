// Eventloom designer: the whole design on one canvas. Apps are compound
// nodes holding the events they own; a subscription is an edge from an
// event to the app handling it. Bundled by esbuild (go generate) with
// cytoscape, cytoscape-dagre and cytoscape-edgehandles from npm.
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";
import edgehandles from "cytoscape-edgehandles";

cytoscape.use(dagre);
cytoscape.use(edgehandles);

const appID = (name) => "app:" + name;
const eventID = (ref) => "event:" + ref;
const subID = (app, ref) => "sub:" + app + ":" + ref;

function elements(d) {
  const els = [];
  const lint = new Map(d.lints.map((l) => [l.subject, l]));
  for (const a of d.apps) {
    els.push({ group: "nodes", data: { id: appID(a.name), name: a.name, label: a.name, color: a.color || "#64748b", kind: "app" }, classes: lint.has(a.name) ? "app lint" : "app" });
  }
  for (const e of d.events) {
    const ref = e.app + "." + e.name;
    const cls = ["event", e.public ? "public" : "private"];
    if (lint.has(ref)) cls.push("lint");
    els.push({ group: "nodes", data: { id: eventID(ref), parent: appID(e.app), label: e.name, ref, kind: "event" }, classes: cls.join(" ") });
  }
  for (const s of d.subscriptions) {
    const ref = s.event;
    els.push({ group: "edges", data: { id: subID(s.app, ref), source: eventID(ref), target: appID(s.app), label: s.kind, app: s.app, ref }, classes: s.paused ? "sub paused" : "sub" });
  }
  return els;
}

const style = [
  // Labels too small to read are not drawn: a zoomed-out large design
  // stays fluid, and zooming in brings them back.
  { selector: "node, edge", style: { "min-zoomed-font-size": 8 } },
  { selector: "node.app", style: { "background-color": "data(color)", "background-opacity": 0.12, "border-color": "data(color)", "border-width": 2, label: "data(label)", "text-valign": "top", "font-weight": "bold", "font-size": 13, padding: 18, shape: "round-rectangle", "min-width": 90, "min-height": 50 } },
  { selector: "node.event", style: { "background-color": "#fff", "border-width": 2, "border-color": "#2563eb", label: "data(label)", "text-valign": "center", "font-size": 11, shape: "round-rectangle", width: "label", height: 26, padding: 8 } },
  { selector: "node.private", style: { "border-style": "dashed", "border-color": "#64748b" } },
  { selector: "node.lint", style: { "underlay-color": "#f59e0b", "underlay-opacity": 0.35, "underlay-padding": 4 } },
  { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", width: 2, "line-color": "#94a3b8", "target-arrow-color": "#94a3b8", label: "data(label)", "font-size": 10, "text-background-color": "#fff", "text-background-opacity": 1 } },
  { selector: "edge.paused", style: { "line-style": "dashed" } },
  { selector: "edge.saving", style: { "line-style": "dotted", opacity: 0.6 } },
  { selector: ".faded", style: { opacity: 0.2 } },
  { selector: ".highlight", style: { "line-color": "#2563eb", "target-arrow-color": "#2563eb", "border-color": "#2563eb", "border-width": 3 } },
  { selector: ":selected", style: { "border-color": "#f59e0b", "border-width": 3 } },
  { selector: ".eh-ghost-edge", style: { "line-color": "#2563eb", "target-arrow-color": "#2563eb", "line-style": "dashed" } },
  { selector: "node.event.hot", style: { "background-color": "mapData(heat, 0, 1, #fef3c7, #dc2626)" } },
  { selector: "node.pulse", style: { "background-color": "#bfdbfe", "border-color": "#1d4ed8", "border-width": 4 } },
  { selector: "edge.running", style: { "line-color": "#3b82f6", "target-arrow-color": "#3b82f6", width: 4 } },
  { selector: "edge.succeeded", style: { "line-color": "#22c55e", "target-arrow-color": "#22c55e", width: 3 } },
  { selector: "edge.failed", style: { "line-color": "#f59e0b", "target-arrow-color": "#f59e0b", width: 3, "line-style": "dashed" } },
  { selector: "edge.dead", style: { "line-color": "#ef4444", "target-arrow-color": "#ef4444", width: 4 } },
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

function saveLayout(nodes, replace) {
  const positions = {};
  nodes.forEach((n) => {
    if (n.isParent()) return; // a compound's position follows its children
    const p = n.position();
    positions[n.id()] = { x: p.x, y: p.y };
  });
  return post("/designer/layout", { positions, replace }).then((r) => {
    if (!r.ok) say("The layout could not be saved: " + ((r.body.error && r.body.error.message) || r.status), "error");
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
  for (const e of els) {
    if (e.group === "nodes" && saved[e.data.id]) e.position = saved[e.data.id];
  }
  const cy = cytoscape({
    container: document.getElementById("cy"),
    elements: els,
    style,
    layout: allPlaced && els.length > 0 ? { name: "preset" } : { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 90 },
    wheelSensitivity: 0.3,
    // Large designs stay fluid: while panning or zooming the canvas shows
    // a snapshot instead of redrawing every label and edge.
    ...(els.length > 400 ? { textureOnViewport: true, hideEdgesOnViewport: true, pixelRatio: 1 } : {}),
  });
  const eh = cy.edgehandles({
    canConnect: (src, tgt) => src.hasClass("event") && tgt.hasClass("app"),
    edgeParams: (src, tgt) => ({ data: { id: subID(tgt.data("name"), src.data("ref")), label: "flow" }, classes: "sub" }),
    snap: false,
    hoverDelay: 50,
  });
  // The last gesture event, for a test that must explain a failed drag.
  cy.on("ehstart ehstop ehcancel ehhoverover ehhoverout", (ev) => { if (window.designer) window.designer.gesture = ev.type; });
  cy.on("ehcomplete", async (ev, source, target, added) => {
    const app = target.data("name"), ref = source.data("ref");
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
  cy.on("dragfree", "node", (ev) => { saveLayout(ev.target.isParent() ? ev.target.descendants() : ev.target, false); });
  cy.on("tap", "node.event", (ev) => highlight(cy, ev.target));
  cy.on("tap", (ev) => { if (ev.target === cy) cy.elements().removeClass("faded highlight"); });
  cy.on("tap", "node, edge", (ev) => showSide(ev.target));

  document.getElementById("connect").addEventListener("click", (e) => {
    const on = e.currentTarget.getAttribute("aria-pressed") !== "true";
    e.currentTarget.setAttribute("aria-pressed", String(on));
    if (on) eh.enableDrawMode(); else eh.disableDrawMode();
  });
  document.getElementById("arrange").addEventListener("click", () => {
    const l = cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 90 });
    l.one("layoutstop", () => saveLayout(cy.nodes(), true).then(() => say("Arranged and saved.")));
    l.run();
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

  // Create and delete from the canvas. Editors open beside the graph; a
  // deletion asks first and redraws the design afterwards.
  const selected = () => cy.$(":selected").filter((e) => e.isEdge() || e.hasClass("app") || e.hasClass("event"))[0];
  cy.on("select unselect", () => {
    const el = selected();
    document.getElementById("delete").disabled = !el;
    document.getElementById("new-event").disabled = !(el && el.hasClass("app"));
  });
  document.getElementById("new-app").addEventListener("click", () => openSide("/apps#create", "New app"));
  document.getElementById("new-event").addEventListener("click", () => {
    const el = selected();
    if (el && el.hasClass("app")) openSide("/apps/" + el.data("name") + "/events/new", "New event in " + el.data("name"));
  });
  document.getElementById("side-close").addEventListener("click", () => { document.getElementById("side").hidden = true; cy.resize(); location.reload(); });
  document.getElementById("delete").addEventListener("click", async () => {
    const el = selected();
    if (!el) return;
    let url, what;
    if (el.isEdge()) { url = `/apps/${el.data("app")}/subscriptions/${el.data("ref")}/delete`; what = `${el.data("app")}'s subscription to ${el.data("ref")}`; }
    else if (el.hasClass("app")) { url = `/apps/${el.data("name")}/delete`; what = `the app ${el.data("name")} with its events and subscriptions`; }
    else { const [app, name] = el.data("ref").split("."); url = `/apps/${app}/events/${name}/delete`; what = `the event ${el.data("ref")}`; }
    if (!confirm(`Delete ${what}?`)) return;
    const r = await fetch(url, { method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" } });
    if (r.ok || r.redirected) { cy.remove(el.isNode() ? el.union(el.descendants()).union(el.connectedEdges()) : el); say("Deleted " + what + "."); return; }
    const body = await r.json().catch(() => ({}));
    say((body.error && body.error.message) || "The deletion was refused (" + r.status + ").", "error");
  });

  window.designer = {
    cy,
    ready: true,
    saves: 0,
    loadMs: performance.now() - t0,
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
  };
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
      for (const to of flows[edge.data("app") + ":" + edge.data("ref")] || []) {
        const next = cy.getElementById("event:" + to);
        if (next.length) { marked = marked.union(next); walk(next); }
      }
    });
  };
  walk(node);
  cy.elements().addClass("faded").removeClass("highlight");
  marked.removeClass("faded").addClass("highlight");
}

function showSide(el) {
  let href = "", label = "";
  if (el.isNode() && el.hasClass("app")) { href = "/apps/" + el.data("name"); label = "Open " + el.data("name"); }
  else if (el.isNode()) { const [app, name] = el.data("ref").split("."); href = "/apps/" + app + "/events/" + name; label = "Open " + el.data("ref"); }
  else { href = "/apps/" + el.data("app") + "/subscriptions/" + el.data("ref") + "/edit"; label = "Edit " + el.data("app") + " handling " + el.data("ref"); }
  openSide(href, label);
}

function openSide(href, label) {
  const side = document.getElementById("side");
  side.querySelector("[data-side-title]").textContent = label;
  side.querySelector("iframe").src = href;
  side.hidden = false;
  if (window.designer) window.designer.cy.resize();
}

function safeStart() {
  try {
    start();
  } catch (e) {
    window.designerError = String(e && e.stack || e);
    say("The designer could not start: " + e, "error");
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", safeStart); else safeStart();

// Live flows: the graph animates as events travel through handlers, fed by
// the server's notification stream over a websocket. A slow page loses
// messages rather than slowing the engine; it is told how many (Dropped)
// and shows it.
// aggregateAbove is the rate (events a second, all events together) past
// which single animations stop and the graph shows rates and heat instead.
const aggregateAbove = 50;
const live = { paused: false, frozen: false, dropped: 0, lines: 0, filter: "", socket: null, backoff: 500, prev: null, aggregate: false };

function liveStatus(text, kind) {
  const el = document.getElementById("live-status");
  if (!el) return;
  el.textContent = text;
  el.dataset.state = kind;
}

function liveLine(note) {
  const log = document.getElementById("live-log");
  if (!log || live.paused) return;
  const text = `${note.kind} ${note.app} ${note.event}` + (note.attempt ? ` #${note.attempt}` : "") + (note.error ? ` — ${note.error}` : "");
  if (live.filter && !text.toLowerCase().includes(live.filter)) return;
  const li = document.createElement("li");
  li.className = "live-" + note.kind.replace(".", "-");
  li.dataset.kind = note.kind;
  li.dataset.app = note.app;
  li.dataset.trace = note.traceId;
  const a = document.createElement("a");
  a.href = "/traces/" + note.traceId;
  a.textContent = text;
  li.append(a);
  log.prepend(li);
  while (log.children.length > 200) log.lastChild.remove();
}

function liveAnimate(note) {
  const d = window.designer;
  if (!d || live.frozen || live.aggregate) return;
  const cy = d.cy;
  if (note.kind === "occurrence.triggered") {
    const n = cy.getElementById("event:" + note.event);
    n.addClass("pulse");
    setTimeout(() => n.removeClass("pulse"), 700);
    return;
  }
  const edge = cy.getElementById("sub:" + note.app + ":" + note.event);
  if (!edge.length) return;
  edge.removeClass("running succeeded failed dead");
  const cls = { "delivery.started": "running", "delivery.succeeded": "succeeded", "delivery.failed": "failed", "delivery.dead": "dead" }[note.kind];
  if (cls) edge.addClass(cls);
}

function liveStats(stats) {
  const d = window.designer;
  if (!d || live.frozen) return;
  // An event with a backlog shows its queue against the cap.
  for (const [name, q] of Object.entries(stats.queues || {})) {
    const n = d.cy.getElementById("event:" + name);
    if (!n.length) continue;
    const base = name.slice(name.indexOf(".") + 1);
    const label = q.pending > 0 ? `${base} (${q.pending}/${q.cap})` : base;
    if (n.data("label") !== label) n.data("label", label);
  }
  // Rates from two readings of the running totals; past aggregateAbove
  // the graph switches from single animations to heat and numbers.
  const now = Date.parse(stats.at) || Date.now();
  const counts = stats.counts || {};
  if (live.prev) {
    const dt = Math.max((now - live.prev.at) / 1000, 0.001);
    let total = 0;
    const rates = {};
    for (const [ev, n] of Object.entries(counts.triggered || {})) {
      rates[ev] = Math.max(0, (n - ((live.prev.triggered || {})[ev] || 0)) / dt);
      total += rates[ev];
    }
    // Enter at once; leave only after three calm readings, so the view
    // does not flicker between modes on a bursty load.
    if (total > aggregateAbove) {
      live.aggregate = true;
      live.calm = 0;
    } else if (live.aggregate && ++live.calm >= 3) {
      live.aggregate = false;
    }
    document.getElementById("cy").dataset.mode = live.aggregate ? "aggregate" : "single";
    const top = Math.max(1, ...Object.values(rates));
    d.cy.batch(() => {
      for (const n of d.cy.nodes(".event")) {
        const r = rates[n.data("ref")] || 0;
        if (!live.aggregate || r > 0) n.data("heat", live.aggregate ? r / top : 0);
        n.toggleClass("hot", live.aggregate && (r > 0 || n.hasClass("hot")));
        n.data("rate", r);
      }
    });
  }
  live.prev = { at: now, triggered: counts.triggered || {} };
  live.stats = (live.stats || 0) + 1;
  // Each app shows its runs against its limit while any run.
  for (const [app, l] of Object.entries(stats.inFlight || {})) {
    const n = d.cy.getElementById("app:" + app);
    if (!n.length) continue;
    const label = l.running > 0 || l.queued > 0 ? `${app} ${l.running}/${l.limit}` + (l.queued ? ` +${l.queued}` : "") : app;
    if (n.data("label") !== label) n.data("label", label);
  }
  const el = document.getElementById("live-counts");
  if (el) {
    const apps = Object.entries(counts.apps || {}).map(([a, c]) => `${a}: ${c.succeeded} ok, ${c.failed} failed, ${c.dead} dead`);
    el.textContent = apps.join(" · ");
  }
}

function liveConnect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/live`);
  live.socket = ws;
  ws.onopen = () => { live.backoff = 500; liveStatus("live", "connected"); };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.stats) { liveStats(msg.stats); return; }
    if (msg.dropped > live.dropped) {
      live.dropped = msg.dropped;
      liveStatus(`live — ${live.dropped} messages skipped`, "skipped");
    }
    liveAnimate(msg.note);
    liveLine(msg.note);
  };
  ws.onclose = () => {
    liveStatus("disconnected — reconnecting", "disconnected");
    setTimeout(liveConnect, live.backoff);
    live.backoff = Math.min(live.backoff * 2, 10000);
  };
}

function liveStart() {
  if (!document.getElementById("live-log")) return;
  window.designerLive = live; // for tests and the curious: the live view's state
  document.getElementById("live-pause").addEventListener("click", (e) => {
    live.paused = !live.paused;
    e.currentTarget.setAttribute("aria-pressed", String(live.paused));
  });
  document.getElementById("live-freeze").addEventListener("click", (e) => {
    live.frozen = !live.frozen;
    e.currentTarget.setAttribute("aria-pressed", String(live.frozen));
  });
  document.getElementById("live-filter").addEventListener("input", (e) => { live.filter = e.target.value.trim().toLowerCase(); });
  liveConnect();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", liveStart); else liveStart();
