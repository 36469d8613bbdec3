// Charts of the console: the overview's last hour (or day) of triggers,
// attempts by outcome, failures, queue depth against the cap and handler
// latency, and the small sparklines of the same on event and app pages.
// Each [data-charts] element names the series it draws (data-series, the
// console's /stats/series with its query); the charts poll it every few
// seconds and redraw. The latest totals are kept on the element's data
// attributes (data-total-accepted, ...), which tests read. Colours come
// from the CSS custom properties --chart-*.
//
// A board polls only while its element is on the page: a board swapped
// out (htmx, the designer's side panel) stops at its next tick, and one
// whose app or event was deleted (the series answers 404) says so and
// stops. A board swapped in starts its own poll, once: the element is
// marked data-charts-started, because each swap that brings a board
// also runs this bundle again.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./charts.css";
import { getJSON } from "./api.js";
import { colour } from "./colours.js";

const pollMs = 3000;

// charts: what each chart draws, as [label, column, colour variable].
const charts = {
  triggers: [["accepted", "accepted", "chart-accepted"], ["refused", "refused", "chart-refused"]],
  deliveries: [["succeeded", "succeeded", "chart-succeeded"], ["failed", "failed", "chart-failed"], ["dead", "dead", "chart-dead"]],
  failures: [["failures", "failures", "chart-dead"]],
  queue: [["fullest queue", "queuePending", "chart-queue"], ["cap", "queueCap", "chart-cap"]],
  latency: [["p50 ms", "latencyP50Ms", "chart-p50"], ["p95 ms", "latencyP95Ms", "chart-p95"], ["p99 ms", "latencyP99Ms", "chart-p99"]],
};

// options builds a chart's uPlot options; a sparkline has no axes,
// legend or cursor.
function options(kind, width, height, spark) {
  const series = [{}].concat(charts[kind].map(([label, , name]) => ({
    label, stroke: colour(name), width: spark ? 1 : 1.5, spanGaps: kind === "queue" || kind === "latency",
  })));
  const o = { width, height, series, scales: { x: { time: true } } };
  if (spark) {
    o.legend = { show: false };
    o.cursor = { show: false };
    o.axes = [{ show: false }, { show: false }];
  } else {
    o.axes = [{ stroke: colour("muted") }, { stroke: colour("muted"), size: 60 }];
    if (kind === "latency") series.forEach((x, i) => i > 0 && (x.points = { show: true, size: 4 })); // runs are sparse
  }
  return o;
}

// lastOf is a column's latest non-null value, or null.
function lastOf(col) {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] != null) return col[i];
  return null;
}

// summary is what a chart's caption says of its window, in words.
const summary = {
  triggers: (f) => `${f.totals.accepted} accepted, ${f.totals.refused} refused`,
  deliveries: (f) => `${f.totals.succeeded} succeeded, ${f.totals.failed} failed, ${f.totals.dead} dead`,
  failures: (f) => `${f.totals.failures}`,
  queue: (f) => (f.totals.queuePending == null ? "no queue" : `${f.totals.queuePending} of ${f.totals.queueCap}`),
  latency: (f) => {
    const p = [f.latencyP50Ms, f.latencyP95Ms, f.latencyP99Ms].map(lastOf);
    return p[0] == null ? "no runs" : `latest ${p.map((v) => v.toFixed(1)).join(" / ")} ms`;
  },
};

// columns is a chart's data from a frame: the times, then its columns.
const columns = (kind, frame) => [frame.times].concat(charts[kind].map(([, col]) => frame[col]));

// Board is one [data-charts] element with its charts.
class Board {
  constructor(el) {
    this.el = el;
    this.spark = el.hasAttribute("data-spark");
    this.window = el.dataset.window || "1h";
    this.plots = new Map(); // chart element -> uPlot
    this.updates = 0;
    for (const b of el.querySelectorAll("[data-window-choice]")) {
      b.addEventListener("click", () => this.choose(b.dataset.windowChoice));
    }
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(el);
  }

