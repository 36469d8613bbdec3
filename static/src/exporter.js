// Export of the designer's graph as files: SVG built from the drawn
// positions (a picture that stays sharp in documents and can be edited),
// PNG from cytoscape's own renderer. Only what is shown is exported: a
// collapsed app is one box, a faded element stays faded.

import { colour } from "./colours.js";

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (v) => Math.round(v * 10) / 10;

// textLines draws a (possibly multi-line) label centred on x, its first
// line's baseline at y.
function textLines(label, x, y, size, weight) {
  const lines = String(label || "").split("\n").filter((l) => l !== "");
  return lines.map((l, i) => `<text x="${num(x)}" y="${num(y + i * size * 1.2)}" font-size="${size}" font-weight="${weight || "normal"}" text-anchor="middle" font-family="system-ui, sans-serif" fill="${esc(colour("graph-ink"))}">${esc(l)}</text>`).join("");
}

// edgePath follows cytoscape's drawing of an edge: straight, a chain of
// quadratic curves through its control points, or taxi segments.
function edgePath(e) {
  const s = e.sourceEndpoint(), t = e.targetEndpoint();
  const seg = e.segmentPoints && e.segmentPoints();
  if (seg && seg.length) return `M${num(s.x)},${num(s.y)} ` + seg.map((p) => `L${num(p.x)},${num(p.y)}`).join(" ") + ` L${num(t.x)},${num(t.y)}`;
  const cps = e.controlPoints() || [];
  if (!cps.length) return `M${num(s.x)},${num(s.y)} L${num(t.x)},${num(t.y)}`;
  let d = `M${num(s.x)},${num(s.y)}`;
  cps.forEach((cp, i) => {
    const end = i === cps.length - 1 ? t : { x: (cp.x + cps[i + 1].x) / 2, y: (cp.y + cps[i + 1].y) / 2 };
    d += ` Q${num(cp.x)},${num(cp.y)} ${num(end.x)},${num(end.y)}`;
  });
  return d;
}

// toSVG returns the visible graph as an SVG document.
export function toSVG(cy) {
  const vis = cy.elements(":visible").filter((x) => !x.hasClass("eh-handle") && !x.hasClass("eh-ghost"));
  if (!vis.length) return `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`;
  const bb = vis.boundingBox(), pad = 20;
  const w = bb.w + 2 * pad, h = bb.h + 2 * pad;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${num(w)}" height="${num(h)}" viewBox="${num(bb.x1 - pad)} ${num(bb.y1 - pad)} ${num(w)} ${num(h)}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`,
    `<rect x="${num(bb.x1 - pad)}" y="${num(bb.y1 - pad)}" width="${num(w)}" height="${num(h)}" fill="${esc(colour("graph-paper"))}"/>`];
  // Apps first (they contain events), then events, then the arrows on top.
  const apps = vis.nodes().filter((n) => n.hasClass("app")), events = vis.nodes().filter((n) => !n.hasClass("app"));
  for (const n of apps) {
    const b = n.boundingBox({ includeLabels: false, includeOverlays: false }), color = n.data("color") || colour("graph-app");
    out.push(`<g class="app" opacity="${num(n.effectiveOpacity())}"><rect x="${num(b.x1)}" y="${num(b.y1)}" width="${num(b.w)}" height="${num(b.h)}" rx="8" fill="${esc(color)}" fill-opacity="${n.isParent() ? 0.12 : 0.3}" stroke="${esc(color)}" stroke-width="2"/>`
      + (n.isParent() ? textLines(n.data("label"), (b.x1 + b.x2) / 2, b.y1 - 6, 13, "bold") : textLines(n.data("label"), (b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2 + 4, 13, "bold")) + `</g>`);
  }
  for (const n of events) {
    const b = n.boundingBox({ includeLabels: false, includeOverlays: false }), p = n.position();
    const lines = String(n.data("label") || "").split("\n").length;
    const dashed = n.hasClass("private") ? ` stroke-dasharray="5,3"` : "";
    out.push(`<g class="event" opacity="${num(n.effectiveOpacity())}"><rect x="${num(b.x1)}" y="${num(b.y1)}" width="${num(b.w)}" height="${num(b.h)}" rx="6" fill="${esc(n.style("background-color"))}" stroke="${esc(n.style("border-color"))}" stroke-width="2"${dashed}/>`
      + textLines(n.data("label"), p.x, p.y + 4 - (lines - 1) * 6.5, 11) + `</g>`);
  }
  for (const e of vis.edges()) {
    const color = e.style("line-color"), m = e.midpoint();
    const dash = e.style("line-style") === "dashed" ? ` stroke-dasharray="6,4"` : e.style("line-style") === "dotted" ? ` stroke-dasharray="2,3"` : "";
    out.push(`<g class="edge" opacity="${num(e.effectiveOpacity())}"><path d="${edgePath(e)}" fill="none" stroke="${esc(color)}" stroke-width="${num(parseFloat(e.style("width")) || 2)}"${dash} marker-end="url(#arrow)"/>`
      + (e.data("label") ? textLines(e.data("label"), m.x, m.y + 3, 10) : "") + `</g>`);
  }
  out.push(`</svg>`);
  return out.join("\n");
}

// toPNG returns the whole graph (not just the part in view) as a PNG blob.
export function toPNG(cy) {
  // Twice the model size for sharp text, within what a browser canvas
  // holds (8,000 px a side is safe everywhere).
  const bb = cy.elements(":visible").boundingBox();
  const scale = Math.min(2, 8000 / (bb.w || 1), 8000 / (bb.h || 1));
  return cy.png({ output: "blob", full: true, scale, bg: colour("graph-paper") });
}

// download hands a blob to the browser as a file.
export function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
