// Canvas drawing of a (run, tag)'s histograms over steps, from the stored bins (no re-binning to a
// fixed bin count). Heights are densities (count / bin width), so non-uniform bins (TensorFlow's
// exponential ones) keep the distribution's true shape; bins narrower than the data support
// (mergeWidth, at least ~2 pixels) are merged with their neighbours.
//
//   offset  TensorBoard's default "ridgeline": each step's histogram on its own baseline, older
//           steps further back/up, colour graded from light (old) to dark (new), new in front.
//   overlay every step on one count axis, as lines, newest darkest and on top.

import type { XAxis } from "../../settings";
import { fmtRelTick, fmtStepTick, fmtTick, fmtWallTick } from "../../ui/format";
import { textWidth } from "../../ui/measure";
import { niceTicks } from "../../ui/ticks";
import { mix, type Theme } from "../../ui/theme";
import { compressHistogram } from "./distribution";
import type { HistogramRecord } from "./record";

export type HistMode = "offset" | "overlay";

export interface Shape {
  xs: number[]; // value (data units)
  ys: number[]; // density
  maxY: number;
  /** Where the outline leaves and rejoins the baseline (NaN when nothing is drawn). */
  lo: number;
  hi: number;
}

/**
 * Vertices (bin centre, density) of a histogram, merging bins narrower than minWidth. A group still
 * narrower (the last one, or every value equal: TensorFlow 2 writes a constant tensor as buckets of
 * zero width) is drawn minWidth wide, so a point mass is a visible peak, as in TensorBoard.
 */
export function histogramShape(edges: ArrayLike<number>, counts: ArrayLike<number>, minWidth: number): Shape {
  const xs: number[] = [], ys: number[] = [];
  let maxY = 0, lo = NaN, hi = NaN;
  const k = Math.min(counts.length, edges.length - 1);
  let accC = 0, accL = NaN, accR = NaN;
  const emit = () => {
    if (Number.isNaN(accL)) return;
    const w = Math.max(accR - accL, minWidth);
    const d = w > 0 ? accC / w : 0;
    const mid = (accL + accR) / 2;
    xs.push(mid);
    ys.push(d);
    if (!(mid - w / 2 >= lo)) lo = mid - w / 2;
    if (!(mid + w / 2 <= hi)) hi = mid + w / 2;
    if (d > maxY) maxY = d;
    accC = 0;
    accL = accR = NaN;
  };
  for (let i = 0; i < k; i++) {
    const l = edges[i], r = edges[i + 1];
    if (!Number.isFinite(l) || !Number.isFinite(r) || r < l) continue;
    const c = Number.isFinite(counts[i]) && counts[i] > 0 ? counts[i] : 0;
    if (Number.isNaN(accL)) accL = l;
    accR = r;
    accC += c;
    if (accR - accL >= minWidth) emit();
  }
  emit();
  return { xs, ys, maxY, lo, hi };
}

const QUARTILES = [2500, 7500, 10000]; // basis points (compressHistogram scales to the last)

/**
 * The width under which stored bins are merged for drawing a chart whose value axis spans `span`.
 * Finer bins than the data support only draw sampling noise (5,000 values in 150 bins look
 * ragged where TensorBoard's 30 look smooth), so the width is Freedman and Diaconis' rule,
 * 2 IQR / cbrt(n), from each histogram's quartiles (the median over the rows drawn). It is kept
 * between one bin per 2 pixels and 30 bins across (TensorBoard's count): large tensors keep every
 * pixel of detail. Histograms whose middle half is one value (IQR 0: ReLU outputs, sparse
 * gradients) take 2 sqrt(n) bins across instead.
 */
export function mergeWidth(recs: HistogramRecord[], span: number, plotW: number): number {
  const finest = span / Math.max(10, plotW / 2), coarsest = span / 30;
  const widths: number[] = [];
  for (const r of recs) {
    const { n, iqr } = spreadOf(r);
    if (n > 0) widths.push(iqr > 0 ? (2 * iqr) / Math.cbrt(n) : span / (2 * Math.sqrt(n)));
  }
  if (!widths.length) return finest;
  widths.sort((a, b) => a - b);
  return Math.min(coarsest, Math.max(finest, widths[widths.length >> 1]));
}

const spreads = new WeakMap<HistogramRecord, { n: number; iqr: number }>();

/** A record's count and interquartile range, cached (records never change once received). */
function spreadOf(r: HistogramRecord): { n: number; iqr: number } {
  let v = spreads.get(r);
  if (!v) {
    let n = 0;
    for (let i = 0; i < r.counts.length; i++) if (r.counts[i] > 0) n += r.counts[i];
    const [q1, q3] = n > 0 ? compressHistogram(r.edges, r.counts, QUARTILES) : [0, 0];
    spreads.set(r, (v = { n, iqr: q3 - q1 }));
  }
  return v;
}

