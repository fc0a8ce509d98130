// Parallel coordinates (SVG): an axis per column (hyperparameters, then metrics), a polyline per
// session coloured by the chosen metric; drag along an axis to brush (filter) sessions, click an
// axis to clear its brush, "linear"/"log" under a positive number axis switches its scale.
// Full rebuilds happen on data/layout changes only; brushing and hover update classes in place
// (a rebuild would drop the pointer capture of a drag).

import { h } from "../../ui/dom";
import {
  axisPositions, brushFracs, brushFromFracs, canLog, nearestLine, type AxisScale, type Brush,
} from "./geometry";
import { cellValue, columnTip, type Column, type Session } from "./model";
import { fitLabel, placeTip, svg } from "./svg";

export interface ParCoordsHost {
  onBrush(key: string, brush: Brush | null): void;
  /** A drag along an axis starts (true) or ends (false). */
  onDrag(active: boolean): void;
  onHover(run: string | null): void;
  onToggleLog(key: string): void;
  tipContent(run: string): Node;
}

export interface ParCoordsInput {
  columns: Column[];
  scales: ReadonlyMap<string, AxisScale>;
  logKeys: ReadonlySet<string>;
  sessions: readonly Session[];
  color(s: Session): string;
  brushes: ReadonlyMap<string, Brush>;
  lit: ReadonlySet<string>;
  hover: string | null;
}

const HEIGHT = 300;
const M = { top: 40, bottom: 30, left: 64, right: 64 };

export class ParallelCoords {
  readonly el: HTMLElement;
  private readonly svgEl: SVGSVGElement;
  private readonly tip = h("div", { class: "cb-tooltip" });
  private readonly empty = h("div", { class: "cb-hp-empty" });
  private readonly linesG: SVGGElement;
  private readonly axesG: SVGGElement;
  private paths = new Map<string, SVGPathElement>();
  private brushRects = new Map<string, SVGRectElement>();
  private xs: number[] = [];
  private ys: number[][] = [];
  private runs: string[] = [];
  private input: ParCoordsInput | null = null;
  private hover: string | null = null;
  private drag: { key: string; f0: number; moved: boolean; id: number } | null = null;
  width = 0;

  constructor(private readonly host: ParCoordsHost) {
    this.svgEl = svg("svg", { class: "cb-hp-pc-svg", height: HEIGHT, role: "img", "aria-label": "Parallel coordinates" });
    this.linesG = svg("g", { class: "cb-hp-lines" });
    this.axesG = svg("g", { class: "cb-hp-axes" });
    this.svgEl.append(this.linesG, this.axesG);
    this.el = h("div", { class: "cb-hp-plot cb-hp-pc" }, this.svgEl, this.empty, this.tip);
    this.svgEl.addEventListener("mousemove", this.onMove);
    this.svgEl.addEventListener("mouseleave", this.onLeave);
  }

  private get plotH() {
    return HEIGHT - M.top - M.bottom;
  }

  private yOf(frac: number) {
    return M.top + (1 - frac) * this.plotH;
  }

