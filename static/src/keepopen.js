// Open <details> stay open across an htmx refresh: a running trace
// replaces its tree whenever a note of its chain arrives, and a person
// reading a receiver's answer or an occurrence's parameters would see it
// snap shut under the pointer. Just before a swap, a <details> in the
// new content whose id names one open on the page is opened, so it is
// never shown closed.
document.addEventListener("htmx:before:swap", (e) => {
  const open = new Set([...document.querySelectorAll("details[open][id]")].map((d) => d.id));
  if (open.size === 0) return;
  for (const task of e.detail?.tasks || []) {
    for (const d of task.fragment?.querySelectorAll?.("details[id]") || []) {
      if (open.has(d.id)) d.open = true;
    }
  }
});
