// One scalar card: a uPlot chart of one tag, one coloured line per run (faint raw line behind
// the smoothed one), drag to zoom / double-click to reset, a nearest-point tooltip and CSV export.
//
// Drawing cost is bounded by the chart's width: every series is reduced to min/max per pixel
// bucket (downsample.ts) on a grid shared by the chart, so a live update is one O(points) pass
// plus a uPlot setData on the existing instance. The uPlot instance is rebuilt only when the
// chart's configuration changes (runs shown, smoothing on/off, axis type, log scale, theme).

import uPlot from "uplot";
import { fillSlots, IDENTITY, lowerBound, niceStep, SlotCache, slotXs, type Slot, type XMap } from "./downsample";
import { h, iconButton, downloadText } from "./dom";
import { escapeHtml } from "./markdown";
import { fmtDuration, fmtInt, fmtRelTick, fmtStepTick, fmtTick, fmtValue, fmtWall, SECOND_INCRS } from "./format";
import type { PanelContext } from "./panel";
import { clampWeight, smooth, SmoothedColumn } from "./smoothing";
import type { ScalarSeries } from "./store";
import { withAlpha } from "./theme";

const STEP_INCRS: number[] = [];
for (let e = 0; e <= 13; e++) for (const m of [1, 2, 2.5, 5]) if (!(e === 0 && m === 2.5)) STEP_INCRS.push(m * 10 ** e);
/** y ticks at 1, 2, 5 x 10^k (as d3 and TensorBoard), written as exact decimals for uPlot. */
const Y_INCRS: number[] = [];
for (let e = -15; e <= 15; e++) for (const m of [1, 2, 5]) Y_INCRS.push(Number(`${m}e${e}`));

interface Drawn {
  run: string;
  color: string;
  xs: Float64Array;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
  smoothed: Float64Array | null;
  n: number;
  map: XMap;
  ascending: boolean;
  runStart: number;
  merged: boolean;
  from: number;
}

export class ScalarChart {
  readonly el: HTMLElement;
  dirty = true;
  /** undefined until first measured; kept current by the panel's IntersectionObserver. */
  visible: boolean | undefined = undefined;
  readonly plotEl: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly note: HTMLElement;
  private readonly resetBtn: HTMLButtonElement;
  private readonly wideBtn: HTMLButtonElement;
  private u: uPlot | null = null;
  private sig = "";
  private view: [number, number] | null = null;
  private extent: [number, number] = [0, 1];
  private yPct: [number, number] | null = null;
  /** Per run: incremental smoothing and bucketing, and the series version they reflect. */
  private states = new Map<string, { version: number; smooth: SmoothedColumn; slots: SlotCache }>();
  private drawn: Drawn[] = [];
  private grid: Float64Array = new Float64Array(0);
  private gridKey = "";
  private dots: HTMLElement[] = [];
  private width = 0;
  private height = 0;
  private series: ScalarSeries[] = [];
  private detailTimer: ReturnType<typeof setTimeout> | null = null;
  private emptyEl: HTMLElement;

  constructor(readonly tag: string, private readonly ctx: PanelContext) {
    this.plotEl = h("div", { class: "cb-plot" });
    this.tip = h("div", { class: "cb-tooltip" });
    this.note = h("span", { class: "cb-card-note" });
    this.emptyEl = h("div", { class: "cb-empty", text: "no points for the runs shown" });
    this.resetBtn = iconButton("reset", "Reset zoom (or double-click the chart)");
    this.resetBtn.hidden = true;
    this.wideBtn = iconButton("expand", "Toggle full width");
    const csvBtn = iconButton("download", "Download CSV (every point held, runs shown)");
    this.resetBtn.addEventListener("click", () => this.resetZoom());
    this.wideBtn.addEventListener("click", () => {
      this.el.classList.toggle("cb-wide");
      this.dirty = true;
      this.ctx.requestFlush();
    });
    csvBtn.addEventListener("click", () => this.downloadCsv());
    this.el = h("div", { class: "cb-card cb-scalar-card", "data-tag": tag },
      h("div", { class: "cb-card-head" },
        h("span", { class: "cb-card-title", title: tag, text: tag }),
        this.note,
        h("span", { class: "cb-actions" }, this.resetBtn, csvBtn, this.wideBtn)),
      this.plotEl, this.tip);
  }

  setSeries(series: ScalarSeries[]) {
    this.series = series;
  }

