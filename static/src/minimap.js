// The designer's minimap: a small overview of the whole design in a corner
// of the canvas, with the part in view drawn as a rectangle. Clicking or
// dragging on it moves the view there. It reads node boxes only, so it
// stays cheap on large designs.

import { colour } from "./colours.js";

// minimapWidth and minimapHeight are the overview's size in CSS pixels:
// small enough to cover little of the canvas.
const minimapWidth = 180, minimapHeight = 120;

// minimap adds the overview to the canvas's container and keeps it drawn;
// it returns what tests and the toolbar use.
export function minimap(cy) {
  const box = cy.container();
  const c = document.createElement("canvas");
  c.className = "minimap";
  c.dataset.testid = "minimap";
  c.title = "Overview: click or drag to move the view";
  const ratio = window.devicePixelRatio || 1;
  c.width = minimapWidth * ratio;
  c.height = minimapHeight * ratio;
  c.style.width = minimapWidth + "px";
  c.style.height = minimapHeight + "px";
  box.append(c);
  let frame = 0, scale = 1, ox = 0, oy = 0, dragging = false;

  const draw = () => {
    frame = 0;
    const g = c.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, minimapWidth, minimapHeight);
    const visible = cy.elements(":visible");
    if (!visible.length) return;
    const bb = visible.boundingBox({ includeLabels: false });
    const ext = cy.extent();
    // Fit the design and the view together, so the rectangle never leaves;
    // while a drag on the overview goes on, its scale holds still, so the
    // point under the pointer keeps meaning the same place.
    if (!dragging) fitScale(bb, ext);
    const appColour = colour("graph-app"), eventColour = colour("graph-event");
    const rect = (b) => [b.x1 * scale + ox, b.y1 * scale + oy, Math.max(1, b.w * scale), Math.max(1, b.h * scale)];
    g.lineWidth = 1;
    for (const n of cy.nodes(":visible")) {
      const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
      if (n.isParent() || n.hasClass("app")) {
        g.fillStyle = n.data("color") || appColour;
        g.globalAlpha = n.isParent() ? 0.25 : 0.6;
        g.fillRect(...rect(b));
        g.globalAlpha = 1;
      } else {
        g.fillStyle = eventColour;
        g.fillRect(...rect(b));
      }
    }
    g.strokeStyle = colour("graph-view");
    g.lineWidth = 1.5;
    g.strokeRect(...rect({ x1: ext.x1, y1: ext.y1, w: ext.w, h: ext.h }));
  };
  function fitScale(bb, ext) {
    const x1 = Math.min(bb.x1, ext.x1), y1 = Math.min(bb.y1, ext.y1), x2 = Math.max(bb.x2, ext.x2), y2 = Math.max(bb.y2, ext.y2);
    scale = Math.min((minimapWidth - 8) / (x2 - x1 || 1), (minimapHeight - 8) / (y2 - y1 || 1));
    ox = 4 - x1 * scale + ((minimapWidth - 8) - (x2 - x1) * scale) / 2;
    oy = 4 - y1 * scale + ((minimapHeight - 8) - (y2 - y1) * scale) / 2;
  }
  const redraw = () => { if (!frame) frame = requestAnimationFrame(draw); };
  cy.on("viewport add remove position resize style", redraw);

  // panTo centres the view on the model point under a minimap point.
  const panTo = (mx, my) => {
    const x = (mx - ox) / scale, y = (my - oy) / scale, z = cy.zoom();
    cy.pan({ x: cy.width() / 2 - x * z, y: cy.height() / 2 - y * z });
  };
  const at = (e) => { const r = c.getBoundingClientRect(); panTo(e.clientX - r.left, e.clientY - r.top); };
  c.addEventListener("pointerdown", (e) => { dragging = true; c.setPointerCapture(e.pointerId); at(e); e.preventDefault(); e.stopPropagation(); });
  c.addEventListener("pointermove", (e) => { if (dragging) at(e); });
  c.addEventListener("pointerup", (e) => { dragging = false; c.releasePointerCapture(e.pointerId); redraw(); });
  draw();
  return {
    canvas: c, redraw, panTo,
    // toPage is where a model point is drawn on the page, for tests that
    // click the minimap like a person.
    toPage(x, y) {
      draw();
      const r = c.getBoundingClientRect();
      return { x: r.left + x * scale + ox, y: r.top + y * scale + oy };
    },
  };
}
