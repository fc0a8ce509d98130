// Scatter (SVG): one metric (y) against one hyperparameter (x), a point per session in its run
// colour; sessions outside the brushes are faded; hover shows the session's values.

import { h } from "../../ui/dom";
import type { AxisScale } from "./geometry";
import { cellValue, type Column, type Session } from "./model";
import { fitLabel, placeTip, svg } from "./svg";

export interface ScatterHost {
  runColor(run: string): string;
  onHover(run: string | null): void;
  tipContent(run: string): Node;
}

export interface ScatterInput {
  x: Column | null;
  y: Column | null;
  xScale: AxisScale | null;
  yScale: AxisScale | null;
  sessions: readonly Session[];
  lit: ReadonlySet<string>;
  hover: string | null;
}

const HEIGHT = 280;
const M = { top: 12, bottom: 42, left: 72, right: 24 };

/** A stable offset in [-0.5, 0.5) per run: spreads points that share a category. */
export function jitter(run: string): number {
  let x = 2166136261;
  for (let i = 0; i < run.length; i++) x = Math.imul(x ^ run.charCodeAt(i), 16777619);
  return ((x >>> 0) % 1000) / 1000 - 0.5;
}

export class Scatter {
  readonly el: HTMLElement;
  private readonly svgEl: SVGSVGElement;
  private readonly tip = h("div", { class: "cb-tooltip" });
  private readonly empty = h("div", { class: "cb-hp-empty" });
  private dots = new Map<string, SVGCircleElement>();
  private pts: { run: string; x: number; y: number }[] = [];
  private hover: string | null = null;
  private lit: ReadonlySet<string> = new Set();
  width = 0;

  constructor(private readonly host: ScatterHost) {
    this.svgEl = svg("svg", { class: "cb-hp-sc-svg", height: HEIGHT, role: "img", "aria-label": "Scatter plot" });
    this.el = h("div", { class: "cb-hp-plot cb-hp-sc" }, this.svgEl, this.empty, this.tip);
    this.svgEl.addEventListener("mousemove", this.onMove);
    this.svgEl.addEventListener("mouseleave", this.onLeave);
  }

  render(input: ScatterInput) {
    const w = Math.max(240, Math.floor(this.width || this.el.clientWidth || 800));
    this.svgEl.setAttribute("width", String(w));
    this.svgEl.setAttribute("viewBox", `0 0 ${w} ${HEIGHT}`);
    const { x, y, xScale, yScale } = input;
    this.dots.clear();
    this.pts = [];
    this.lit = input.lit;
    this.hover = null;
    if (!x || !y || !xScale || !yScale) {
      this.svgEl.replaceChildren();
      this.svgEl.style.display = "none";
      this.empty.hidden = false;
      this.empty.textContent = !y ? "No metric to plot: log metrics with add_hparams(hparams, {name: value})." : "No hyperparameter to plot.";
      return;
    }
    this.svgEl.style.display = "";
    const pw = w - M.left - M.right, ph = HEIGHT - M.top - M.bottom;
    const px = (f: number) => M.left + f * pw, py = (f: number) => M.top + (1 - f) * ph;
    const cat = xScale.kind === "category";
    // number axes get a little room at the ends so extreme points are not cut
    const padX = (f: number) => (cat ? f : 0.03 + 0.94 * f), padY = (f: number) => 0.04 + 0.92 * f;
    const kids: SVGElement[] = [];
    kids.push(svg("rect", { class: "cb-hp-frame", x: M.left, y: M.top, width: pw, height: ph }));
    for (const t of yScale.ticks()) {
      const yy = py(padY(t.frac));
      kids.push(svg("line", { class: "cb-hp-grid", x1: M.left, x2: M.left + pw, y1: yy, y2: yy }));
      kids.push(svg("text", { class: "cb-hp-tick", x: M.left - 5, y: yy + 3.5, "text-anchor": "end" }, fitLabel(t.label, M.left - 8, 5.6)));
    }
    const xt = xScale.ticks();
    const tickW = Math.max(30, pw / Math.max(1, xt.length) - 4);
    for (const t of xt) {
      const xx = px(padX(t.frac));
      kids.push(svg("line", { class: "cb-hp-grid", x1: xx, x2: xx, y1: M.top, y2: M.top + ph }));
      kids.push(svg("text", { class: "cb-hp-tick", x: xx, y: M.top + ph + 14, "text-anchor": "middle" }, fitLabel(t.label, tickW, 5.6)));
    }
    kids.push(svg("text", { class: "cb-hp-axis-label", x: M.left + pw / 2, y: HEIGHT - 6, "text-anchor": "middle" },
      `${x.label}${xScale.kind === "log" ? " (log)" : ""}`));
    kids.push(svg("text", {
      class: "cb-hp-axis-label", x: 14, y: M.top + ph / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${M.top + ph / 2})`,
    }, fitLabel(`${y.label}${yScale.kind === "log" ? " (log)" : ""}`, ph, 6.8)));
    const band = cat ? 1 / Math.max(1, xScale.categories.length) : 0;
    const dim: SVGCircleElement[] = [], on: SVGCircleElement[] = [];
    for (const s of input.sessions) {
      const fx = xScale.frac(cellValue(s, x)), fy = yScale.frac(cellValue(s, y));
      if (fx === null || fy === null) continue;
      const cx = px(padX(fx + (cat ? jitter(s.run) * band * 0.5 : 0))), cy = py(padY(fy));
      const dot = svg("circle", { class: "cb-hp-pt", cx: cx.toFixed(1), cy: cy.toFixed(1), r: 4.5, fill: this.host.runColor(s.run), "data-run": s.run });
      this.dots.set(s.run, dot);
      this.pts.push({ run: s.run, x: cx, y: cy });
      (input.lit.has(s.run) ? on : dim).push(dot);
    }
    this.svgEl.replaceChildren(...kids, ...dim, ...on);
    this.empty.hidden = this.pts.length > 0;
    this.empty.textContent = "No session has both values.";
    this.setLit(input.lit);
    this.setHover(input.hover);
  }

  setLit(lit: ReadonlySet<string>) {
    this.lit = lit;
    for (const [run, d] of this.dots) d.classList.toggle("cb-hp-dim", !lit.has(run));
  }

  setHover(run: string | null) {
    if (run === this.hover) return;
    if (this.hover) this.dots.get(this.hover)?.classList.remove("cb-hp-hover");
    this.hover = run;
    const d = run ? this.dots.get(run) : null;
    if (d) {
      d.classList.add("cb-hp-hover");
      this.svgEl.append(d);
    }
  }

  private onMove = (e: MouseEvent) => {
    const r = this.svgEl.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    let best: string | null = null, bestD = 10, bestLit = false;
    for (const p of this.pts) {
      const d = Math.hypot(p.x - x, p.y - y);
      const lit = this.lit.has(p.run);
      if ((lit && !bestLit && d <= 10) || (lit === bestLit && d <= bestD)) {
        best = p.run;
        bestD = d;
        bestLit = lit;
      }
    }
    this.host.onHover(best);
    if (best === null) {
      this.tip.style.display = "none";
      return;
    }
    this.tip.replaceChildren(this.host.tipContent(best));
    const box = this.el.getBoundingClientRect();
    placeTip(this.tip, this.el, e.clientX - box.left, e.clientY - box.top);
  };

  private onLeave = () => {
    this.tip.style.display = "none";
    this.host.onHover(null);
  };

  destroy() {
    this.svgEl.removeEventListener("mousemove", this.onMove);
    this.svgEl.removeEventListener("mouseleave", this.onLeave);
    this.el.remove();
  }
}