  render(input: ParCoordsInput) {
    this.input = input;
    if (this.drag) {
      // the axis being dragged is about to be replaced (the panel defers renders while dragging)
      this.drag = null;
      this.host.onDrag(false);
    }
    const w = Math.max(240, Math.floor(this.width || this.el.clientWidth || 800));
    this.svgEl.setAttribute("width", String(w));
    this.svgEl.setAttribute("viewBox", `0 0 ${w} ${HEIGHT}`);
    const cols = input.columns;
    this.empty.hidden = cols.length > 0 && input.sessions.length > 0;
    this.empty.textContent = cols.length ? "No session to draw (check the run filter)." : "No hyperparameter or metric columns are shown.";
    this.svgEl.style.display = cols.length ? "" : "none";
    this.xs = axisPositions(cols.length, w, M.left, M.right);
    const spacing = cols.length > 1 ? this.xs[1] - this.xs[0] : w - M.left - M.right;

    // lines
    this.paths.clear();
    this.ys = [];
    this.runs = [];
    const paths: SVGPathElement[] = [];
    for (const s of input.sessions) {
      const ys = cols.map((c) => {
        const f = input.scales.get(c.key)!.frac(cellValue(s, c));
        return f === null ? NaN : this.yOf(f);
      });
      let d = "";
      let pen = false;
      ys.forEach((y, i) => {
        if (!Number.isFinite(y)) { pen = false; return; }
        const next = ys[i + 1];
        if (!pen && !(i + 1 < ys.length && Number.isFinite(next))) {
          // a lone point between missing values: a short tick so it shows
          d += `M${(this.xs[i] - 3).toFixed(1)},${y.toFixed(1)}h6`;
          return;
        }
        d += `${pen ? "L" : "M"}${this.xs[i].toFixed(1)},${y.toFixed(1)}`;
        pen = true;
      });
      if (!d) continue;
      const p = svg("path", { class: "cb-hp-line", d, stroke: input.color(s), "data-run": s.run });
      this.paths.set(s.run, p);
      this.ys.push(ys);
      this.runs.push(s.run);
      paths.push(p);
    }
    this.linesG.replaceChildren(...paths);

    // axes
    this.brushRects.clear();
    const axes: SVGGElement[] = [];
    cols.forEach((c, i) => {
      const x = this.xs[i];
      const scale = input.scales.get(c.key)!;
      const g = svg("g", { class: `cb-hp-axis cb-hp-axis-${c.group}`, "data-key": c.key });
      g.append(svg("line", { class: "cb-hp-axis-line", x1: x, x2: x, y1: M.top, y2: M.top + this.plotH }));
      const tickW = Math.min(spacing - 14, M.left - 6);
      for (const t of scale.ticks()) {
        const y = this.yOf(t.frac);
        g.append(svg("line", { class: "cb-hp-axis-line", x1: x - 3, x2: x, y1: y, y2: y }));
        const label = svg("text", { class: "cb-hp-tick", x: x - 5, y: y + 3.5, "text-anchor": "end" }, fitLabel(t.label, tickW, 5.6));
        if (label.textContent !== t.label) label.append(svg("title", {}, t.label));
        g.append(label);
      }
      const name = svg("text", { class: "cb-hp-axis-label", x, y: M.top - 22, "text-anchor": "middle" },
        fitLabel(c.label, Math.min(spacing - 8, 2 * Math.min(x, w - x) - 8), 6.8));
      const tip = columnTip(c); // the experiment's description and interval domain, if any
      name.append(svg("title", {}, `${c.label}${c.label === c.name ? "" : ` (${c.name})`}${c.group === "metric" ? " (metric)" : ""}${tip ? `\n${tip}` : ""}`));
      g.append(name);
      if (canLog(c)) {
        const isLog = input.logKeys.has(c.key);
        const tog = svg("text", {
          class: "cb-hp-scale-toggle", x, y: M.top - 9, "text-anchor": "middle", role: "button", "data-scale": isLog ? "log" : "linear",
        }, isLog ? "log" : "linear");
        tog.append(svg("title", {}, isLog ? "Log scale: click for linear" : "Linear scale: click for log"));
        tog.addEventListener("click", () => this.host.onToggleLog(c.key));
        g.append(tog);
      }
      const br = svg("rect", { class: "cb-hp-brush", x: x - 8, width: 16, y: M.top, height: 0 });
      br.style.display = "none";
      this.brushRects.set(c.key, br);
      const hit = svg("rect", { class: "cb-hp-hit", x: x - 14, width: 28, y: M.top - 6, height: this.plotH + 12, "data-key": c.key });
      hit.append(svg("title", {}, "Drag along the axis to filter sessions; click to clear"));
      hit.addEventListener("pointerdown", (e) => this.startDrag(e, c.key, hit));
      g.append(br, hit);
      axes.push(g);
    });
    this.axesG.replaceChildren(...axes);
    this.hover = null;
    this.setBrushState(input.brushes, input.lit);
    this.setHover(input.hover);
  }

