// A margin chart of the custom scalars tab (TensorBoard's `margin` chart): per run, the value
// series as a line and the band between its lower and upper series shaded. The three series are
// ordinary scalar tags of the same run, joined on step. Drawn with uPlot bands; long series are
// reduced to the envelope per pixel bucket (min/max of the value, min of lower, max of upper), so
// no spike is dropped.

import uPlot from "uplot";
import { h, iconButton } from "../../ui/dom";
import { fmtDuration, fmtInt, fmtTick, fmtValue, fmtWall } from "../../ui/format";
import { escapeHtml } from "../../ui/markdown";
import { withAlpha } from "../../ui/theme";
import type { ScalarSeries } from "../scalars/series";
import { labelStep, linearSplits, Y_INCRS } from "../scalars/ticks";
import { xAxis } from "../scalars/xaxis";
import type { PanelContext } from "../types";
import type { MarginSeries } from "./layout";

/** One run's value / lower / upper columns joined on step (lower, upper NaN where not logged). */
export interface MarginColumns {
  steps: Float64Array;
  walls: Float64Array;
  value: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  n: number;
}

interface Col {
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  length: number;
}

/** lower / upper at each step of the value series (the last point logged at a step wins). */
export function joinMargin(value: Col & { walls: ArrayLike<number> }, lower: Col | null, upper: Col | null): MarginColumns {
  const n = value.length;
  const at = (c: Col | null) => {
    const out = new Float64Array(n).fill(NaN);
    if (!c) return out;
    const m = new Map<number, number>();
    for (let i = 0; i < c.length; i++) m.set(c.steps[i], c.values[i]);
    for (let i = 0; i < n; i++) out[i] = m.get(value.steps[i]) ?? NaN;
    return out;
  };
  return {
    steps: Float64Array.from({ length: n }, (_, i) => value.steps[i]),
    walls: Float64Array.from({ length: n }, (_, i) => value.walls[i]),
    value: Float64Array.from({ length: n }, (_, i) => value.values[i]),
    lower: at(lower),
    upper: at(upper),
    n,
  };
}

/**
 * At most 2 points per bucket over [x0, x1] (xs ascending): the bucket's first and last x, its
 * value min and max in their order, and for both the bucket's min lower and max upper. Buckets
 * with few points keep them as they are.
 */
export function envelope(xs: Float64Array, c: MarginColumns, x0: number, x1: number, buckets: number) {
  const n = c.n;
  if (n <= 2 * buckets || !(x1 > x0)) return { xs, value: c.value, lower: c.lower, upper: c.upper, n };
  const ox: number[] = [], ov: number[] = [], ol: number[] = [], ou: number[] = [];
  const w = (x1 - x0) / buckets;
  let i = 0;
  while (i < n) {
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((xs[i] - x0) / w)));
    let j = i;
    let lo = Infinity, hi = -Infinity, vmin = Infinity, vmax = -Infinity, imin = -1, imax = -1;
    while (j < n && Math.min(buckets - 1, Math.max(0, Math.floor((xs[j] - x0) / w))) === b) {
      const v = c.value[j];
      if (v < vmin) { vmin = v; imin = j; }
      if (v > vmax) { vmax = v; imax = j; }
      if (c.lower[j] < lo) lo = c.lower[j];
      if (c.upper[j] > hi) hi = c.upper[j];
      j++;
    }
    const L = Number.isFinite(lo) ? lo : NaN, U = Number.isFinite(hi) ? hi : NaN;
    if (j - i <= 2) {
      for (let k = i; k < j; k++) { ox.push(xs[k]); ov.push(c.value[k]); ol.push(c.lower[k]); ou.push(c.upper[k]); }
    } else {
      const first = imin < 0 ? NaN : imin <= imax ? vmin : vmax, second = imin < 0 ? NaN : imin <= imax ? vmax : vmin;
      ox.push(xs[i], xs[j - 1]);
      ov.push(first, second);
      ol.push(L, L);
      ou.push(U, U);
    }
    i = j;
  }
  return { xs: Float64Array.from(ox), value: Float64Array.from(ov), lower: Float64Array.from(ol), upper: Float64Array.from(ou), n: ox.length };
}

/** One run's band in a margin chart. */
export interface MarginRun {
  run: string;
  spec: MarginSeries;
  value: ScalarSeries;
  lower: ScalarSeries | null;
  upper: ScalarSeries | null;
}

interface Drawn {
  r: MarginRun;
  color: string;
  xs: Float64Array;
  cols: MarginColumns;
  start: number;
}

const finiteOrNull = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

export class MarginChart {
  readonly el: HTMLElement;
  readonly plotEl: HTMLElement;
  dirty = true;
  private readonly tip: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly note: HTMLElement;
  private readonly emptyEl: HTMLElement;
  private readonly wideBtn: HTMLButtonElement;
  private u: uPlot | null = null;
  private sig = "";
  private runs: MarginRun[] = [];
  private drawn: Drawn[] = [];
  private width = 0;
  private height = 0;

