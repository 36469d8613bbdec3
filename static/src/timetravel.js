// Time travel on the designer: a scrubber over a chosen window replays the
// recorded flow on the graph from stored history (/designer/timeline):
// events pulse and tokens run along edges as deliveries start, edges show
// each subscription's state as it was at the scrubber's time (running,
// succeeded, failed, retrying, dead), nodes and edges show the counts up
// to then. While it is on, live notes leave the graph alone (live.travel);
// leaving it re-reads the present (the backlog) and live drawing resumes.
//
// The timeline's items are the notes the live view got at the time, so
// the drawing (setState, pulse, launch, relabel) is live.js's own.

import { getJSON, query } from "./api.js";
import { expose } from "./testhooks.js";
import { eventID, subID } from "./ids.js";
import { live, setState, launch, pulse, relabel, showBacklog, stateClasses } from "./live.js";

// presets are the windows offered, ending now, in milliseconds.
const presets = { "5m": 5 * 60e3, "15m": 15 * 60e3, "1h": 60 * 60e3 };
// settleMs is how long a finished run shows on its edge at 1x, as on the
// live view; at higher speeds it covers as much recorded time as it
// would on screen.
const settleMs = 2500;
// failedMs is how long a failed attempt with a retry due shows as failed
// before the edge shows retrying, as on the live view.
const failedMs = 800;
// leadMs is how far before the window's first step the scrubber starts,
// so pressing play shows the flow at once rather than a quiet stretch.
const leadMs = 1000;
// maxEffects bounds the pulses and tokens one frame starts (a fast
// replay of a busy window crosses many steps in a frame).
const maxEffects = 30;
// maxTicks is how many marks the scrubber shows at most.
const maxTicks = 200;

// travel is the state of time travel, exposed to tests as "travel"
// and the curious: loads counts the windows read, t is the scrubber's
// time (ms since the epoch).
export const travel = { on: false, playing: false, speed: 1, since: 0, until: 0, t: 0, items: [], loads: 0, left: 0 };

let st = fresh(), cy = null, last = 0;

// fresh is the replay's state before the window's first step.
function fresh() {
  return { next: 0, t: -Infinity, dels: new Map(), byEdge: new Map(), edges: new Map(), apps: new Map(), events: new Map() };
}

const el = (id) => document.getElementById(id);
const edgeID = (it) => subID(it.app, it.event);
const count = (m, k) => { let c = m.get(k); if (!c) { c = { running: 0, ok: 0, failed: 0, dead: 0, fired: 0 }; m.set(k, c); } return c; };

// apply moves the replay over one item: a delivery's state, its edge's and
// app's counts, an event's occurrences.
function apply(it) {
  if (it.kind === "occurrence.triggered") { count(st.events, it.event).fired++; return; }
  const id = edgeID(it), e = count(st.edges, id), a = count(st.apps, it.app);
  let d = st.dels.get(it.deliveryId);
  if (!d) {
    d = { state: "", at: 0, next: 0 };
    st.dels.set(it.deliveryId, d);
    if (!st.byEdge.has(id)) st.byEdge.set(id, []);
    st.byEdge.get(id).push(d);
  }
  if (d.state === "running") { e.running--; a.running--; }
  d.at = it.ms;
  switch (it.kind) {
    case "delivery.started": d.state = "running"; e.running++; a.running++; break;
    case "delivery.succeeded": d.state = "succeeded"; e.ok++; a.ok++; break;
    case "delivery.failed": d.state = "failed"; d.next = it.nextAttemptAt ? Date.parse(it.nextAttemptAt) : 0; e.failed++; a.failed++; break;
    case "delivery.dead": d.state = "dead"; e.dead++; a.dead++; break;
    case "delivery.discarded": d.state = ""; break;
  }
}

// stateOf is an edge's class at time t from its deliveries: running wins,
// then dead, retrying, a recent failure, a recent success.
function stateOf(id, t) {
  const settle = settleMs * travel.speed;
  let best = "", rank = 0;
  const bump = (cls, r) => { if (r > rank) { best = cls; rank = r; } };
  for (const d of st.byEdge.get(id) || []) {
    if (d.state === "running") bump("running", 6);
    else if (d.state === "dead") bump("dead", 5);
    else if (d.state === "failed" && d.next && t - d.at >= failedMs) bump("retrying", 4);
    else if (d.state === "failed" && t - d.at < Math.max(settle, failedMs)) bump("failed", 3);
    else if (d.state === "succeeded" && t - d.at < settle) bump("succeeded", 2);
  }
  return best;
}