  /** Brush rectangles and which lines are lit (pass every brush) vs dimmed. */
  setBrushState(brushes: ReadonlyMap<string, Brush>, lit: ReadonlySet<string>) {
    if (this.input) this.input = { ...this.input, brushes, lit };
    for (const [key, rect] of this.brushRects) {
      const b = brushes.get(key);
      const scale = this.input?.scales.get(key);
      const fr = b && scale ? brushFracs(scale, b) : null;
      if (!fr) {
        rect.style.display = "none";
        continue;
      }
      const y0 = this.yOf(fr[1]), y1 = this.yOf(fr[0]);
      rect.setAttribute("y", String(y0));
      rect.setAttribute("height", String(Math.max(2, y1 - y0)));
      rect.style.display = "";
    }
    const dim: SVGPathElement[] = [], on: SVGPathElement[] = [];
    for (const [run, p] of this.paths) {
      const isLit = lit.has(run);
      p.classList.toggle("cb-hp-dim", !isLit);
      p.setAttribute("data-lit", isLit ? "1" : "0");
      (isLit ? on : dim).push(p);
    }
    this.linesG.append(...dim, ...on);
    const hp = this.hover ? this.paths.get(this.hover) : null;
    if (hp) this.linesG.append(hp);
  }

  setHover(run: string | null) {
    if (this.hover === run) return;
    if (this.hover) this.paths.get(this.hover)?.classList.remove("cb-hp-hover");
    this.hover = run;
    const p = run ? this.paths.get(run) : null;
    if (p) {
      p.classList.add("cb-hp-hover");
      this.linesG.append(p);
    }
  }

  /** Position along the axes of a pointer; within 4 px of an end (or past it) snaps to the end. */
  private fracAt(e: PointerEvent): number {
    const r = this.svgEl.getBoundingClientRect();
    const f = (M.top + this.plotH - (e.clientY - r.top)) / this.plotH;
    const snap = 4 / this.plotH;
    return f <= snap ? 0 : f >= 1 - snap ? 1 : f;
  }

  private startDrag(e: PointerEvent, key: string, hit: SVGRectElement) {
    if (e.button !== 0) return;
    e.preventDefault();
    this.drag = { key, f0: this.fracAt(e), moved: false, id: e.pointerId };
    this.host.onDrag(true);
    this.tip.style.display = "none";
    try { hit.setPointerCapture(e.pointerId); } catch { /* synthetic events */ }
    const move = (ev: PointerEvent) => {
      const d = this.drag;
      if (!d || ev.pointerId !== d.id) return;
      const f1 = this.fracAt(ev);
      if (!d.moved && Math.abs(f1 - d.f0) * this.plotH < 3) return;
      d.moved = true;
      const scale = this.input?.scales.get(key);
      if (scale) this.host.onBrush(key, brushFromFracs(scale, d.f0, f1));
    };
    const up = (ev: PointerEvent) => {
      const d = this.drag;
      if (!d || ev.pointerId !== d.id) return;
      hit.removeEventListener("pointermove", move);
      hit.removeEventListener("pointerup", up);
      hit.removeEventListener("pointercancel", up);
      hit.removeEventListener("lostpointercapture", up);
      this.drag = null;
      if (!d.moved) this.host.onBrush(key, null); // a click clears the axis' brush
      this.host.onDrag(false);
    };
    hit.addEventListener("pointermove", move);
    hit.addEventListener("pointerup", up);
    hit.addEventListener("pointercancel", up);
    hit.addEventListener("lostpointercapture", up);
  }

  private onMove = (e: MouseEvent) => {
    if (this.drag || !this.input) return;
    const r = this.svgEl.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    // lit lines win over dimmed ones
    const lit = this.input.lit;
    const idx = this.runs.map((run, i) => (lit.has(run) ? i : -1)).filter((i) => i >= 0);
    let k = nearestLine(this.xs, idx.map((i) => this.ys[i]), x, y, 6);
    let run = k >= 0 ? this.runs[idx[k]] : null;
    if (run === null) {
      k = nearestLine(this.xs, this.ys, x, y, 4);
      run = k >= 0 ? this.runs[k] : null;
    }
    this.host.onHover(run);
    if (run === null) {
      this.tip.style.display = "none";
      return;
    }
    this.tip.replaceChildren(this.host.tipContent(run));
    const box = this.el.getBoundingClientRect();
    placeTip(this.tip, this.el, e.clientX - box.left, e.clientY - box.top);
  };

  private onLeave = () => {
    this.tip.style.display = "none";
    if (!this.drag) this.host.onHover(null);
  };

  destroy() {
    this.svgEl.removeEventListener("mousemove", this.onMove);
    this.svgEl.removeEventListener("mouseleave", this.onLeave);
    this.el.remove();
  }
}