/** Finite [min edge, max edge] over records. */
export function valueExtent(recs: HistogramRecord[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const r of recs) {
    for (let i = 0; i < r.edges.length; i++) {
      const e = r.edges[i];
      if (!Number.isFinite(e)) continue;
      if (e < lo) lo = e;
      if (e > hi) hi = e;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi <= lo) {
    const d = Math.abs(lo) * 0.1 || 0.5;
    return [lo - d, hi + d];
  }
  // an edge a hair away from 0 (TensorFlow's 1e-12 buckets) starts the axis at 0
  const span = hi - lo;
  if (lo > 0 && lo < span * 0.01) lo = 0;
  if (hi < 0 && -hi < span * 0.01) hi = 0;
  return [lo, hi];
}

/** Records to draw: all of them up to maxRows, else evenly spaced ones (always first and last). */
export function pickRows<T>(recs: T[], maxRows: number): T[] {
  if (recs.length <= maxRows) return recs;
  const out: T[] = [];
  for (let j = 0; j < maxRows; j++) out.push(recs[Math.round((j * (recs.length - 1)) / (maxRows - 1))]);
  return out;
}

export interface Row {
  rec: HistogramRecord;
  shape: Shape;
  base: number; // baseline y (css px)
  color: string;
}

export interface HistLayout {
  rows: Row[];
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  x0: number;
  x1: number;
  yScale: number; // px per density unit
  clipH: number; // heights are clipped here (spikes)
  mode: HistMode;
  /** The offset view's label of a row: its step, or its time (the board's x axis setting). */
  rowLabel: (rec: HistogramRecord) => string;
}

/** Row labels for the offset view, as precise as the rows are apart: steps, time since the
 * first histogram, or wall clock times. */
export function rowLabeller(picked: readonly HistogramRecord[], xAxis: XAxis): (rec: HistogramRecord) => string {
  const n = picked.length;
  if (xAxis === "step") {
    const incr = n > 1 ? Math.max(1, (picked[n - 1].step - picked[0].step) / n) : 1;
    return (r) => fmtStepTick(r.step, incr);
  }
  const start = n ? Math.min(...picked.map((r) => r.wall)) : 0;
  const incr = n > 1 ? Math.max(0.001, (Math.max(...picked.map((r) => r.wall)) - start) / n) : 1;
  return xAxis === "wall" ? (r) => fmtWallTick(r.wall, incr) : (r) => fmtRelTick(r.wall - start, incr);
}

export function layoutHistograms(
  recs: HistogramRecord[], width: number, height: number, mode: HistMode, color: string, theme: Theme,
  xAxis: XAxis = "step",
): HistLayout {
  const left = 12, top = 10, bottom = 24;
  const plotH = Math.max(20, height - top - bottom);
  const picked = pickRows(recs, mode === "offset" ? Math.max(6, Math.floor(plotH / 5)) : 120);
  const rowLabel = rowLabeller(picked, xAxis);
  // the offset view labels rows right of the plot: room for the widest ("1796052.14M" for epoch ms)
  const font = `11px ${theme.font}`;
  const right = mode === "offset"
    ? Math.max(58, 14 + Math.max(0, ...picked.map((r) => textWidth(rowLabel(r), font)))) : 14;
  const plotW = Math.max(20, width - left - right);
  const [x0, x1] = valueExtent(recs);
  const minWidth = mergeWidth(picked, x1 - x0, plotW);
  const m = picked.length;
  const shapes = picked.map((r) => histogramShape(r.edges, r.counts, minWidth));
  const maxY = robustMax(shapes);
  const peak = mode === "offset" ? (m > 1 ? plotH * 0.45 : plotH * 0.92) : plotH * 0.94;
  const yScale = peak / maxY;
  const old = theme.dark ? mix(color, theme.bg, 0.62) : mix(color, "#ffffff", 0.72);
  const young = theme.dark ? mix(color, "#ffffff", 0.12) : mix(color, "#000000", 0.18);
  const rows = picked.map((rec, j) => {
    const t = m > 1 ? j / (m - 1) : 1;
    const base = mode === "offset" ? top + peak + (plotH - peak) * (m > 1 ? t : 1) : top + plotH;
    return { rec, shape: shapes[j], base, color: mix(old, young, t) };
  });
  const clipH = mode === "offset" ? peak * 1.25 : plotH; // spikes: a bit above their row / the plot top
  return { rows, left, top, plotW, plotH, x0, x1, yScale, clipH, mode, rowLabel };
}

/**
 * Height scale: the largest density, unless a few spikes (point masses, e.g. ReLU zeros in one
 * narrow bin) are far above the rest; then 3x the 90th percentile, and the spikes are clipped.
 */
export function robustMax(shapes: Shape[]): number {
  let max = 0;
  const all: number[] = [];
  for (const s of shapes) {
    if (s.maxY > max) max = s.maxY;
    for (const y of s.ys) if (y > 0) all.push(y);
  }
  if (all.length < 10) return max || 1;
  all.sort((a, b) => a - b);
  const p90 = all[Math.floor(all.length * 0.9)];
  return Math.min(max, 3 * p90) || max || 1;
}

export function xToPx(L: HistLayout, x: number) {
  return L.left + ((x - L.x0) / (L.x1 - L.x0)) * L.plotW;
}

export function pxToX(L: HistLayout, px: number) {
  return L.x0 + ((px - L.left) / L.plotW) * (L.x1 - L.x0);
}

function trace(ctx: CanvasRenderingContext2D, L: HistLayout, row: Row, close: boolean) {
  const { xs, ys, lo, hi } = row.shape;
  const e = row.rec.edges;
  ctx.beginPath();
  ctx.moveTo(xToPx(L, Number.isNaN(lo) ? e[0] : lo), row.base);
  for (let i = 0; i < xs.length; i++) ctx.lineTo(xToPx(L, xs[i]), row.base - Math.min(ys[i] * L.yScale, L.clipH));
  ctx.lineTo(xToPx(L, Number.isNaN(hi) ? e[e.length - 1] : hi), row.base);
  if (close) ctx.closePath();
}

/** Draw on a context already scaled to css pixels. `hover`: the row to outline. */
export function drawHistograms(ctx: CanvasRenderingContext2D, L: HistLayout, width: number, height: number, theme: Theme, hover: Row | null) {
  ctx.clearRect(0, 0, width, height);
  const font = `11px ${theme.font}`;
  ctx.font = font;
  ctx.lineJoin = "round";

  // x grid and ticks
  const { values: ticks, step } = niceTicks(L.x0, L.x1, Math.max(2, Math.floor(L.plotW / 80)), true);
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.fillStyle = theme.fg2;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of ticks) {
    const x = Math.round(xToPx(L, t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, L.top);
    ctx.lineTo(x, L.top + L.plotH);
    ctx.stroke();
    ctx.fillText(fmtTick(t, step), x, L.top + L.plotH + 6);
  }

  if (L.mode === "offset") {
    for (const row of L.rows) {
      trace(ctx, L, row, true);
      ctx.fillStyle = row.color;
      ctx.fill();
      ctx.strokeStyle = theme.dark ? "rgba(0,0,0,0.55)" : "rgba(255,255,255,0.9)";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    // step (or time) axis on the right: a few rows' labels at their baselines
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillStyle = theme.fg2;
    const labelEvery = Math.max(1, Math.ceil(L.rows.length / Math.max(2, Math.floor(L.plotH / 22))));
    L.rows.forEach((r, j) => {
      if (j % labelEvery !== 0 && j !== L.rows.length - 1) return;
      if (j !== L.rows.length - 1 && L.rows.length - 1 - j < labelEvery * 0.6) return;
      ctx.fillText(L.rowLabel(r.rec), L.left + L.plotW + 8, r.base);
    });
  } else {
    ctx.lineWidth = 1.25;
    L.rows.forEach((row, j) => {
      trace(ctx, L, row, false);
      ctx.strokeStyle = row.color;
      ctx.lineWidth = j === L.rows.length - 1 ? 2 : 1.1;
      ctx.stroke();
    });
  }

  if (hover) {
    trace(ctx, L, hover, L.mode === "offset");
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 1.75;
    ctx.stroke();
  }
}

/** The row under the pointer: nearest baseline (offset) or nearest curve (overlay). */
export function hitRow(L: HistLayout, px: number, py: number): Row | null {
  if (L.rows.length === 0) return null;
  if (L.mode === "offset") {
    let best: Row | null = null, bestD = Infinity;
    for (const r of L.rows) {
      const d = Math.abs(r.base - py);
      if (d < bestD) { bestD = d; best = r; }
    }
    return best;
  }
  const x = pxToX(L, px);
  let best: Row | null = null, bestD = Infinity;
  for (const r of L.rows) {
    const y = r.base - Math.min(densityAt(r.shape, x) * L.yScale, L.clipH);
    const d = Math.abs(y - py);
    if (d <= bestD) { bestD = d; best = r; }
  }
  return best;
}

function densityAt(s: Shape, x: number): number {
  const { xs, ys } = s;
  if (xs.length === 0 || x < xs[0] || x > xs[xs.length - 1]) return 0;
  let i = 1;
  while (i < xs.length && xs[i] < x) i++;
  if (i >= xs.length) return ys[ys.length - 1];
  const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1] || 1);
  return ys[i - 1] + t * (ys[i] - ys[i - 1]);
}

/** The stored bin of a record containing x: [left, right, count], or null. */
export function binAt(rec: HistogramRecord, x: number): [number, number, number] | null {
  const e = rec.edges;
  let lo = 0, hi = e.length - 1;
  if (!(x >= e[0] && x <= e[hi])) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (e[mid] <= x) lo = mid;
    else hi = mid;
  }
  return [e[lo], e[lo + 1], rec.counts[lo]];
}
