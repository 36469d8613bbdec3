// Live flows on the designer: the graph animates as events travel through
// handlers, fed by the server's notification stream over a websocket.
//
// - An occurrence makes its event node pulse; a delivery sends a token
//   along its edge (drawn on an overlay canvas, so the graph's own
//   elements, layout and hit-testing are untouched), and the edge shows
//   the delivery's state: running, succeeded, failed, retrying, dead.
// - Every second the server sends running totals; nodes and edges show
//   numbers derived from them: queue depth against the cap, runs against
//   the app's limit, rates and errors.
// - Past aggregateAbove events a second single animations stop and the
//   graph shows heat instead; the numbers go on.
// - A slow page loses messages rather than slowing the engine; it is told
//   how many (Dropped) and shows it.

import { showHealth } from "./health.js";
import { eventRef, subRef } from "./subref.js";
import { openSocket } from "./socket.js";
import { getJSON, path } from "./api.js";
import { colour } from "./colours.js";
import { expose } from "./testhooks.js";
import { eventID, subID } from "./ids.js";

// aggregateAbove is the default rate (events a second, all events
// together) past which single animations stop and the graph shows rates
// and heat instead; live.aggregateAbove holds the one in force (a test
// lowers it, so what it checks does not depend on how fast the machine
// can trigger).
const aggregateAbove = 50;
// tokenMs is how long a token takes to travel along its edge.
const tokenMs = 600;
// settleMs is how long a finished state stays on an edge before the edge
// returns to rest (dead stays until the next run).
const settleMs = 2500;
// maxTokens bounds the tokens in flight; past it new ones are not drawn.
const maxTokens = 200;
// maxLines bounds the live log (and what a paused log holds back).
const maxLines = 300;

export const stateClasses = ["running", "succeeded", "failed", "retrying", "dead"];
const kindState = {
  "occurrence.triggered": "triggered", "delivery.started": "started", "delivery.succeeded": "succeeded",
  "delivery.failed": "failed", "delivery.dead": "dead", "delivery.replayed": "replayed",
  "delivery.retried": "retried", "delivery.discarded": "discarded", "flow.logged": "logged",
  "endpoint.health": "endpoint", "subscription.paused": "paused",
};

export const live = {
  // travel is true while time travel replays history on the graph: live
  // notes and counters then leave the graph alone (the log goes on).
  paused: false, frozen: false, travel: false, aggregate: false, calm: 0, aggregateAbove,
  dropped: 0, stats: 0, socket: null, prev: null, base: null,
  filter: { app: "", event: "", state: "" },
  backlog: {}, backlogTimer: 0, // what waits on each subscription
  held: [], // lines that arrived while the log was paused
  tokens: [], // tokens in flight
  // animated counts the tokens sent along each edge, and trail the last
  // states drawn, for tests and the curious.
  animated: {}, trail: [],
  edges: new Map(), // edge id -> { running, timer }
};

function record(what) {
  live.trail.push(what);
  if (live.trail.length > 500) live.trail.splice(0, 100);
}

function status(text, kind) {
  const el = document.getElementById("live-status");
  if (!el) return;
  el.textContent = text;
  el.dataset.state = kind;
  const signin = document.getElementById("live-signin");
  if (signin) signin.hidden = kind !== "signed-out";
}

// ---- the live log ----

function matches(li) {
  const f = live.filter;
  return (!f.app || li.dataset.app === f.app || li.dataset.event.startsWith(f.app + "."))
    && (!f.event || li.dataset.event === f.event)
    && (!f.state || li.dataset.state === f.state);
}

