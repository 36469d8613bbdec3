// Eventloom console: small enhancements; every page works without them.

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

// Remember the last payloads per event so a test can be re-sent.
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

function enhance(root) {
  for (const form of root.querySelectorAll("form[data-counters]")) {
    if (!once(form, "Counters")) continue;
    form.addEventListener("input", () => updateCounters(form));
    form.addEventListener("submit", () => remember(form));
    updateCounters(form);
    renderRecent(form);
  }
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    if (!once(form, "Confirm")) continue;
    form.addEventListener("submit", e => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
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