  constructor(readonly title: string, private readonly ctx: PanelContext) {
    this.plotEl = h("div", { class: "cb-plot" });
    this.tip = h("div", { class: "cb-tooltip" });
    this.legend = h("div", { class: "cb-legend" });
    this.note = h("span", { class: "cb-card-note" });
    this.emptyEl = h("div", { class: "cb-empty", text: "no points for the runs shown" });
    this.wideBtn = iconButton("expand", "Toggle full width");
    this.wideBtn.addEventListener("click", () => {
      this.el.classList.toggle("cb-wide");
      this.dirty = true;
      this.ctx.requestFlush();
    });
    this.el = h("div", { class: "cb-card cb-cs-card cb-margin-card", "data-chart": title },
      h("div", { class: "cb-card-head" },
        h("span", { class: "cb-card-title", title, text: title }),
        this.note,
        h("span", { class: "cb-actions" }, this.wideBtn)),
      this.plotEl, this.legend, this.tip);
  }

  /** Runs with a value series drawn last time. */
  get hasData(): boolean {
    return this.drawn.length > 0;
  }

  setRuns(runs: MarginRun[]) {
    this.runs = runs;
  }

  resize(width: number, height: number) {
    if (width <= 0 || height <= 0) return;
    if (Math.abs(width - this.width) < 1 && Math.abs(height - this.height) < 1) return;
    this.width = width;
    this.height = height;
    this.dirty = true;
  }

  draw(runStarts: Map<string, number>) {
    this.dirty = false;
    const theme = this.ctx.theme();
    const mode = this.ctx.settings.x_axis;
    const logY = this.ctx.settings.log_y;
    const drawn: Drawn[] = [];
    let lo = Infinity, hi = -Infinity;
    for (const r of this.runs) {
      if (r.value.length === 0) continue;
      const cols = joinMargin(r.value, r.lower, r.upper);
      const start = runStarts.get(r.run) ?? cols.walls[0];
      const xs = mode === "step" ? cols.steps : mode === "wall" ? cols.walls : cols.walls.map((w) => w - start);
      for (let i = 0; i < cols.n; i++) {
        if (xs[i] < lo) lo = xs[i];
        if (xs[i] > hi) hi = xs[i];
      }
      drawn.push({ r, color: this.ctx.runColor(r.run), xs, cols, start });
    }
    this.drawn = drawn;
    this.renderLegend(drawn);
    const missing = drawn.filter((d) => !d.r.lower || !d.r.upper).length;
    this.note.textContent = missing ? "bounds not logged" : "";
    if (drawn.length === 0 || !Number.isFinite(lo)) {
      this.destroyPlot();
      if (!this.emptyEl.isConnected) this.plotEl.append(this.emptyEl);
      return;
    }
    this.emptyEl.remove();
    if (hi <= lo) {
      lo -= 1;
      hi += 1;
    }

    // one table per run: [x, upper, lower, value], enveloped per pixel bucket; joined on x
    const width = Math.max(100, Math.floor(this.width || this.plotEl.clientWidth || 600));
    const height = Math.max(80, Math.floor(this.height || this.plotEl.clientHeight || 230));
    const buckets = Math.max(8, Math.min(4096, Math.round(width - 60)));
    const tables: uPlot.AlignedData[] = [];
    for (const d of drawn) {
      const order = ascendingOrder(d.xs, d.cols.n);
      const sorted = order ? permute(d, order) : { xs: d.xs, cols: d.cols };
      const e = envelope(sorted.xs, sorted.cols, lo, hi, buckets);
      const pos = (a: Float64Array) => (logY ? a.map((v) => (v > 0 ? v : NaN)) : a);
      tables.push([Array.from(e.xs.subarray(0, e.n)), finiteOrNull(pos(e.upper).subarray(0, e.n)),
        finiteOrNull(pos(e.lower).subarray(0, e.n)), finiteOrNull(pos(e.value).subarray(0, e.n))] as unknown as uPlot.AlignedData);
    }
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);

