// Eventloom designer's side panel: the console's own pages and editors,
// loaded beside the canvas with htmx. A form saved in the panel costs one
// request: the server answers the page to show next with an HX-Trigger
// header whose "eventloom:design-changed" event carries what the save
// changed on the canvas (node and edge ids, and how to draw each), which
// is applied to the canvas here without reloading the design.

import { eventRef, splitEventRef, subRef } from "./subref.js";
import { appID, eventID, subID } from "./ids.js";
import { inView, keepInView, fitClear } from "./layout.js";
import { path } from "./api.js";
import { fillSpot } from "./spot.js";

// canvas is the designer's graph once watchSide was given it.
let canvas = null;

// designChanged names the event the server's HX-Trigger header fires
// (web/console_panel.go, designChangedEvent).
export const designChanged = "eventloom:design-changed";

// showSide opens the editor of a clicked app, event or subscription.
export function showSide(el) {
  let href = "", label = "";
  if (el.isNode() && el.hasClass("app")) { href = path("apps", el.data("name")); label = el.data("name"); }
  else if (el.isNode()) { const { app, name } = splitEventRef(el.data("ref")); href = path("apps", app, "events", name); label = el.data("ref"); }
  else { href = path("apps", el.data("app"), "subscriptions", el.data("ref"), "edit"); label = el.data("app") + " handles " + el.data("ref"); }
  openSide(href, label, undefined, el);
}

// openSide loads one of the console's pages into the side panel with htmx:
// its main content only; links and forms inside stay in the panel (the
// panel's hx-boost), so every editor of the console works here unchanged.
export function openSide(href, label, select, el) {
  if (!showPanel(href, label, el)) return;
  const body = document.getElementById("side-body");
  window.htmx.ajax("GET", href, {
    source: body, target: body,
    select: select || "main > :not(#console-errors)",
    swap: "innerHTML ignoreTitle:true",
  });
}

// postSide posts values to one of the console's forms as if that form
// were saved in the side panel (one request: the answer is the page the
// form leads to, or the form again with its errors, shown in the panel,
// and its HX-Trigger redraws the canvas). Resolves to {ok, status} once
// the answer is in.
export function postSide(href, label, values, el) {
  if (!showPanel(href, label, el)) return Promise.resolve({ ok: false, status: 0 });
  const body = document.getElementById("side-body");
  return ajaxDone(body, "POST", href, {
    source: body, target: body, values,
    select: "main > :not(#console-errors)",
    swap: "innerHTML ignoreTitle:true",
  });
}

// showPanel opens the side panel titled label for href, clears its
// errors and keeps el in view; without htmx it goes to href itself and
// answers false.
function showPanel(href, label, el) {
  const side = document.getElementById("side");
  side.querySelector("[data-side-title]").textContent = label;
  document.getElementById("side-page").href = href;
  document.getElementById("side-errors").replaceChildren();
  const wasHidden = side.hidden;
  side.hidden = false;
  if (wasHidden && canvas) {
    const cy = canvas, whole = inView(cy, cy.elements().renderedBoundingBox(), 0);
    cy.resize();
    // The canvas narrowed: a design that was wholly in view is fitted
    // again; what was clicked is brought back into view in any case.
    if (whole) fitClear(cy);
    if (el && el.inside()) keepInView(cy, el);
  }
  if (!window.htmx) { location.href = href; return false; } // no htmx build: the page itself
  return true;
}

let ajaxSends = 0;

// ajaxDone sends one htmx request from source and resolves to {ok,
// status} once its answer is in (status 0: none came).
function ajaxDone(source, method, url, opts) {
  const send = ++ajaxSends;
  return new Promise((resolve) => {
    const done = (e) => {
      const ctx = e.detail && e.detail.ctx;
      if (!ctx || ctx.eventloomSend !== send) return;
      source.removeEventListener("htmx:finally:request", done);
      const status = ctx.response ? ctx.response.status : 0;
      resolve({ ok: status >= 200 && status < 300, status });
    };
    source.addEventListener("htmx:finally:request", done);
    window.htmx.ajax(method, url, { ...opts, eventloomSend: send });
  });
}

const appKey = (a) => appID(a.name);
const eventKey = (e) => eventID(eventRef(e.app, e.name));
const subKey = (s) => subID(s.app, s.event);
const flowKey = (s) => subRef(s.app, s.event);

