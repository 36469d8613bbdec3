// Eventloom step editor: the subscription editor's flow steps as cards.
// Without this script every card button submits the form and the server
// adds, moves or removes the step; with it, the same buttons work in the
// page, cards can be dragged by their handle, a removed step can be
// restored with Undo, and a trigger card shows the parameters of the
// event it picks. Cards and mapping rows are copied from <template>s the
// server renders, so the markup lives in one place (templates/steps.templ).
//
// The editor is a page of its own and is also loaded into the designer's
// side panel by htmx, which runs this script again on every swap: the
// listeners are installed once per page and every new editor found is
// set up.

const KEY = "__KEY__";

function cards(list) {
  return [...list.children].filter((el) => el.matches("[data-step-card]"));
}

// refresh marks the edge buttons and numbers the cards for screen readers.
function refresh(editor) {
  const list = editor.querySelector("[data-step-list]");
  const all = cards(list);
  all.forEach((card, i) => {
    card.querySelector('[data-step-action="up"]')?.setAttribute("aria-disabled", String(i === 0));
    card.querySelector('[data-step-action="down"]')?.setAttribute("aria-disabled", String(i === all.length - 1));
    card.setAttribute("aria-label", `Step ${i + 1} of ${all.length}`);
  });
}

function announce(editor, text) {
  const out = editor.querySelector("[data-step-status]");
  if (out) out.textContent = text;
}

// fromTemplate copies a server-rendered template, naming its inputs with key.
function fromTemplate(tpl, key) {
  const t = document.createElement("template");
  t.innerHTML = tpl.innerHTML.replaceAll(KEY, key);
  return t.content;
}

function freshKey(editor) {
  const used = new Set([...editor.querySelectorAll("[data-step-card]")].map((c) => c.dataset.key));
  const removed = editor.stepsRemoved?.card.dataset.key;
  let n = used.size + 1;
  while (used.has("n" + n) || removed === "n" + n) n++;
  return "n" + n;
}

function addStep(editor, type) {
  const tpl = editor.querySelector(`template[data-step-template="${CSS.escape(type)}"]`);
  if (!tpl) return;
  const list = editor.querySelector("[data-step-list]");
  list.append(fromTemplate(tpl, freshKey(editor)));
  const card = cards(list).at(-1);
  const menu = editor.querySelector("[data-step-menu]");
  if (menu) menu.open = false;
  refresh(editor);
  announce(editor, `Added step ${cards(list).length}: ${card.querySelector(".step-title")?.textContent || type}.`);
  card.querySelector("input:not([type=hidden]), select")?.focus();
}

function moveStep(editor, card, dir, button) {
  if (dir === "up" && card.previousElementSibling) card.after(card.previousElementSibling);
  else if (dir === "down" && card.nextElementSibling) card.before(card.nextElementSibling);
  else return;
  refresh(editor);
  announce(editor, `Moved to position ${cards(card.parentElement).indexOf(card) + 1}.`);
  button?.focus();
}

// removeStep takes the card out of the form (a detached card is not
// submitted) and keeps it for Undo until the next removal.
function removeStep(editor, card) {
  const list = card.parentElement;
  editor.stepsRemoved = { card, index: cards(list).indexOf(card) };
  card.remove();
  refresh(editor);
  const notice = editor.querySelector("[data-step-notice]");
  const title = card.querySelector(".step-title")?.textContent.trim();
  notice.querySelector("[data-step-notice-text]").textContent = `Removed step ${editor.stepsRemoved.index + 1}${title ? ` (${title})` : ""}.`;
  notice.hidden = false;
  notice.querySelector("[data-step-undo]").focus();
}

function undoRemove(editor) {
  const r = editor.stepsRemoved;
  if (!r) return;
  const list = editor.querySelector("[data-step-list]");
  const at = cards(list)[r.index];
  if (at) at.before(r.card);
  else list.append(r.card);
  editor.stepsRemoved = null;
  editor.querySelector("[data-step-notice]").hidden = true;
  refresh(editor);
  announce(editor, `Step ${r.index + 1} restored.`);
  r.card.querySelector('[data-step-action="remove"]')?.focus();
}

// pickEvent shows a row per parameter of the trigger card's new event,
// keeping what was typed for a parameter of the same name.
function pickEvent(editor, select) {
  const card = select.closest("[data-step-card]");
  const rows = card.querySelector("[data-step-mapping-rows]");
  const tpl = editor.querySelector(`template[data-mapping-template="${CSS.escape(select.value)}"]`);
  if (!rows || !tpl) return;
  const typed = new Map([...rows.querySelectorAll("input")].filter((i) => i.value !== "").map((i) => [i.name, i.value]));
  rows.replaceChildren(fromTemplate(tpl, card.dataset.key));
  for (const input of rows.querySelectorAll("input")) {
    if (typed.has(input.name)) input.value = typed.get(input.name);
  }
}

