// TensorBoard's DISTRIBUTIONS view of a histogram tag: for each step, the values at fixed
// percentiles (basis points of a normal distribution: min, -1.5σ, -σ, -σ/2, median, +σ/2, +σ,
// +1.5σ, max), drawn over steps as nested shaded bands, darkest in the middle.
//
// compressHistogram() is TensorBoard's compressor (plugins/distribution/compressor.py,
// `compress_histogram`): cumulative weights in basis points, and each percentile linearly
// interpolated within the bucket it falls in (clamped to the histogram's min and max). One
// deliberate difference: empty buckets at either end. TensorBoard interpolates the first
// non-empty bucket from the first bucket's left edge and gives 100% the last bucket's right edge;
// here the non-empty buckets' own edges bound them. cellboard's histograms drop empty end buckets
// (their outer edges are the data's min and max), so the results are the same for them.
//
// The horizontal axis follows the board's x axis setting, as TensorBoard 2's one horizontal axis
// for every card: steps, time since the run's first histogram of the tag, or wall time.

import type { XAxis } from "../../settings";
import { fmtRelTick, fmtStepTick, fmtTick, fmtWallTick, SECOND_INCRS } from "../../ui/format";
import { multiplesIn, niceTicks } from "../../ui/ticks";
import { withAlpha, type Theme } from "../../ui/theme";
import type { HistogramRecord } from "./record";

/** TensorBoard's NORMAL_HISTOGRAM_BPS: 0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100 %. */
export const NORMAL_HISTOGRAM_BPS: readonly number[] = [0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000];

/**
 * The values at the basis points `bps` (1/100 of a percent) of the histogram with bucket edges
 * `edges` (k + 1) and counts (k): TensorBoard's `compress_histogram` on the buckets
 * (edges[i], edges[i + 1], counts[i]). Empty buckets list -> zeros; no counts -> the max edge.
 */
export function compressHistogram(
  edges: ArrayLike<number>, counts: ArrayLike<number>, bps: readonly number[] = NORMAL_HISTOGRAM_BPS,
): Float64Array {
  const k = Math.min(counts.length, edges.length - 1);
  const out = new Float64Array(bps.length);
  if (k <= 0) return out;
  const minmin = edges[0], maxmax = edges[k];
  let lastFull = -1; // the last non-empty bucket
  const last = bps[bps.length - 1];
  let total = 0;
  const c = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    c[i] = Number.isFinite(counts[i]) && counts[i] > 0 ? counts[i] : 0;
    total += c[i];
    if (c[i] > 0) lastFull = i;
  }
  // cumulative weights scaled to basis points, computed in numpy's order (c * 10000 / total, cumsum)
  const w = new Float64Array(k);
  let acc = 0;
  for (let i = 0; i < k; i++) {
    acc += (c[i] * last) / (total || 1);
    w[i] = acc;
  }
  const top = lastFull >= 0 ? Math.min(edges[lastFull + 1], maxmax) : maxmax;
  let j = 0;
  outer: while (j < bps.length) {
    const bp = bps[j];
    if (bp >= last) break; // 100%: the top edge exactly (the cumulative sum may round either way)
    // first bucket whose cumulative weight exceeds bp (numpy searchsorted side="right")
    let lo = 0, hi = k;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (w[mid] <= bp) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < k; i++) {
      const cum = w[i], prev = i > 0 ? w[i - 1] : 0;
      if (cum === prev) continue;
      const lhs = Math.max(edges[i], minmin);
      const rhs = Math.min(edges[i + 1], maxmax);
      out[j] = lhs + ((bp - prev) * (rhs - lhs)) / (cum - prev);
      j++;
      continue outer;
    }
    break;
  }
  for (; j < bps.length; j++) out[j] = top;
  return out;
}

const cache = new WeakMap<HistogramRecord, Float64Array>();

/** compressHistogram of a record, cached (records never change once received). */
export function percentilesOf(rec: HistogramRecord): Float64Array {
  let v = cache.get(rec);
  if (!v) cache.set(rec, (v = compressHistogram(rec.edges, rec.counts)));
  return v;
}

/** One drawn column: one step, or the envelope of the steps that share a pixel column. */
export interface DistColumn {
  x: number; // css px
  step: number; // first step of the column
  lastStep: number;
  /** 9 values at NORMAL_HISTOGRAM_BPS (for a merged column: outer bands widened to cover all). */
  v: Float64Array;
  rec: HistogramRecord; // the column's last record
  count: number; // records in the column
}

export interface DistLayout {
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  /** What the horizontal axis shows; s0..s1 is its extent (steps, or seconds). */
  mode: XAxis;
  /** The origin of relative times: the earliest wall time drawn (seconds). */
  start: number;
  s0: number;
  s1: number;
  y0: number;
  y1: number;
  columns: DistColumn[];
}