  // start polls now and every pollMs until stop.
  start() {
    this.timer = setInterval(() => {
      if (!this.el.isConnected) this.stop("removed");
      else if (!document.hidden) this.poll();
    }, pollMs);
    this.poll();
  }

  // stop ends the board's poll for good, saying why on the element
  // (data-stopped: removed or gone), which tests read.
  stop(why) {
    clearInterval(this.timer);
    this.timer = null;
    this.resizer.disconnect();
    this.el.dataset.stopped = why;
  }

  choose(w) {
    this.window = w;
    this.el.dataset.window = w;
    for (const b of this.el.querySelectorAll("[data-window-choice]")) {
      b.setAttribute("aria-pressed", String(b.dataset.windowChoice === w));
    }
    for (const p of this.plots.values()) p.destroy();
    this.plots.clear();
    this.poll();
  }

  url() {
    const u = new URL(this.el.dataset.series, location.href);
    u.searchParams.set("window", this.window);
    return u;
  }

  async poll() {
    if (this.busy || !this.timer) return; // a slow answer is not asked for twice; a stopped board never again
    this.busy = true;
    const asked = this.window;
    const status = this.el.querySelector("[data-chart-status]");
    try {
      const frame = await getJSON(this.url().href);
      if (frame.window !== this.window) return; // a toggle came in meanwhile: asked again below
      this.draw(frame);
      if (status) {
        status.textContent = frame.status.rebuilding
          ? `Rebuilding from history… ${frame.status.read} records read`
          : frame.status.error || "";
        status.classList.toggle("error", !frame.status.rebuilding && !!frame.status.error);
      }
    } catch (err) {
      if (err.status === 404) {
        this.gone(status);
        return;
      }
      if (status) {
        status.textContent = `Charts not updated: ${err.message}`;
        status.classList.add("error");
      }
    } finally {
      this.busy = false;
      if (asked !== this.window) this.poll();
    }
  }

  // gone stops a board whose app or event no longer exists, saying so
  // instead of an error: the page it is on was deleted under it.
  gone(status) {
    this.stop("gone");
    const what = new URL(this.el.dataset.series, location.href).searchParams.has("event") ? "event" : "app";
    for (const p of this.plots.values()) p.destroy();
    this.plots.clear();
    if (status) {
      status.textContent = `This ${what} no longer exists: its charts stopped.`;
      status.classList.remove("error");
    }
  }

  draw(frame) {
    const t = frame.totals;
    Object.assign(this.el.dataset, {
      totalAccepted: t.accepted, totalRefused: t.refused, totalSucceeded: t.succeeded, totalFailed: t.failed,
      totalDead: t.dead, totalFailures: t.failures, queuePending: t.queuePending ?? "", queueCap: t.queueCap ?? "",
      rebuilding: frame.status.rebuilding, updates: ++this.updates,
    });
    for (const v of this.el.querySelectorAll("[data-chart-value]")) {
      v.textContent = summary[v.dataset.chartValue](frame);
    }
    for (const c of this.el.querySelectorAll("[data-chart]")) {
      const kind = c.dataset.chart;
      const data = columns(kind, frame);
      const plot = this.plots.get(c);
      if (plot) {
        plot.setData(data);
        continue;
      }
      const height = this.spark ? 36 : 160;
      this.plots.set(c, new uPlot(options(kind, Math.max(c.clientWidth, 80), height, this.spark), data, c));
    }
  }

  resize() {
    for (const [c, p] of this.plots) p.setSize({ width: Math.max(c.clientWidth, 80), height: p.height });
  }
}

// startAll starts every board on the page that no copy of this bundle
// has started yet.
function startAll() {
  for (const el of document.querySelectorAll("[data-charts]:not([data-charts-started])")) {
    el.dataset.chartsStarted = "";
    new Board(el).start();
  }
}

// watch starts the boards an htmx swap brings in; the first copy of the
// bundle on a page listens, later ones (run by those swaps) do not.
function watch() {
  startAll();
  const root = document.documentElement;
  if (root.hasAttribute("data-charts-watch")) return;
  root.setAttribute("data-charts-watch", "");
  document.addEventListener("htmx:after:swap", startAll);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
else watch();