// applyChange returns the canvas's design document (the shape of GET
// /designer/data) with a design-changed event's detail applied: removed
// ids go, changed apps, events and subscriptions replace their old
// selves in place and added ones join at the end, lints are replaced when the
// change carries them, and added nodes take their saved positions.
export function applyChange(doc, change) {
  const gone = new Set(change.removed || []), redone = new Set([...gone, ...(change.changed || [])]);
  const merge = (list, fresh, key) => {
    const kept = (list || []).filter((x) => !gone.has(key(x)));
    const byKey = new Map(kept.map((x, i) => [key(x), i]));
    for (const x of fresh || []) {
      if (byKey.has(key(x))) kept[byKey.get(key(x))] = x; else kept.push(x);
    }
    return kept;
  };
  const out = { ...doc };
  out.apps = merge(doc.apps, change.apps, appKey);
  out.events = merge(doc.events, change.events, eventKey);
  out.subscriptions = merge(doc.subscriptions, change.subscriptions, subKey);
  out.flows = { ...(doc.flows || {}) };
  for (const s of doc.subscriptions || []) if (redone.has(subKey(s))) delete out.flows[flowKey(s)];
  Object.assign(out.flows, change.flows || {});
  if (change.lints) out.lints = change.lints;
  out.positions = { ...(doc.positions || {}), ...(change.positions || {}) };
  return out;
}

// watchSide keeps the panel's frame in step with what it shows, and
// redraws the canvas (redraw(cy, doc)) from each design change a saved
// form reports: no reload of the page, no refetch of the design.
export function watchSide(cy, redraw) {
  canvas = cy;
  const side = document.getElementById("side");
  document.addEventListener("htmx:after:request", (e) => {
    const ctx = e.detail && e.detail.ctx;
    if (!ctx || !side.contains(e.target) && ctx.target !== document.getElementById("side-body")) return;
    const res = ctx.response;
    // A saved form answers the page it leads to, named by its
    // Content-Location; a page loaded is its own URL.
    const page = res && (res.headers.get("Content-Location") || (ctx.request.method === "GET" && res.raw && res.raw.url));
    if (page) document.getElementById("side-page").href = new URL(page, location.href).href;
    if (ctx.request.method !== "GET" && res && res.status < 400) document.getElementById("side-errors").replaceChildren();
  });
  // A create form (new app, new event) carries where the canvas places
  // its node, filled in as it is submitted (capture: before htmx reads
  // the form), so the one post saves the node and its position.
  side.addEventListener("submit", (e) => { if (e.target instanceof HTMLFormElement) fillSpot(cy, e.target); }, true);
  document.addEventListener(designChanged, (e) => {
    const box = document.getElementById("cy");
    redraw(cy, applyChange(JSON.parse(box.dataset.design), e.detail || {}));
  });
  // The title follows the page shown: links and saves move it on.
  document.addEventListener("htmx:after:swap", () => {
    const h = document.querySelector("#side-body h1");
    if (h && !side.hidden) side.querySelector("[data-side-title]").textContent = h.firstChild ? [...h.childNodes].filter((n) => !n.classList || !n.classList.contains("badge")).map((n) => n.textContent).join("").trim() : "";
    document.getElementById("side-body").scrollTop = 0;
  });
  document.getElementById("side-close").addEventListener("click", () => {
    side.hidden = true;
    document.getElementById("side-body").replaceChildren();
    cy.resize();
  });
}

// savePositions saves node positions moved on the canvas ({id: {x, y}})
// the way the panel's forms save: an htmx form post (x.<id>, y.<id>, and
// replace=true to replace every saved position) whose refusal shows in
// the page's errors region. Saves are sent one after another, in order
// (hx-sync "queue all"), so a later drag never lands before an earlier
// one. Resolves to {ok, status} once the answer is in.
export function savePositions(positions, replace) {
  const source = document.getElementById("cy");
  if (!window.htmx) return Promise.resolve({ ok: false, status: 0 });
  if (!Object.keys(positions).length) return Promise.resolve({ ok: true, status: 204 }); // nothing moved
  source.setAttribute("hx-sync", "queue all");
  const values = replace ? { replace: "true" } : {};
  for (const [id, p] of Object.entries(positions)) {
    values["x." + id] = String(p.x);
    values["y." + id] = String(p.y);
  }
  return ajaxDone(source, "POST", "/designer/positions", { source, values, target: "#console-errors", swap: "none" });
}
