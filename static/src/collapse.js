// Collapsing apps on the designer: a collapsed app is one box; its events
// and the subscriptions leaving them are taken off the canvas (kept, to be
// put back as they were), and one arrow per handling app stands for them,
// labelled with how many subscriptions it carries. Large designs read at a
// glance this way, and any app opens again where it stands.

const metaID = (from, to) => "meta:" + from + ">" + to;

// Collapser remembers what each collapsed app holds.
export class Collapser {
  constructor(cy) {
    this.cy = cy;
    this.held = new Map(); // app id -> { eles, center, base }
  }

  isCollapsed(id) { return this.held.has(id); }

  names() { return [...this.held.keys()]; }

  // collapse folds one app into a single box; an app without events, or
  // one already folded, stays as it is.
  collapse(id) {
    const cy = this.cy, app = cy.getElementById(id);
    if (!app.length || this.held.has(id) || !app.isParent()) return false;
    const kids = app.children(), center = { ...app.position() };
    const eles = kids.union(kids.connectedEdges());
    cy.batch(() => {
      const base = app.data("base");
      eles.remove();
      this.held.set(id, { eles, center, base });
      app.position(center);
      app.addClass("collapsed");
      app.data("base", base + "\n" + kids.length + (kids.length === 1 ? " event" : " events"));
      app.data("label", app.data("base"));
      this.reroute();
    });
    return true;
  }

  // expand opens an app where its box now stands and returns the events
  // that moved with it (their positions are worth saving).
  expand(id) {
    const cy = this.cy, app = cy.getElementById(id), h = this.held.get(id);
    if (!h) return cy.collection();
    let moved = cy.collection();
    cy.batch(() => {
      this.held.delete(id);
      const p = app.length ? app.position() : h.center, dx = p.x - h.center.x, dy = p.y - h.center.y;
      app.removeClass("collapsed");
      app.data("base", h.base);
      app.data("label", h.base);
      if (!app.length) return;
      const nodes = h.eles.nodes();
      nodes.restore();
      // After the events: a loop's target is one of them.
      h.eles.edges().filter((e) => cy.getElementById(e.data("target")).length > 0).restore();
      if (dx || dy) { nodes.shift({ x: dx, y: dy }); moved = nodes; }
      this.reroute();
    });
    return moved;
  }

  collapseAll() { this.cy.nodes(".app").forEach((a) => { this.collapse(a.id()); }); }

  expandAll() {
    let moved = this.cy.collection();
    for (const id of this.names()) moved = moved.union(this.expand(id));
    return moved;
  }

  // reroute draws one arrow from each collapsed app to every other app
  // that handles one of its events.
  reroute() {
    const cy = this.cy, want = new Map();
    for (const [id, h] of this.held) {
      for (const e of h.eles.edges()) {
        const to = e.data("target");
        if (e.data("source") === to || to === id || !cy.getElementById(to).length) continue; // its own events: inside the box
        const k = metaID(id, to);
        want.set(k, { source: id, target: to, count: (want.get(k)?.count || 0) + 1 });
      }
    }
    cy.edges(".meta").filter((e) => !want.has(e.id())).remove();
    for (const [k, w] of want) {
      const label = w.count > 1 ? w.count + " subscriptions" : "1 subscription";
      const e = cy.getElementById(k);
      if (e.length) { e.data({ count: w.count, base: label, label }); continue; }
      cy.add({ group: "edges", data: { id: k, source: w.source, target: w.target, count: w.count, base: label, label }, classes: "meta" });
    }
  }
}
