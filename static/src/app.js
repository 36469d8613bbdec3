// Eventloom console: small enhancements; every page works without them.
// Bundled by esbuild (go generate) into dist/app.js, loaded on every page.
import { openSocket } from "./socket.js";
import { expose } from "./testhooks.js";
import "./keepopen.js";

// Character counters for Text inputs and the payload size of the
// trigger-test form, updated as the user types.
function updateCounters(form) {
  for (const input of form.querySelectorAll("[data-maxlength]")) {
    const out = form.querySelector(`[data-counter-for="${input.name}"]`);
    if (!out) continue;
    const n = [...input.value].length, max = Number(input.dataset.maxlength);
    out.textContent = `${n} / ${max} characters`;
    out.classList.toggle("over", n > max);
  }
  const size = form.querySelector("[data-payload-size]");
  if (size) {
    const values = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "submit") continue;
      if (el.type === "checkbox") values[el.name] = el.checked;
      else if (el.value !== "") values[el.name] = el.value;
    }
    const bytes = new TextEncoder().encode(JSON.stringify(values)).length;
    const max = Number(size.dataset.payloadSize);
    size.textContent = `payload about ${bytes} of ${max} bytes`;
    size.classList.toggle("over", bytes > max);
  }
}

// Remember the last payloads per event so a test can be re-sent. Only a
// payload the server accepted is remembered: the form comes back from a
// successful trigger marked data-accepted, holding the values it sent.
function remember(form) {
  const key = form.dataset.remember;
  if (!key) return;
  const values = {};
  for (const el of form.elements) {
    if (el.name && el.type !== "submit") values[el.name] = el.type === "checkbox" ? el.checked : el.value;
  }
  const list = JSON.parse(localStorage.getItem(key) || "[]").filter(v => JSON.stringify(v) !== JSON.stringify(values));
  list.unshift(values);
  localStorage.setItem(key, JSON.stringify(list.slice(0, 5)));
}

function restore(form, values) {
  for (const el of form.elements) {
    if (!el.name || !(el.name in values)) continue;
    if (el.type === "checkbox") el.checked = !!values[el.name];
    else el.value = values[el.name];
  }
  updateCounters(form);
}

function renderRecent(form) {
  const key = form.dataset.remember, box = document.querySelector(`[data-recent-for="${key}"]`);
  if (!key || !box) return;
  const list = JSON.parse(localStorage.getItem(key) || "[]");
  box.replaceChildren();
  list.forEach((values, i) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "secondary";
    b.textContent = `Payload ${i + 1}: ` + Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ").slice(0, 60);
    b.addEventListener("click", () => restore(form, values));
    box.append(b, " ");
  });
}

// once reports whether el is seen here for the first time, so enhancing
// a page again after an htmx swap never adds a second listener (htmx 4
// fires htmx:after:swap on the replaced, detached element after an
// outerHTML swap, so the whole document is enhanced again).
function once(el, what) {
  const key = "enhanced" + what;
  if (el.dataset[key]) return false;
  el.dataset[key] = "1";
  return true;
}

// Date-time inputs are in the browser's zone: the hints name it and the
// form sends it, so the server reads the times as the person meant them.
// Without this script both say UTC, and the server reads UTC.
function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { return ""; }
}

function zoneInputs(root) {
  const zone = browserZone();
  if (!zone) return;
  for (const input of root.querySelectorAll("input[data-zone-input]")) input.value = zone;
  for (const hint of root.querySelectorAll("[data-zone-hint]")) hint.textContent = zone;
}

// A colour input shows its value as hex beside it, kept current.
function colourInputs(root) {
  for (const input of root.querySelectorAll('input[type="color"][data-hex-for]')) {
    if (!once(input, "Hex")) continue;
    const out = document.getElementById(input.dataset.hexFor);
    if (!out) continue;
    const show = () => { out.textContent = input.value; };
    input.addEventListener("input", show);
    show();
  }
}

function enhance(root) {
  zoneInputs(root);
  colourInputs(root);
  followTraces(root);
  closeFinishedTraces();
  for (const form of root.querySelectorAll("form[data-counters]")) {
    if (!once(form, "Counters")) continue;
    form.addEventListener("input", () => updateCounters(form));
    if (form.hasAttribute("data-accepted")) remember(form);
    updateCounters(form);
    renderRecent(form);
  }
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    if (!once(form, "Confirm")) continue;
    // A form htmx sends (one in the designer's side panel) is asked by
    // htmx: a listener here could not stop htmx's own submit handler.
    if (form.closest("[hx-boost\\:inherited]")) { form.setAttribute("hx-confirm", form.dataset.confirm); continue; }
    form.addEventListener("submit", e => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
  }
}

// A running trace follows its chain: one websocket per trace, filtered to
// it by the server, asks the tree to refresh when a note of the chain
// arrives. The tree is replaced on each refresh, so the socket looks it up
// by id; once a refresh shows the chain finished, the socket closes.
const traceSockets = new Map();
const traceLive = expose("trace", { notes: 0, refreshes: 0, connected: 0 });

// An element may follow several traces (the dead-letters page follows
// every delivery just replayed): data-live-trace lists them, space-separated.
function followTraces(root) {
  for (const tree of root.querySelectorAll("[data-live-trace]")) {
    // Trace ids are whole numbers; anything else is not followed.
    for (const id of tree.dataset.liveTrace.split(/\s+/).filter(id => /^\d+$/.test(id))) {
      if (traceSockets.has(id)) continue;
      const sock = openSocket({
        params: { trace: id },
        onOpen: () => refreshTrace(id), // catch up on what happened before
        onEnvelope: () => { traceLive.notes++; refreshTrace(id); },
        // Reconnect only while the page still shows the trace.
        keep: () => treeOf(id) !== null,
        onStatus: (state) => {
          if (state === "connected") traceLive.connected++;
          if (state === "closed" && traceSockets.get(id) === sock) traceSockets.delete(id);
        },
      });
      traceSockets.set(id, sock);
    }
  }
}

function treesOf(id) {
  return document.querySelectorAll(`[data-live-trace~="${CSS.escape(id)}"]`);
}

function treeOf(id) {
  return treesOf(id)[0] || null;
}

function refreshTrace(id) {
  const trees = treesOf(id);
  if (trees.length === 0) { closeTrace(id); return; }
  traceLive.refreshes++;
  for (const tree of trees) tree.dispatchEvent(new CustomEvent("trace-changed"));
}

function closeTrace(id) {
  traceSockets.get(id)?.close();
  traceSockets.delete(id);
}

// After a refresh: a trace no longer running (or gone) needs no socket.
function closeFinishedTraces() {
  for (const id of [...traceSockets.keys()]) {
    if (!treeOf(id)) closeTrace(id);
  }
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
document.addEventListener("htmx:after:swap", e => enhance(e.target.isConnected ? e.target.parentElement || document : document));
// A form sent again clears the notice of the last request that failed
// (the server retargets a failed htmx request's notice to
// #console-errors); a refreshing trace leaves it in place.
document.addEventListener("htmx:before:request", e => {
  if (e.target.closest?.("form")) document.getElementById("console-errors")?.replaceChildren();
});

// Copy buttons: data-copy holds the text to copy (a secret shown once).
document.addEventListener("click", e => {
  const b = e.target.closest?.("[data-copy]");
  if (!b) return;
  navigator.clipboard?.writeText(b.dataset.copy).then(() => { b.textContent = "Copied"; }, () => { b.textContent = "Select it and copy"; });
});