/**
 * Columns of a distribution chart. Records are ordered by step; steps closer than `minPx` pixels
 * share a column whose lower percentiles are the minimum and upper ones the maximum over its
 * steps (no extreme is hidden), and whose median is the mean of the medians.
 */
export function layoutDistribution(
  recs: readonly HistogramRecord[], width: number, height: number, minPx = 2, mode: XAxis = "step",
): DistLayout {
  const left = 52, right = 14, top = 10, bottom = 24;
  const plotW = Math.max(20, width - left - right), plotH = Math.max(20, height - top - bottom);
  const L: DistLayout = { left, top, plotW, plotH, mode, start: 0, s0: 0, s1: 1, y0: 0, y1: 1, columns: [] };
  const usable = recs.filter((r) => r.k > 0);
  if (usable.length === 0) return L;
  L.start = Math.min(...usable.map((r) => r.wall));
  const xOf = mode === "step" ? (r: HistogramRecord) => r.step
    : mode === "wall" ? (r: HistogramRecord) => r.wall : (r: HistogramRecord) => r.wall - L.start;
  // in time, a resumed run's records may not be in order (steps are): columns go left to right
  if (mode !== "step") usable.sort((a, b) => xOf(a) - xOf(b));
  let s0 = Infinity, s1 = -Infinity;
  for (const r of usable) {
    if (xOf(r) < s0) s0 = xOf(r);
    if (xOf(r) > s1) s1 = xOf(r);
  }
  if (s1 <= s0) {
    const pad = mode === "step" ? 1 : 30;
    s0 -= pad;
    s1 += pad;
  }
  L.s0 = s0;
  L.s1 = s1;
  const sx = (s: number) => left + ((s - s0) / (s1 - s0)) * plotW;
  let y0 = Infinity, y1 = -Infinity;
  let cur: DistColumn | null = null;
  for (const r of usable) {
    const v = percentilesOf(r);
    const x = sx(xOf(r));
    if (cur && x - cur.x < minPx) {
      const m = cur.v;
      for (let i = 0; i < 4; i++) m[i] = Math.min(m[i], v[i]);
      for (let i = 5; i < 9; i++) m[i] = Math.max(m[i], v[i]);
      m[4] = (m[4] * cur.count + v[4]) / (cur.count + 1);
      cur.count++;
      cur.lastStep = r.step;
      cur.rec = r;
    } else {
      cur = { x, step: r.step, lastStep: r.step, v: Float64Array.from(v), rec: r, count: 1 };
      L.columns.push(cur);
    }
    if (Number.isFinite(v[0]) && v[0] < y0) y0 = v[0];
    if (Number.isFinite(v[8]) && v[8] > y1) y1 = v[8];
  }
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) {
    y0 = 0;
    y1 = 1;
  } else if (y1 <= y0) {
    const d = Math.abs(y0) * 0.1 || 0.5;
    y0 -= d;
    y1 += d;
  } else {
    const pad = (y1 - y0) * 0.04;
    y0 -= pad;
    y1 += pad;
  }
  L.y0 = y0;
  L.y1 = y1;
  return L;
}

export const yToPx = (L: DistLayout, y: number) => L.top + (1 - (y - L.y0) / (L.y1 - L.y0)) * L.plotH;

/** Band opacities from the outside (min..max) in: stacked, the middle is darkest. */
const BAND_ALPHA = [0.16, 0.2, 0.26, 0.34];