function lineOf(note) {
  const state = kindState[note.kind] || note.kind;
  const li = document.createElement("li");
  li.className = "live-" + state;
  li.dataset.kind = note.kind;
  li.dataset.state = state;
  li.dataset.app = note.app;
  li.dataset.event = note.event;
  li.dataset.trace = note.traceId;
  const time = document.createElement("time");
  time.textContent = new Date(note.at).toLocaleTimeString();
  time.dateTime = note.at;
  const a = document.createElement("a");
  a.href = path("traces", note.traceId);
  a.title = "Follow trace #" + note.traceId;
  let text = note.kind === "occurrence.triggered"
    ? `${note.event} triggered` + (note.deliveries ? ` → ${note.deliveries} ${note.deliveries === 1 ? "delivery" : "deliveries"}` : "")
    : note.kind === "endpoint.health"
      ? `${note.app}'s endpoint ` + (note.failures ? `failed ${note.failures} in a row` : "is healthy again")
      : `${note.app} ${state} ${note.event}` + (note.attempt ? ` (attempt ${note.attempt})` : "");
  if (note.error) text += ` — ${note.error}`;
  if (note.message) text += ` — ${note.message}`;
  a.textContent = text;
  li.append(time, " ", a);
  li.hidden = !matches(li);
  return li;
}

function logLine(note) {
  const li = lineOf(note);
  if (live.paused) {
    live.held.push(li);
    if (live.held.length > maxLines) live.held.shift();
    pauseLabel();
    return;
  }
  const log = document.getElementById("live-log");
  log.prepend(li);
  while (log.children.length > maxLines) log.lastChild.remove();
}

function pauseLabel() {
  const b = document.getElementById("live-pause");
  b.textContent = live.paused ? `Resume the log (${live.held.length} new)` : "Pause the log";
}

function refilter() {
  for (const li of document.getElementById("live-log").children) li.hidden = !matches(li);
}

// fillPickers lists the design's apps and events in the log's filters.
export function fillPickers(design) {
  const fill = (id, values) => {
    const sel = document.getElementById(id);
    if (!sel) return;
    const keep = sel.value;
    sel.replaceChildren(sel.options[0]);
    for (const v of values) sel.add(new Option(v, v));
    sel.value = values.includes(keep) ? keep : "";
  };
  fill("live-app", design.apps.map((a) => a.name).sort());
  fill("live-event", design.events.map((e) => eventRef(e.app, e.name)).sort());
}

// ---- the graph ----

// designerView is the designer's canvas once it is drawn (attachDesigner);
// without it (a canvas that could not start) only the log is live.
let designerView = null;

// attachDesigner gives the live view the designer's canvas to animate:
// view.cy is the graph.
export function attachDesigner(view) {
  designerView = view;
}

function designer() {
  return designerView && designerView.cy ? designerView : null;
}

// setState shows one of stateClasses on a subscription's edge (or none).
export function setState(edge, cls) {
  edge.removeClass(stateClasses.join(" "));
  if (cls) edge.addClass(cls);
  record(cls + " " + edge.id());
}

function edgeState(id) {
  let s = live.edges.get(id);
  if (!s) { s = { running: 0, timer: 0 }; live.edges.set(id, s); }
  return s;
}

// settle returns an edge to rest a while after its last delivery finished,
// unless another is running on it by then.
function settle(edge, s) {
  clearTimeout(s.timer);
  s.timer = setTimeout(() => { if (!live.travel && s.running === 0 && !edge.hasClass("dead") && !edge.hasClass("retrying")) setState(edge, ""); }, settleMs);
}

// pulse makes an event node flash as an occurrence of it is triggered.
export function pulse(n) {
  if (!n.length) return;
  n.addClass("pulse");
  record("pulse " + n.id());
  setTimeout(() => n.removeClass("pulse"), 700);
}

function animate(note) {
  const d = designer();
  if (!d || live.frozen || live.aggregate || live.travel) return;
  const cy = d.cy;
  if (note.kind === "occurrence.triggered") {
    pulse(cy.getElementById(eventID(note.event)));
    return;
  }
  const edge = cy.getElementById(subID(note.app, note.event));
  if (!edge.length) return;
  const s = edgeState(edge.id());
  switch (note.kind) {
    case "delivery.started":
      s.running++;
      clearTimeout(s.timer);
      setState(edge, "running");
      launch(edge);
      break;
    case "delivery.succeeded":
      s.running = Math.max(0, s.running - 1);
      setState(edge, s.running ? "running" : "succeeded");
      settle(edge, s);
      break;
    case "delivery.failed":
      s.running = Math.max(0, s.running - 1);
      setState(edge, "failed");
      // A failed attempt with a retry due waits as retrying.
      if (note.nextAttemptAt) setTimeout(() => { if (!live.travel && edge.hasClass("failed")) setState(edge, "retrying"); }, 800);
      break;
    case "delivery.dead":
      s.running = Math.max(0, s.running - 1);
      setState(edge, "dead");
      break;
    case "delivery.discarded":
      setState(edge, "");
      break;
  }
}