function show(edge, t) {
  const want = stateOf(edge.id(), t), has = stateClasses.find((c) => edge.hasClass(c)) || "";
  if (want !== has) setState(edge, want);
}

const parts = (c, words) => words.filter(([k]) => c && c[k] > 0).map(([k, w]) => c[k] + " " + w).join(" · ");

// numbers shows the counts up to the scrubber's time on every node and
// edge.
function numbers() {
  const words = [["running", "running"], ["ok", "ok"], ["failed", "failed"], ["dead", "dead"]];
  const stat = (x, text) => { if (x.data("stat") !== text) { x.data("stat", text); relabel(x); } };
  cy.batch(() => {
    for (const n of cy.nodes(".event")) stat(n, parts(st.events.get(n.data("ref")), [["fired", "fired"]]));
    for (const n of cy.nodes(".app")) stat(n, parts(st.apps.get(n.data("name")), words));
    for (const e of cy.edges(".sub")) stat(e, parts(st.edges.get(e.id()), words));
  });
}

// render shows the graph as it was at time t. Going forward, the steps
// crossed are applied one by one in recorded order, each changing its
// edge at once (so edges change in causal order however fast the replay
// runs), with a pulse or a token where effects is true; going back, the
// replay starts again from the window's start, silently.
function render(t, effects) {
  if (t < st.t) st = fresh();
  const silent = st.t === -Infinity || !effects;
  let started = 0;
  while (st.next < travel.items.length && travel.items[st.next].ms <= t) {
    const it = travel.items[st.next++];
    apply(it);
    if (silent) continue;
    if (it.kind === "occurrence.triggered") {
      if (started++ < maxEffects) pulse(cy.getElementById(eventID(it.event)));
      continue;
    }
    const edge = cy.getElementById(edgeID(it));
    if (!edge.length) continue;
    if (it.kind === "delivery.started" && started++ < maxEffects) launch(edge);
    show(edge, it.ms);
  }
  st.t = t;
  cy.batch(() => cy.edges(".sub").forEach((e) => show(e, t)));
  numbers();
  travel.t = t;
  const scrub = el("tt-scrub"), out = el("tt-time");
  scrub.value = String(Math.round(t - travel.since));
  scrub.setAttribute("aria-valuetext", new Date(t).toLocaleString());
  out.textContent = new Date(t).toLocaleTimeString();
  out.dataset.at = new Date(t).toISOString();
}

function status(text, kind) {
  const p = el("tt-status");
  p.textContent = text;
  p.dataset.state = kind;
}

// rest clears what either view drew: states, numbers, heat.
function rest() {
  cy.batch(() => {
    for (const e of cy.edges(".sub")) { if (stateClasses.some((c) => e.hasClass(c))) setState(e, ""); e.removeClass("hot"); e.data({ stat: "", held: "", heat: 0 }); relabel(e); }
    for (const n of cy.nodes(".event, .app")) { n.removeClass("hot pulse"); n.data({ stat: "", held: "" }); relabel(n); }
  });
  live.tokens = [];
}

// windowOf is the window the bar asks for, or an error to show.
function windowOf() {
  const pick = el("tt-window").value;
  if (presets[pick]) { const until = Date.now(); return { since: until - presets[pick], until }; }
  const since = Date.parse(el("tt-since").value), until = Date.parse(el("tt-until").value);
  if (Number.isNaN(since) || Number.isNaN(until)) return { error: "Choose both the start and the end of the window." };
  if (since >= until) return { error: "The window's end must be after its start." };
  return { since, until };
}