/** Draw on a context already scaled to css pixels. `hover`: the column to mark. */
export function drawDistribution(
  ctx: CanvasRenderingContext2D, L: DistLayout, width: number, height: number, theme: Theme, color: string,
  hover: DistColumn | null,
) {
  ctx.clearRect(0, 0, width, height);
  ctx.font = `11px ${theme.font}`;
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.grid;
  ctx.fillStyle = theme.fg2;

  // value axis (left) and grid
  const yt = niceTicks(L.y0, L.y1, Math.max(2, Math.floor(L.plotH / 36)), true);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yt.values) {
    const y = Math.round(yToPx(L, t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(L.left, y);
    ctx.lineTo(L.left + L.plotW, y);
    ctx.stroke();
    ctx.fillText(fmtTick(t, yt.step), L.left - 6, y);
  }
  // horizontal axis (bottom)
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const [t, label] of xTicks(L, (text) => ctx.measureText(text).width)) {
    const x = Math.round(L.left + ((t - L.s0) / (L.s1 - L.s0)) * L.plotW) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, L.top + L.plotH);
    ctx.lineTo(x, L.top + L.plotH + 4);
    ctx.stroke();
    ctx.fillText(label, x, L.top + L.plotH + 6);
  }

  const cols = L.columns;
  if (cols.length === 0) return;
  const half = cols.length === 1 ? 5 : 0; // one step: a short bar instead of a line
  for (let b = 0; b < 4; b++) {
    const lo = b, hi = 8 - b;
    ctx.beginPath();
    cols.forEach((c, i) => {
      const x = c.x, y = yToPx(L, c.v[hi]);
      if (i === 0) ctx.moveTo(x - half, y);
      else ctx.lineTo(x, y);
      if (half) ctx.lineTo(x + half, y);
    });
    for (let i = cols.length - 1; i >= 0; i--) {
      const c = cols[i], y = yToPx(L, c.v[lo]);
      if (half) ctx.lineTo(c.x + half, y);
      ctx.lineTo(c.x - half, y);
    }
    ctx.closePath();
    ctx.fillStyle = withAlpha(color, BAND_ALPHA[b] * (theme.dark ? 1.25 : 1));
    ctx.fill();
  }
  // the median
  ctx.beginPath();
  cols.forEach((c, i) => {
    const y = yToPx(L, c.v[4]);
    if (i === 0) ctx.moveTo(c.x - half, y);
    else ctx.lineTo(c.x, y);
    if (half) ctx.lineTo(c.x + half, y);
  });
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.stroke();

  if (hover) {
    const x = Math.round(hover.x) + 0.5;
    ctx.strokeStyle = theme.fg3;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, L.top);
    ctx.lineTo(x, L.top + L.plotH);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    for (let i = 0; i < 9; i++) {
      ctx.beginPath();
      ctx.arc(hover.x, yToPx(L, hover.v[i]), i === 4 ? 3 : 2, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/**
 * The horizontal axis' ticks and labels, at least 16 px apart at the widest label: steps 1-2-5
 * apart (whole steps), or times on SECOND_INCRS (relative: "5m", "1h30"; wall: local clock times,
 * aligned to the local hour and day).
 */
export function xTicks(L: DistLayout, width: (text: string) => number): [number, string][] {
  const fits = (labels: string[]) => labels.length <= Math.max(1, Math.floor(L.plotW / (Math.max(0, ...labels.map(width)) + 16)));
  if (L.mode === "step") {
    // ticks 80 px apart, or further where labels are wider (steps in epoch ms: "1796051.95M")
    let xt = niceTicks(L.s0, L.s1, Math.max(2, Math.floor(L.plotW / 80)), true);
    const widest = Math.max(0, ...xt.values.map((t) => width(fmtStepTick(t, Math.max(1, xt.step)))));
    if (widest + 16 > 80) xt = niceTicks(L.s0, L.s1, Math.max(1, Math.floor(L.plotW / (widest + 16))), true);
    return xt.values.filter((t) => Number.isInteger(t) || xt.step < 1).map((t) => [t, fmtStepTick(t, Math.max(1, xt.step))]);
  }
  const tz = L.mode === "wall" ? -new Date(L.s0 * 1000).getTimezoneOffset() * 60 : 0; // local clock alignment
  for (const incr of SECOND_INCRS) {
    if ((L.s1 - L.s0) / incr > 50) continue;
    const ts = multiplesIn(L.s0 + tz, L.s1 + tz, incr, 51).map((t) => t - tz);
    const labels = ts.map((t) => (L.mode === "wall" ? fmtWallTick(t, incr) : fmtRelTick(t, incr)));
    if (fits(labels)) return ts.map((t, i) => [t, labels[i]]);
  }
  return [[L.s0, L.mode === "wall" ? fmtWallTick(L.s0, 86400) : fmtRelTick(L.s0, 86400)]];
}

/** The column nearest to the pointer's x (null outside the plot). */
export function hitColumn(L: DistLayout, px: number): DistColumn | null {
  const cols = L.columns;
  if (cols.length === 0 || px < L.left - 8 || px > L.left + L.plotW + 8) return null;
  let lo = 0, hi = cols.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cols[mid].x <= px) lo = mid;
    else hi = mid;
  }
  return Math.abs(cols[lo].x - px) <= Math.abs(cols[hi].x - px) ? cols[lo] : cols[hi];
}

/** Tooltip labels of the 9 values, top (max) first, with their index in a column's `v`. */
export const PERCENTILE_LABELS: readonly [string, number][] = [
  ["max", 8], ["93.3%", 7], ["84.1%", 6], ["69.1%", 5], ["median", 4], ["30.9%", 3], ["15.9%", 2], ["6.7%", 1], ["min", 0],
];