// launch sends a token from the event to the handling app along the edge.
export function launch(edge) {
  live.animated[edge.id()] = (live.animated[edge.id()] || 0) + 1;
  if (live.tokens.length >= maxTokens) return;
  const to = edge.target(), app = to.hasClass("app") ? to : to.parent(); // a loop's target is its event
  live.tokens.push({ edge, t0: performance.now(), color: app.data("color") || colour("graph-event") });
  if (live.tokens.length === 1) requestAnimationFrame(frame);
}

// pointOn is the point a fraction f along an edge's drawn curve (source
// endpoint, control points, target endpoint; de Casteljau).
function pointOn(edge, f) {
  let pts = [edge.sourceEndpoint(), ...(edge.controlPoints() || []), edge.targetEndpoint()].map((p) => ({ x: p.x, y: p.y }));
  while (pts.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < pts.length; i++) next.push({ x: pts[i].x + (pts[i + 1].x - pts[i].x) * f, y: pts[i].y + (pts[i + 1].y - pts[i].y) * f });
    pts = next;
  }
  return pts[0];
}

function overlay(cy) {
  let c = document.getElementById("live-overlay");
  const box = cy.container();
  if (!c) {
    c = document.createElement("canvas");
    c.id = "live-overlay";
    c.setAttribute("aria-hidden", "true");
    box.style.position = "relative";
    box.append(c);
  }
  if (c.width !== box.clientWidth || c.height !== box.clientHeight) {
    c.width = box.clientWidth;
    c.height = box.clientHeight;
  }
  return c;
}

function frame(now) {
  const d = designer();
  if (!d) return;
  const cy = d.cy, c = overlay(cy), g = c.getContext("2d"), paper = colour("graph-paper");
  g.clearRect(0, 0, c.width, c.height);
  const zoom = cy.zoom(), pan = cy.pan(), r = Math.max(3, 6 * Math.min(zoom, 1.5));
  live.tokens = live.tokens.filter((t) => t.edge.inside() && now - t.t0 < tokenMs);
  if (live.frozen) live.tokens = [];
  for (const t of live.tokens) {
    const p = pointOn(t.edge, Math.min(1, (now - t.t0) / tokenMs));
    g.beginPath();
    g.arc(p.x * zoom + pan.x, p.y * zoom + pan.y, r, 0, 2 * Math.PI);
    g.fillStyle = t.color;
    g.fill();
    g.lineWidth = 2;
    g.strokeStyle = paper;
    g.stroke();
  }
  if (live.tokens.length) requestAnimationFrame(frame);
  else g.clearRect(0, 0, c.width, c.height);
}

// ---- numbers ----

const rateText = (r) => (r >= 10 ? Math.round(r) : Math.round(r * 10) / 10) + "/s";

// relabel shows an element's name (or handler kind, where unusual) with
// its live numbers and what waits on it on a second line.
export function relabel(el) {
  const numbers = [el.data("stat"), el.data("held"), el.data("health")].filter(Boolean).join(" · ");
  const label = [el.data("base"), numbers].filter(Boolean).join("\n");
  if (el.data("label") !== label) el.data("label", label);
  // An event box grows to fit its numbers, so no text spills out of it.
  if (el.isNode() && el.hasClass("event")) {
    const w = Math.ceil(Math.max(...label.split("\n").map((l) => l.length)) * 6.8) + 14;
    if (el.data("w") !== w) el.data("w", w);
  }
}

const plural = (n, one, many) => n + " " + (n === 1 ? one : many);