  resize(width: number, height: number) {
    if (width <= 0 || height <= 0) return;
    if (Math.abs(width - this.width) < 1 && Math.abs(height - this.height) < 1) return;
    this.width = width;
    this.height = height;
    this.dirty = true;
  }

  resetZoom() {
    if (!this.view) return;
    this.view = null;
    this.resetBtn.hidden = true;
    this.dirty = true;
    this.ctx.requestFlush();
  }

  private currentX(): [number, number] {
    return this.view ?? this.extent;
  }

  private yRange(min: number | null, max: number | null, log: boolean): [number, number] {
    if (this.yPct) [min, max] = this.yPct;
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return log ? [0.1, 10] : [0, 1];
    if (log) {
      if (min <= 0) min = max > 0 ? max / 1000 : 1e-3;
      if (max <= min) return [min / 2, min * 2];
      const pad = Math.pow(max / min, 0.05);
      return [min / pad, max * pad];
    }
    if (max === min) {
      const d = Math.abs(min) * 0.1 || 1;
      return [min - d, max + d];
    }
    const pad = (max - min) * 0.06;
    return [min - pad, max + pad];
  }

  /** Points of series s as drawn: with full-resolution detail spliced in when zoomed into it. */
  private pointsOf(s: ScalarSeries) {
    const v = this.view;
    const m = v && this.ctx.settings.x_axis === "step" ? s.withDetail(v[0], v[1]) : null;
    if (m) return { ...m, merged: true };
    return { steps: s.steps, walls: s.walls, values: s.values, n: s.length, merged: false };
  }

