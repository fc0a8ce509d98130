// A PR-curve record and the pure geometry of its chart: decoding, the points drawn (TensorBoard's
// rule for undefined precision), the step a card shows per run, and the nearest point to the
// pointer. No DOM here (tested in test/pr_curves.test.ts).
//
// Wire: `{..., thresholds: n}`, buffer = Float64Array(6n): rows TP, FP, TN, FN, precision,
// recall (n values each); threshold i is i / (n - 1) (0 when n = 1, as np.linspace(0, 1, 1)).

import { isCount, toFloat64, type Buffers, type Obj } from "../../wire";
import type { RecordEntry } from "../types";

export interface PrCurveRecord extends RecordEntry {
  /** Number of thresholds. */
  n: number;
  tp: Float64Array;
  fp: Float64Array;
  tn: Float64Array;
  fn: Float64Array;
  precision: Float64Array;
  recall: Float64Array;
}

export function decodePrCurve(e: Obj, buffers: Buffers, base: RecordEntry): PrCurveRecord {
  const buf = buffers.of(e);
  if (!buf) throw new RangeError(`missing buffer for PR curve ${base.run}/${base.tag}`);
  const all = toFloat64(buf);
  const n = isCount(e.thresholds) ? e.thresholds : all.length / 6;
  if (!Number.isInteger(n) || all.length !== 6 * n) {
    throw new RangeError(`PR curve ${base.run}/${base.tag}: ${all.length} float64 for ${String(e.thresholds)} thresholds`);
  }
  const row = (r: number) => all.subarray(r * n, (r + 1) * n);
  return { ...base, n, tp: row(0), fp: row(1), tn: row(2), fn: row(3), precision: row(4), recall: row(5) };
}

/** Threshold of index i among n: evenly spaced in [0, 1]. */
export const thresholdAt = (i: number, n: number) => (n > 1 ? i / (n - 1) : 0);

export interface PrPoint {
  /** Threshold index in the record. */
  i: number;
  threshold: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/**
 * The points of a curve, in threshold order. Like TensorBoard, thresholds where nothing is
 * predicted positive (TP + FP = 0: precision undefined) are left out; so are points whose
 * precision or recall is not a finite number. (TensorBoard trims only such a tail, truncating
 * weighted counts to integers first; counts only fall with the threshold, so for real data
 * the zeros are that tail, and a weighted count below 1 still defines a precision here.)
 */
export function prPoints(r: PrCurveRecord): PrPoint[] {
  const out: PrPoint[] = [];
  for (let i = 0; i < r.n; i++) {
    const tp = r.tp[i], fp = r.fp[i], p = r.precision[i], rc = r.recall[i];
    if (!(tp + fp > 0) || !Number.isFinite(p) || !Number.isFinite(rc)) continue;
    out.push({ i, threshold: thresholdAt(i, r.n), precision: p, recall: rc, tp, fp, tn: r.tn[i], fn: r.fn[i] });
  }
  return out;
}

/** Every distinct step of these (step-sorted) record lists, ascending. */
export function unionSteps(lists: readonly (readonly { step: number }[])[]): number[] {
  const s = new Set<number>();
  for (const l of lists) for (const r of l) s.add(r.step);
  return [...s].sort((a, b) => a - b);
}

/**
 * The record a run shows when the card is at `step`: its latest at or before that step (the
 * last logged of several at one step), or null when the run starts later. `recs` is sorted by
 * step, then logging order (RecordList.list()).
 */
export function recordAtStep<T extends { step: number }>(recs: readonly T[], step: number): T | null {
  let lo = 0, hi = recs.length; // first index with step > `step`
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (recs[mid].step <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? recs[lo - 1] : null;
}

/** Index in sorted `steps` of the largest step <= `step` (0 when all are larger; -1 when empty). */
export function stepIndex(steps: readonly number[], step: number): number {
  if (!steps.length) return -1;
  let lo = 0, hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

/** Plot area and its [0, 1] x [0, 1] mapping (css px), with a little room beyond 0 and 1. */
export interface PrFrame {
  left: number;
  top: number;
  w: number;
  h: number;
  /** Domain shown: [lo, hi] on both axes. */
  lo: number;
  hi: number;
}

export const PR_PAD = 0.03;

export function prFrame(width: number, height: number): PrFrame {
  const left = 46, right = 12, top = 8, bottom = 36;
  return { left, top, w: Math.max(10, width - left - right), h: Math.max(10, height - top - bottom), lo: -PR_PAD, hi: 1 + PR_PAD };
}

export const xPx = (f: PrFrame, recall: number) => f.left + ((recall - f.lo) / (f.hi - f.lo)) * f.w;
export const yPx = (f: PrFrame, precision: number) => f.top + (1 - (precision - f.lo) / (f.hi - f.lo)) * f.h;

/**
 * The point nearest to (px, py) on screen, given each point's pixel position: the index in
 * `points` and its distance in px, or null when there are none. Ties keep the lower threshold.
 */
export function nearestPoint<P>(
  points: readonly P[], px: number, py: number, toX: (p: P) => number, toY: (p: P) => number,
): { index: number; dist: number } | null {
  let best = -1, bestD = Infinity;
  for (let k = 0; k < points.length; k++) {
    const d = Math.hypot(toX(points[k]) - px, toY(points[k]) - py);
    if (d < bestD) { bestD = d; best = k; }
  }
  return best < 0 ? null : { index: best, dist: bestD };
}