// showBacklog shows what waits on each subscription (retrying deliveries,
// dead letters) on its arrow, and the sums on each app: the runtime's
// state when the page opened, then as the server reports it again.
export function showBacklog(cy, backlog) {
  live.backlog = backlog || {};
  if (live.travel) return; // the graph shows the past; leaving shows this
  const apps = {};
  for (const [key, b] of Object.entries(live.backlog)) {
    const a = (apps[key.slice(0, key.indexOf(":"))] ||= { retrying: 0, dead: 0 });
    a.retrying += b.retrying;
    a.dead += b.dead;
  }
  const text = (b, dead) => [b && b.retrying ? b.retrying + " retrying" : "", b && b.dead ? (dead ? plural(b.dead, dead, dead + "s") : b.dead + " dead") : ""].filter(Boolean).join(" · ");
  cy.batch(() => {
    for (const e of cy.edges(".sub")) {
      const b = live.backlog[subRef(e.data("app"), e.data("ref"))];
      e.data("held", text(b, ""));
      const busy = e.hasClass("running") || e.hasClass("failed");
      if (b && b.dead) { if (!e.hasClass("dead")) setState(e, "dead"); }
      else if (b && b.retrying) { if (!busy && !e.hasClass("retrying")) setState(e, "retrying"); }
      else if (e.hasClass("dead") || e.hasClass("retrying")) setState(e, "");
      relabel(e);
    }
    for (const n of cy.nodes(".app")) {
      n.data("held", text(apps[n.data("name")], "dead letter"));
      relabel(n);
    }
  });
  const d = designer();
  if (d) d.backlogs = (d.backlogs || 0) + 1;
}

// backlogSoon reloads the backlog a second after a delivery changed what
// waits (one reload for a burst of changes).
function backlogSoon() {
  if (live.backlogTimer) return;
  live.backlogTimer = setTimeout(async () => {
    live.backlogTimer = 0;
    const d = designer();
    if (!d || live.travel) return;
    // A backlog that cannot be read now is read again on the next change.
    const body = await getJSON("/designer/backlog").catch(() => null);
    if (body && !live.travel) showBacklog(d.cy, body.backlog);
  }, 1000);
}

const backlogKinds = new Set(["delivery.failed", "delivery.dead", "delivery.replayed", "delivery.retried", "delivery.discarded"]);

function errorsOf(c, base) {
  return c ? (c.failed - ((base && base.failed) || 0)) + (c.dead - ((base && base.dead) || 0)) : 0;
}

function onStats(stats) {
  live.stats++;
  const counts = stats.counts || {};
  const now = Date.parse(stats.at) || Date.now();
  // Errors count from when this page started watching.
  live.base ||= { apps: counts.apps || {}, subs: counts.subs || {} };
  const text = document.getElementById("live-counts");
  if (text) {
    text.textContent = Object.entries(counts.apps || {}).sort()
      .map(([a, c]) => `${a}: ${c.succeeded} ok, ${c.failed} failed, ${c.dead} dead`).join(" · ");
  }
  const prev = live.prev;
  live.prev = { at: now, counts };
  const d = designer();
  if (!d || !prev || live.frozen) return;
  const dt = Math.max((now - prev.at) / 1000, 0.001);
  const rate = (cur, old) => Math.max(0, (cur - (old || 0)) / dt);
  const evRates = {}, subRates = {};
  let total = 0;
  for (const [ev, n] of Object.entries(counts.triggered || {})) {
    evRates[ev] = rate(n, (prev.counts.triggered || {})[ev]);
    total += evRates[ev];
  }
  for (const [k, c] of Object.entries(counts.subs || {})) subRates[k] = rate(c.started, ((prev.counts.subs || {})[k] || {}).started);
  // Enter at once; leave only after three calm readings, so the view does
  // not flicker between modes on a bursty load.
  if (total > live.aggregateAbove) { live.aggregate = true; live.calm = 0; live.tokens = []; }
  else if (live.aggregate && ++live.calm >= 3) live.aggregate = false;
  d.cy.container().dataset.mode = live.aggregate ? "aggregate" : "single";
  const topEv = Math.max(1, ...Object.values(evRates)), topSub = Math.max(1, ...Object.values(subRates));
  const queues = stats.queues || {}, loads = stats.inFlight || {};
  d.cy.batch(() => {
    for (const n of d.cy.nodes(".event")) {
      const ref = n.data("ref"), q = queues[ref], r = evRates[ref] || 0;
      const parts = [];
      if (q && q.pending > 0) parts.push(`queue ${q.pending}/${q.cap}`);
      if (r > 0) parts.push(rateText(r));
      n.data("stat", parts.join(" · "));
      n.data("rate", r);
      n.data("heat", live.aggregate ? r / topEv : 0);
      n.toggleClass("hot", live.aggregate && r > 0);
      relabel(n);
    }
    for (const n of d.cy.nodes(".app")) {
      const name = n.data("name"), l = loads[name], errs = errorsOf((counts.apps || {})[name], live.base.apps[name]);
      const parts = [];
      if (l && (l.running > 0 || l.queued > 0)) parts.push(`${l.running}/${l.limit} running` + (l.queued ? ` +${l.queued}` : ""));
      if (errs > 0) parts.push(`${errs} ${errs === 1 ? "error" : "errors"}`);
      n.data("stat", parts.join(" · "));
      relabel(n);
    }
    for (const e of d.cy.edges(".sub")) {
      const key = subRef(e.data("app"), e.data("ref")), r = subRates[key] || 0;
      const errs = errorsOf((counts.subs || {})[key], live.base.subs[key]);
      const parts = [];
      if (r > 0) parts.push(rateText(r));
      if (errs > 0) parts.push(`${errs} err`);
      e.data("stat", parts.join(" · "));
      e.data("heat", live.aggregate ? r / topSub : 0);
      e.toggleClass("hot", live.aggregate && r > 0);
      relabel(e);
    }
  });
}