  /** Redraw with current data and settings. `runStarts`: first wall time per run. */
  draw(runStarts: Map<string, number>) {
    this.dirty = false;
    const { settings } = this.ctx;
    const theme = this.ctx.theme();
    const w = clampWeight(settings.smoothing);
    const smoothing = w > 0;
    const mode = settings.x_axis;
    const logY = settings.log_y;

    // 1. series as drawn
    const drawn: Drawn[] = [];
    let lo = Infinity, hi = -Infinity;
    let held = 0, total = 0, decimated = false, merged = false;
    for (const s of this.series) {
      if (s.length === 0) continue;
      const p = this.pointsOf(s);
      merged ||= p.merged;
      held += s.length;
      total += s.total;
      decimated ||= s.decimated;
      let smoothed: Float64Array | null = null;
      let from = 0; // lowest index changed since this chart's last draw (0: recompute all)
      if (p.merged) {
        if (smoothing) smoothed = smooth(p.values.subarray(0, p.n), w);
      } else {
        let st = this.states.get(s.run);
        if (!st) this.states.set(s.run, (st = { version: -1, smooth: new SmoothedColumn(), slots: new SlotCache() }));
        from = st.version < 0 ? 0 : s.changedSince(st.version);
        st.version = s.version;
        if (smoothing) {
          from = Math.min(from, st.smooth.update(p.values, p.n, w, from));
          smoothed = st.smooth.out;
        }
      }
      const runStart = runStarts.get(s.run) ?? (p.n ? p.walls[0] : 0);
      const map = mode === "relative" ? { origin: runStart, scale: 1 } : IDENTITY;
      const xs = mode === "step" ? p.steps : p.walls;
      const ascending = mode === "step" ? s.stepsAscending : s.wallsAscending;
      const d: Drawn = {
        run: s.run, color: this.ctx.runColor(s.run), xs, steps: p.steps, walls: p.walls, values: p.values, smoothed,
        n: p.n, map, ascending, runStart, merged: p.merged, from,
      };
      if (ascending) {
        lo = Math.min(lo, (xs[0] - map.origin) * map.scale);
        hi = Math.max(hi, (xs[p.n - 1] - map.origin) * map.scale);
      } else {
        for (let i = 0; i < p.n; i++) {
          const x = (xs[i] - map.origin) * map.scale;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      drawn.push(d);
    }
    this.drawn = drawn;
    this.note.textContent = decimated
      ? merged ? "full resolution in zoom" : `min/max of ${fmtInt(total)} points`
      : "";
    this.note.title = decimated
      ? `${fmtInt(held)} points held for ${fmtInt(total)} logged: every bucket keeps its min and max, so spikes show. Zoom in for full resolution.`
      : "";

    if (drawn.length === 0 || !Number.isFinite(lo)) {
      this.destroyPlot();
      if (!this.emptyEl.isConnected) this.plotEl.append(this.emptyEl);
      return;
    }
    this.emptyEl.remove();
    if (hi <= lo) {
      const pad = mode === "step" ? 1 : 30;
      lo -= pad;
      hi += pad;
    } else {
      // end the axis on a round value (at most 5% past the data): the grid then stays the same
      // while a live series grows into it, so updates are incremental
      const g = niceStep((hi - lo) / 20);
      hi = Math.ceil(hi / g - 1e-9) * g;
    }
    this.extent = [lo, hi];
    const [x0, x1] = this.currentX();

    // 2. min/max slots on a shared grid, one bucket per device pixel
    const pxRatio = uPlot.pxRatio || 1;
    const plotPx = this.u ? this.u.bbox.width : Math.max(50, (this.width || this.plotEl.clientWidth || 600) - 60) * pxRatio;
    const buckets = Math.max(8, Math.min(4096, Math.round(plotPx)));
    const raw: Slot[][] = [], sm: Slot[][] = [];
    const cfg = `${mode}|${smoothing}|${logY}`;
    for (const d of drawn) {
      const input = {
        xs: d.xs, n: d.n, ys: d.smoothed ? [d.values, d.smoothed] : [d.values], map: d.map,
        ascending: d.ascending, positiveOnly: logY,
      };
      const st = this.states.get(d.run);
      const cols = d.merged || !st ? fillSlots(input, x0, x1, buckets) : st.slots.update(input, x0, x1, buckets, d.from, cfg);
      raw.push(cols[0]);
      if (d.smoothed) sm.push(cols[1]);
    }
    this.yPct = settings.ignoreOutliers ? percentileRange(smoothing ? sm : raw) : null;
    const gridKey = `${x0}|${x1}|${buckets}`;
    if (gridKey !== this.gridKey) {
      this.gridKey = gridKey;
      this.grid = slotXs(x0, x1, buckets);
    }
    const data = [this.grid, ...raw, ...sm] as unknown as uPlot.AlignedData;

    // 3. create or update the uPlot instance
    const sig = JSON.stringify([drawn.map((d) => [d.run, d.color]), smoothing, mode, logY, theme.id]);
    const width = Math.max(100, Math.floor(this.width || this.plotEl.clientWidth || 600));
    const height = Math.max(80, Math.floor(this.height || this.plotEl.clientHeight || 230));
    if (!this.u || sig !== this.sig) {
      this.destroyPlot();
      this.sig = sig;
      this.u = new uPlot(this.options(drawn, smoothing, width, height), data, this.plotEl);
      this.u.over.addEventListener("mouseleave", this.hideTip);
      this.u.batch(() => {}); // draw now, not in a microtask
    } else {
      const u = this.u;
      u.batch(() => {
        if (u.width !== width || u.height !== height) u.setSize({ width, height });
        u.setData(data, true);
      });
    }
  }

  private options(drawn: Drawn[], smoothing: boolean, width: number, height: number): uPlot.Options {
    const theme = this.ctx.theme();
    const { x_axis: mode, log_y: logY } = this.ctx.settings;
    const font = `11px ${theme.font}`;
    const axisBase = {
      stroke: theme.fg2, font, gap: 4,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1, size: 4 },
    };
    const series: uPlot.Series[] = [{}];
    for (const d of drawn) {
      series.push({
        label: d.run, stroke: smoothing ? withAlpha(d.color, theme.dark ? 0.32 : 0.25) : d.color,
        width: smoothing ? 1 : 1.5, points: { show: false }, spanGaps: false,
      });
    }
    if (smoothing) for (const d of drawn) series.push({ label: `${d.run} (smoothed)`, stroke: d.color, width: 1.75, points: { show: false } });

    const xValues = mode === "wall" ? undefined
      : (_u: uPlot, splits: number[], _ai: number, _space: number, incr: number) =>
        splits.map((v) => (mode === "step" ? fmtStepTick(v, incr) : fmtRelTick(v, incr)));
    // log scale: label and grid only 1 x 10^k (and 2, 5 x 10^k when the range is under 2 decades)
    const logKeep = (splits: number[]) => {
      const fin = splits.filter((v) => v > 0);
      const decades = fin.length ? Math.log10(fin[fin.length - 1] / fin[0]) : 0;
      return splits.map((v) => {
        if (!(v > 0)) return null;
        const e = Math.floor(Math.log10(v) + 1e-9), m = v / 10 ** e;
        const ok = Math.abs(m - 1) < 1e-6 || (decades < 2 && (Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6));
        return ok ? v : null;
      });
    };
    const yValues = logY
      ? (_u: uPlot, splits: (number | null)[]) => splits.map((v) => (v === null ? "" : fmtValue(v)))
      : (_u: uPlot, splits: number[], _ai: number, _space: number, incr: number) => splits.map((v) => fmtTick(v, incr));

    return {
      width, height,
      legend: { show: false },
      padding: [8, 10, 0, 0],
      scales: {
        x: { time: mode === "wall", range: () => this.currentX() },
        y: { distr: logY ? 3 : 1, log: 10, range: (_u, min, max) => this.yRange(min, max, logY) },
      },
      series,
      axes: [
        {
          ...axisBase, size: 24, space: mode === "wall" ? 80 : 64, values: xValues,
          incrs: mode === "relative" ? SECOND_INCRS : mode === "step" ? STEP_INCRS : undefined,
        } as uPlot.Axis,
        {
          ...axisBase, space: 28, values: yValues, size: axisSize,
          ...(logY ? { filter: (_u: uPlot, sp: number[]) => logKeep(sp) } : { incrs: Y_INCRS }),
        } as uPlot.Axis,
      ],
      cursor: {
        y: false,
        points: { show: false },
        drag: { x: true, y: false, setScale: false },
        bind: { dblclick: () => () => { this.resetZoom(); return null; } },
      },
      hooks: {
        setSelect: [(u) => this.onSelect(u)],
        setCursor: [(u) => this.onCursor(u)],
      },
    };
  }

  private onSelect(u: uPlot) {
    const { left, width } = u.select;
    if (width < 4) return;
    const a = u.posToVal(left, "x"), b = u.posToVal(left + width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (!(b > a)) return;
    this.view = [a, b];
    this.resetBtn.hidden = false;
    this.dirty = true;
    this.ctx.requestFlush();
    this.scheduleDetail();
  }

  /** Ask the kernel for full resolution of decimated series in the zoomed step range. */
  private scheduleDetail() {
    if (this.detailTimer) clearTimeout(this.detailTimer);
    this.detailTimer = setTimeout(() => {
      this.detailTimer = null;
      const v = this.view;
      if (!v || this.ctx.settings.x_axis !== "step") return;
      for (const s of this.series) {
        if (!s.decimated || (s.detail && s.detail.x0 <= v[0] && s.detail.x1 >= v[1])) continue;
        void this.ctx.store.requestRange(s.run, s.tag, Math.floor(v[0]), Math.ceil(v[1]));
      }
    }, 250);
  }

  private hideTip = () => {
    this.tip.style.display = "none";
    for (const d of this.dots) d.style.display = "none";
  };

  private nearest(d: Drawn, x: number): number {
    if (d.n === 0) return -1;
    const mx = (i: number) => (d.xs[i] - d.map.origin) * d.map.scale;
    if (d.ascending) {
      const i = lowerBound(d.xs, d.n, x, d.map);
      if (i >= d.n) return d.n - 1;
      if (i === 0) return 0;
      return x - mx(i - 1) <= mx(i) - x ? i - 1 : i;
    }
    let best = -1, bestDist = Infinity;
    for (let i = 0; i < d.n; i++) {
      const dist = Math.abs(mx(i) - x);
      if (dist < bestDist) { bestDist = dist; best = i; }
    }
    return best;
  }

  private onCursor(u: uPlot) {
    const { left, top } = u.cursor;
    if (left === undefined || top === undefined || left < 0 || this.drawn.length === 0) return this.hideTip();
    const x = u.posToVal(left, "x");
    const logY = this.ctx.settings.log_y;
    const mode = this.ctx.settings.x_axis;
    const [vx0, vx1] = this.currentX();
    const rows = [];
    for (const d of this.drawn) {
      const i = this.nearest(d, x);
      if (i < 0) continue;
      const xv = (d.xs[i] - d.map.origin) * d.map.scale;
      if (xv < vx0 || xv > vx1) continue;
      const value = d.values[i];
      const sm = d.smoothed ? d.smoothed[i] : value;
      const drawable = Number.isFinite(sm) && (!logY || sm > 0);
      const px = u.valToPos(xv, "x");
      const py = drawable ? u.valToPos(sm, "y") : NaN;
      rows.push({ d, i, value, sm, px, py, dist: drawable ? Math.abs(py - top) : Infinity });
    }
    if (rows.length === 0) return this.hideTip();
    rows.sort((a, b) => a.dist - b.dist);
    const shown = rows.slice(0, 12);
    const smoothing = this.drawn.some((d) => d.smoothed);
    const timeHead = mode === "wall" ? "Time" : "Relative";
    let html = `<table><tr><th></th>${smoothing ? "<th>Smoothed</th>" : ""}<th>Value</th><th>Step</th><th>${timeHead}</th></tr>`;
    for (const r of shown) {
      const t = mode === "wall" ? fmtWall(r.d.walls[r.i]) : fmtDuration(r.d.walls[r.i] - r.d.runStart);
      html += `<tr><td class="cb-tip-run"><span class="cb-swatch" style="background:${r.d.color}"></span>${escapeHtml(r.d.run)}</td>`
        + (smoothing ? `<td>${fmtValue(r.sm)}</td>` : "")
        + `<td>${fmtValue(r.value)}</td><td>${fmtInt(r.d.steps[r.i])}</td><td>${t}</td></tr>`;
    }
    if (rows.length > shown.length) html += `<tr><td class="cb-tip-run" colspan="5">+${rows.length - shown.length} more</td></tr>`;
    this.tip.innerHTML = `${html}</table>`;

    // dots on the lines
    while (this.dots.length < shown.length) {
      const dot = h("div", { class: "cb-dot" });
      u.over.append(dot);
      this.dots.push(dot);
    }
    this.dots.forEach((dot, k) => {
      const r = shown[k];
      if (!r || !Number.isFinite(r.py)) { dot.style.display = "none"; return; }
      if (dot.parentElement !== u.over) u.over.append(dot);
      dot.style.display = "block";
      dot.style.left = `${r.px}px`;
      dot.style.top = `${r.py}px`;
      dot.style.background = r.d.color;
    });

    // tooltip next to the cursor, inside the card
    const tip = this.tip;
    tip.style.display = "block";
    const card = this.el.getBoundingClientRect();
    const over = u.over.getBoundingClientRect();
    const cx = over.left - card.left + left, cy = over.top - card.top + top;
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    let tx = cx + 16;
    if (tx + tw > card.width - 4) tx = Math.max(4, cx - tw - 16);
    // keep it in the part of the card that is visible (the board scrolls inside its cell)
    const clip = this.el.closest(".cb-main")?.getBoundingClientRect();
    const visTop = Math.max(0, (clip?.top ?? 0) - card.top, -card.top);
    const visBottom = Math.min(card.height, (clip?.bottom ?? Infinity) - card.top, window.innerHeight - card.top);
    let ty = cy + 12;
    if (ty + th > visBottom - 4) ty = cy - th - 12;
    ty = Math.max(visTop + 4, ty);
    tip.style.left = `${tx}px`;
    tip.style.top = `${ty}px`;
  }

  downloadCsv() {
    const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = ["run,step,wall_time,value"];
    for (const s of this.series) {
      const run = q(s.run);
      for (let i = 0; i < s.length; i++) lines.push(`${run},${s.steps[i]},${s.walls[i]},${s.values[i]}`);
    }
    downloadText(`${this.tag.replace(/[^\w.-]+/g, "_")}.csv`, `${lines.join("\n")}\n`);
  }

  private destroyPlot() {
    if (this.u) {
      this.u.over.removeEventListener("mouseleave", this.hideTip);
      this.u.destroy();
      this.u = null;
      this.dots = [];
    }
    this.sig = "";
  }

  destroy() {
    if (this.detailTimer) clearTimeout(this.detailTimer);
    this.destroyPlot();
    this.el.remove();
  }
}

/** Width of the y axis from its longest label (uPlot calls this while laying out). */
function axisSize(u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = u.axes[axisIdx] as uPlot.Axis & { _size?: number; font: [string, number] };
  if (cycleNum > 1 && axis._size) return axis._size;
  let size = ((axis.ticks as { size?: number }).size ?? 4) + (axis.gap ?? 4) + 6;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), "");
  if (longest) {
    u.ctx.font = axis.font[0];
    size += u.ctx.measureText(longest).width / (uPlot.pxRatio || 1);
  }
  return Math.ceil(size);
}

/** TensorBoard's "ignore outliers": the 5th to 95th percentile of the finite values drawn. */
function percentileRange(cols: Slot[][]): [number, number] | null {
  const vals: number[] = [];
  for (const c of cols) for (const v of c) if (typeof v === "number" && Number.isFinite(v)) vals.push(v);
  if (vals.length <= 2) return null;
  vals.sort((a, b) => a - b);
  const n = vals.length;
  return [vals[Math.ceil((n - 1) * 0.05)], vals[Math.floor((n - 1) * 0.95)]];
}