function showKind(form) {
  const kind = form.querySelector("[data-handler-kind]");
  if (!kind) return;
  for (const el of form.querySelectorAll("[data-kind-only]")) el.hidden = el.dataset.kindOnly !== kind.value;
}

// scrollParent is the element that scrolls the editor: the side panel's
// body, or the page.
function scrollParent(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowY;
    if ((o === "auto" || o === "scroll") && p.scrollHeight > p.clientHeight) return p;
  }
  return document.scrollingElement;
}

// Dragging a card by its handle with pointer events (mouse, pen, touch):
// the card moves among its siblings as the pointer passes their middles;
// near an edge of what scrolls, it scrolls; Escape puts the card back.
function startDrag(editor, handle, down) {
  const card = handle.closest("[data-step-card]");
  const list = card.parentElement;
  const from = cards(list).indexOf(card);
  const scroller = scrollParent(list);
  card.classList.add("dragging");
  const move = (e) => {
    e.preventDefault();
    const edge = scroller === document.scrollingElement ? { top: 0, bottom: window.innerHeight } : scroller.getBoundingClientRect();
    const margin = 40; // px from an edge where dragging scrolls, a finger's width
    if (e.clientY < edge.top + margin) scroller.scrollBy(0, -20);
    else if (e.clientY > edge.bottom - margin) scroller.scrollBy(0, 20);
    const others = cards(list).filter((c) => c !== card);
    const before = others.find((c) => { const b = c.getBoundingClientRect(); return e.clientY < b.top + b.height / 2; });
    if (before) { if (card.nextElementSibling !== before) before.before(card); }
    else if (list.lastElementChild !== card) list.append(card);
  };
  const key = (e) => {
    if (e.key !== "Escape") return;
    const at = cards(list).filter((c) => c !== card)[from];
    if (at) at.before(card);
    else list.append(card);
    end();
  };
  const end = () => {
    document.removeEventListener("pointermove", move);
    document.removeEventListener("pointerup", end);
    document.removeEventListener("pointercancel", end);
    document.removeEventListener("keydown", key);
    card.classList.remove("dragging");
    refresh(editor);
    const to = cards(list).indexOf(card);
    if (to !== from) announce(editor, `Moved to position ${to + 1}.`);
  };
  document.addEventListener("pointermove", move);
  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", end);
  document.addEventListener("keydown", key);
  down.preventDefault();
}

function init(root) {
  for (const editor of root.querySelectorAll("[data-steps]:not(.js)")) {
    editor.classList.add("js");
    const status = document.createElement("span");
    status.className = "sr-only";
    status.setAttribute("aria-live", "polite");
    status.dataset.stepStatus = "";
    editor.append(status);
    refresh(editor);
    const form = editor.closest("form");
    if (form) showKind(form);
    // A refused save comes back with its errors under their fields: take
    // the user to the first, after the side panel has scrolled to its top.
    const invalid = form?.querySelector('[aria-invalid="true"]');
    if (invalid) requestAnimationFrame(() => invalid.focus());
  }
}

function install() {
  document.addEventListener("click", (e) => {
    const editor = e.target.closest("[data-steps].js");
    if (!editor) return;
    const action = e.target.closest("[data-step-action]");
    const add = e.target.closest("[data-step-add]");
    if (action) {
      e.preventDefault();
      const card = action.closest("[data-step-card]");
      if (action.dataset.stepAction === "remove") removeStep(editor, card);
      else moveStep(editor, card, action.dataset.stepAction, action);
    } else if (add) {
      e.preventDefault();
      addStep(editor, add.dataset.stepAdd);
    } else if (e.target.closest("[data-step-undo]")) {
      e.preventDefault();
      undoRemove(editor);
    }
  });
  document.addEventListener("change", (e) => {
    if (e.target.matches("[data-steps].js [data-step-event]")) pickEvent(e.target.closest("[data-steps]"), e.target);
    if (e.target.matches("[data-handler-kind]")) showKind(e.target.form);
  });
  document.addEventListener("pointerdown", (e) => {
    const handle = e.target.closest("[data-steps].js [data-step-handle]");
    if (handle && e.button === 0) startDrag(handle.closest("[data-steps]"), handle, e);
  });
  for (const name of ["htmx:after:swap", "htmx:after:process"]) document.addEventListener(name, () => init(document));
}

// The page's listeners are installed once, however often htmx runs this
// script again: the document remembers it (a mark on <html>, not a
// global).
if (!document.documentElement.hasAttribute("data-steps-installed")) {
  document.documentElement.setAttribute("data-steps-installed", "");
  install();
}
init(document);