// ---- the connection ----

// onEnvelope draws one note of the stream, in order.
function onEnvelope(msg) {
  animate(msg.note);
  logLine(msg.note);
  const n = msg.note;
  if (live.travel) return; // the graph shows the past; leaving re-reads the present
  if (n.kind === "endpoint.health" && designer()) {
    const node = showHealth(designer().cy, n.app, n.failures || 0);
    if (node.length) relabel(node);
  }
  if (backlogKinds.has(n.kind) || (n.kind === "delivery.succeeded" && live.backlog[subRef(n.app, n.event)])) backlogSoon();
}

// onSocket shows the connection's state above the log.
async function onSocket(state, info) {
  if (state === "connected") { live.dropped = 0; status("live", "connected"); return; }
  if (state === "skipped") { live.dropped = info.lost; status(`live — ${live.dropped} messages skipped`, "skipped"); return; }
  if (state !== "disconnected") return;
  status(`disconnected — reconnecting in ${Math.max(1, Math.round(info.waitMs / 1000))} s`, "disconnected");
  // The sign-in has ended (expired, or signed out in another tab): say
  // so, and keep trying, so signing in again (in any tab) brings the
  // view back.
  if (await signedOut()) status("signed out — sign in again to resume", "signed-out");
}

function connect() {
  live.socket = openSocket({
    onEnvelope,
    onStats: (stats) => { if (!live.travel) onStats(stats); },
    onStatus: onSocket,
  });
}

// signedOut asks the server whether this browser's sign-in is gone (the
// console answers a redirect to the sign-in page); a server that is down
// is not signed out.
async function signedOut() {
  try {
    await getJSON("/designer/data", { redirect: "manual" });
    return false;
  } catch (err) {
    return err.code === "redirect" || err.status === 401;
  }
}

// startLive wires the live panel's controls and connects.
export function startLive(design) {
  if (!document.getElementById("live-log")) return;
  expose("live", live);
  fillPickers(design);
  document.getElementById("live-pause").addEventListener("click", (e) => {
    live.paused = !live.paused;
    e.currentTarget.setAttribute("aria-pressed", String(live.paused));
    if (!live.paused) {
      const log = document.getElementById("live-log");
      for (const li of live.held) log.prepend(li);
      live.held = [];
      while (log.children.length > maxLines) log.lastChild.remove();
    }
    pauseLabel();
  });
  document.getElementById("live-freeze").addEventListener("click", (e) => {
    live.frozen = !live.frozen;
    e.currentTarget.setAttribute("aria-pressed", String(live.frozen));
    e.currentTarget.textContent = live.frozen ? "Unfreeze the graph" : "Freeze the graph";
  });
  for (const [id, key] of [["live-app", "app"], ["live-event", "event"], ["live-state", "state"]]) {
    document.getElementById(id).addEventListener("change", (e) => { live.filter[key] = e.target.value; refilter(); });
  }
  connect();
}