// load reads the chosen window's timeline and shows it from just before
// its first step.
async function load() {
  pause();
  const w = windowOf();
  if (w.error) { status(w.error, "error"); return; }
  status("Reading the window…", "loading");
  let body;
  try {
    body = await getJSON(query("/designer/timeline", { since: new Date(w.since).toISOString(), until: new Date(w.until).toISOString() }));
  } catch (err) {
    if (travel.on) status("The window could not be read: " + err.message, "error");
    return;
  }
  if (!travel.on) return;
  travel.since = Date.parse(body.since);
  travel.until = Date.parse(body.until);
  travel.items = body.items.map((it) => ({ ...it, ms: Date.parse(it.at) }));
  travel.loads++;
  const scrub = el("tt-scrub");
  scrub.max = String(travel.until - travel.since);
  ticks();
  const first = travel.items.length ? Math.max(travel.since, travel.items[0].ms - leadMs) : travel.since;
  const steps = travel.items.length;
  const span = (ms) => new Date(ms).toLocaleTimeString();
  status(steps ? `${steps} recorded ${steps === 1 ? "step" : "steps"} from ${span(travel.since)} to ${span(travel.until)}; press play.`
    : `Nothing was recorded from ${span(travel.since)} to ${span(travel.until)}.`, "loaded");
  el("tt-status").dataset.count = String(steps);
  rest();
  st = fresh();
  render(first, false);
}

// ticks marks where the window's occurrences are on the scrubber (at
// most maxTicks marks, so a busy window stays readable).
function ticks() {
  const list = el("tt-ticks"), span = travel.until - travel.since, seen = new Set();
  for (const it of travel.items) {
    if (it.kind !== "occurrence.triggered") continue;
    seen.add(Math.round((it.ms - travel.since) / span * maxTicks) * span / maxTicks);
  }
  list.replaceChildren(...[...seen].map((v) => new Option("", String(Math.round(v)))));
}

function frame(now) {
  if (!travel.playing) return;
  const t = Math.min(travel.until, travel.t + (now - last) * travel.speed);
  last = now;
  render(t, true);
  if (t >= travel.until) { pause(); return; }
  requestAnimationFrame(frame);
}

function play() {
  if (!travel.items.length && !travel.until) return;
  if (travel.t >= travel.until) render(travel.since, false);
  travel.playing = true;
  last = performance.now();
  const b = el("tt-play");
  b.textContent = "Pause";
  b.setAttribute("aria-pressed", "true");
  requestAnimationFrame(frame);
}

function pause() {
  travel.playing = false;
  const b = el("tt-play");
  b.textContent = "Play";
  b.setAttribute("aria-pressed", "false");
}

function enter() {
  travel.on = true;
  live.travel = true;
  el("tt-bar").hidden = false;
  el("time-travel").setAttribute("aria-pressed", "true");
  cy.container().dataset.travel = "on";
  cy.resize();
  rest();
  load();
}

// leave ends time travel: the graph is cleared of the past, the present's
// backlog is read again, and live notes and counters draw once more.
async function leave() {
  pause();
  travel.on = false;
  el("tt-bar").hidden = true;
  el("time-travel").setAttribute("aria-pressed", "false");
  rest();
  st = fresh();
  live.prev = null; // rates restart from the next reading
  live.travel = false;
  cy.resize();
  // Unread now, the backlog is read again on the next delivery change.
  const body = await getJSON("/designer/backlog").catch(() => null);
  if (body && !travel.on) showBacklog(cy, body.backlog);
  travel.left++;
  cy.container().dataset.travel = "off";
}

// startTimeTravel wires the toolbar's Time travel button and the bar.
export function startTimeTravel(graph) {
  const button = el("time-travel");
  if (!button || !el("tt-bar")) return;
  cy = graph;
  expose("travel", travel);
  button.addEventListener("click", () => (travel.on ? leave() : enter()));
  el("tt-leave").addEventListener("click", leave);
  el("tt-play").addEventListener("click", () => (travel.playing ? pause() : play()));
  el("tt-speed").addEventListener("change", (e) => { travel.speed = Number(e.target.value) || 1; });
  el("tt-window").addEventListener("change", (e) => {
    const custom = e.target.value === "custom";
    el("tt-custom").hidden = !custom;
    if (!custom) { load(); return; }
    // A custom window starts as the last hour, to adjust.
    const local = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3); return d.toISOString().slice(0, 19); };
    if (!el("tt-since").value) el("tt-since").value = local(Date.now() - presets["1h"]);
    if (!el("tt-until").value) el("tt-until").value = local(Date.now());
  });
  el("tt-load").addEventListener("click", load);
  el("tt-scrub").addEventListener("input", (e) => {
    if (!travel.until) return;
    render(travel.since + Number(e.target.value), true);
  });
}