    const sig = JSON.stringify([drawn.map((d) => [d.r.run, d.color]), mode, logY, theme.id]);
    if (!this.u || sig !== this.sig) {
      this.destroyPlot();
      this.sig = sig;
      this.u = new uPlot(this.options(drawn, width, height), data, this.plotEl);
      this.u.over.addEventListener("mouseleave", this.hideTip);
    } else {
      const u = this.u;
      u.batch(() => {
        if (u.width !== width || u.height !== height) u.setSize({ width, height });
        u.setData(data, true);
      });
    }
  }

  private renderLegend(drawn: Drawn[]) {
    this.legend.replaceChildren(...drawn.map((d) => {
      const sw = h("span", { class: "cb-swatch" });
      sw.style.background = d.color;
      const band = h("span", { class: "cb-cs-band" });
      band.style.background = withAlpha(d.color, 0.25);
      const bounds = d.r.lower && d.r.upper ? `${d.r.spec.lower} … ${d.r.spec.upper}` : "bounds not logged";
      return h("span", { class: "cb-legend-item", title: `${d.r.run}: ${d.r.spec.value} (band: ${bounds})` },
        sw, h("span", { text: `${d.r.run} · ${d.r.spec.value}` }), band, h("span", { class: "cb-muted", text: bounds }));
    }));
  }

  private options(drawn: Drawn[], width: number, height: number): uPlot.Options {
    const theme = this.ctx.theme();
    const { x_axis: mode, log_y: logY } = this.ctx.settings;
    const font = `11px ${theme.font}`;
    const axisBase = {
      stroke: theme.fg2, font, gap: 4,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1, size: 4 },
    };
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    drawn.forEach((d, k) => {
      const edge = withAlpha(d.color, theme.dark ? 0.45 : 0.4);
      series.push({ label: `${d.r.run} upper`, stroke: edge, width: 0.75, points: { show: false }, spanGaps: true });
      series.push({ label: `${d.r.run} lower`, stroke: edge, width: 0.75, points: { show: false }, spanGaps: true });
      series.push({ label: d.r.run, stroke: d.color, width: 1.75, points: { show: false }, spanGaps: true });
      bands.push({ series: [1 + 3 * k, 2 + 3 * k], fill: withAlpha(d.color, theme.dark ? 0.22 : 0.18) });
    });
    const x = xAxis(mode, axisBase as uPlot.Axis, font);
    return {
      width, height,
      legend: { show: false },
      padding: [8, x.padRight, 0, 0],
      scales: {
        x: { time: mode === "wall" },
        y: { distr: logY ? 3 : 1, log: 10 },
      },
      series,
      bands,
      axes: [
        x.axis,
        {
          ...axisBase, space: 28, size: 50, ...(logY ? {} : { splits: linearSplits, incrs: Y_INCRS }),
          values: (_u: uPlot, splits: number[], _ai: number, _space: number, incr: number) => {
            const step = labelStep(splits, incr);
            return splits.map((v) => (logY ? fmtValue(v) : fmtTick(v, step)));
          },
        } as uPlot.Axis,
      ],
      cursor: { y: false, points: { show: false }, drag: { x: true, y: false } },
      hooks: { setCursor: [(u) => this.onCursor(u)] },
    };
  }

  private hideTip = () => {
    this.tip.style.display = "none";
  };

  private onCursor(u: uPlot) {
    const { left, top } = u.cursor;
    if (left === undefined || top === undefined || left < 0 || this.drawn.length === 0) return this.hideTip();
    const x = u.posToVal(left, "x");
    const mode = this.ctx.settings.x_axis;
    let html = `<table><tr><th></th><th>Value</th><th>Lower</th><th>Upper</th><th>Step</th><th>${mode === "wall" ? "Time" : "Relative"}</th></tr>`;
    let rows = 0;
    for (const d of this.drawn) {
      let best = -1, bd = Infinity;
      for (let i = 0; i < d.cols.n; i++) {
        const dist = Math.abs(d.xs[i] - x);
        if (dist < bd) { bd = dist; best = i; }
      }
      if (best < 0) continue;
      const c = d.cols;
      const t = mode === "wall" ? fmtWall(c.walls[best]) : fmtDuration(c.walls[best] - d.start);
      html += `<tr><td class="cb-tip-run"><span class="cb-swatch" style="background:${d.color}"></span>${escapeHtml(d.r.run)}</td>`
        + `<td>${fmtValue(c.value[best])}</td><td>${fmtValue(c.lower[best])}</td><td>${fmtValue(c.upper[best])}</td>`
        + `<td>${fmtInt(c.steps[best])}</td><td>${t}</td></tr>`;
      rows++;
    }
    if (!rows) return this.hideTip();
    this.tip.innerHTML = `${html}</table>`;
    const tip = this.tip;
    tip.style.display = "block";
    const card = this.el.getBoundingClientRect();
    const over = u.over.getBoundingClientRect();
    const cx = over.left - card.left + left, cy = over.top - card.top + top;
    const tw = tip.offsetWidth;
    tip.style.left = `${cx + 16 + tw > card.width - 4 ? Math.max(4, cx - tw - 16) : cx + 16}px`;
    tip.style.top = `${Math.max(4, cy + 12)}px`;
  }

  private destroyPlot() {
    if (this.u) {
      this.u.over.removeEventListener("mouseleave", this.hideTip);
      this.u.destroy();
      this.u = null;
    }
    this.sig = "";
  }

  destroy() {
    this.destroyPlot();
    this.el.remove();
  }
}

/** null when xs[0..n) is ascending, else the index order that sorts it. */
function ascendingOrder(xs: Float64Array, n: number): number[] | null {
  for (let i = 1; i < n; i++) {
    if (!(xs[i] >= xs[i - 1])) return Array.from({ length: n }, (_, k) => k).sort((a, b) => xs[a] - xs[b]);
  }
  return null;
}

function permute(d: Drawn, order: number[]): { xs: Float64Array; cols: MarginColumns } {
  const p = (a: Float64Array) => Float64Array.from(order, (i) => a[i]);
  const c = d.cols;
  return { xs: p(d.xs), cols: { steps: p(c.steps), walls: p(c.walls), value: p(c.value), lower: p(c.lower), upper: p(c.upper), n: c.n } };
}
