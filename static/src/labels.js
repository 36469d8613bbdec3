// Labels of the designer's arrows (subscriptions).

// usualKinds finds each app's usual handler kind: the most common among
// its subscriptions (flow on a tie). An arrow is labelled with its kind
// only where it differs, so the unusual handler stands out.
export function usualKinds(subs) {
  const counts = new Map();
  for (const s of subs) {
    const c = counts.get(s.app) || {};
    c[s.kind] = (c[s.kind] || 0) + 1;
    counts.set(s.app, c);
  }
  const out = new Map();
  for (const [app, c] of counts) out.set(app, Object.entries(c).sort((a, b) => b[1] - a[1] || (a[0] === "flow" ? -1 : b[0] === "flow" ? 1 : a[0].localeCompare(b[0])))[0][0]);
  return out;
}

// clipFilter keeps a filter short enough to sit on an arrow.
const clipFilter = (f) => (f.length > 28 ? f.slice(0, 27) + "…" : f);

// arrowLabel names a subscription's handler kind where it is unusual for
// its app, and its filter, shortened.
export function arrowLabel(s, usual) {
  return [s.kind === usual.get(s.app) ? "" : s.kind, s.filter ? "if " + clipFilter(s.filter) : ""].filter(Boolean).join(" · ");
}
