// Pure geometry of the HPARAMS views: axis scales (linear, log, categorical) as fractions of the
// axis (0 = bottom, 1 = top), ticks, brushes (a range on one axis) and the sequential colour
// scale. No DOM: unit-tested in js/test/hparams.test.ts.

import { fmtTick } from "../../ui/format";
import { niceTicks } from "../../ui/ticks";
import { categoryOf, cellValue, type Column, type Session } from "./model";

export { niceTicks }; // its home is ui/ticks.ts; the hparams views and their tests take it from here

export interface Tick {
  frac: number;
  label: string;
}

export interface AxisScale {
  readonly kind: "linear" | "log" | "category";
  /** Position of a value along the axis in [0, 1], or null when it cannot be placed (missing, NaN, <= 0 on log). */
  frac(v: number | string | boolean | undefined): number | null;
  /** The value at a position (number axes; categories: NaN). */
  invert(f: number): number;
  ticks(): Tick[];
  /** Category axes: the categories in order (positions `(i + 0.5) / n`). */
  readonly categories: readonly string[];
}

/** Whether a number column can be drawn on a log axis (every finite value > 0). */
export const canLog = (col: Column) => col.type === "number" && Number.isFinite(col.min) && col.min > 0;

/** The scale of a column; `log` is honoured only where canLog. */
export function axisScale(col: Column, log = false): AxisScale {
  if (col.type === "category") return categoryScale(col.categories);
  if (log && canLog(col)) return logScale(col.min, col.max);
  return linearScale(col.min, col.max);
}

export function categoryScale(categories: readonly string[]): AxisScale {
  const n = categories.length;
  const index = new Map(categories.map((c, i) => [c, i]));
  const pos = (i: number) => (i + 0.5) / n;
  return {
    kind: "category",
    categories,
    frac(v) {
      if (v === undefined) return null;
      const i = index.get(categoryOf(v));
      return i === undefined ? null : pos(i);
    },
    invert: () => NaN,
    ticks: () => categories.map((c, i) => ({ frac: pos(i), label: c })),
  };
}

/** A linear scale over [lo, hi]; a single value sits in the middle. */
export function linearScale(lo: number, hi: number): AxisScale {
  const empty = !Number.isFinite(lo) || !Number.isFinite(hi);
  const flat = !empty && hi === lo;
  return {
    kind: "linear",
    categories: [],
    frac(v) {
      if (typeof v !== "number" || !Number.isFinite(v) || empty) return null;
      return flat ? 0.5 : (v - lo) / (hi - lo);
    },
    invert: (f) => (empty ? NaN : flat ? lo : lo + f * (hi - lo)),
    ticks() {
      if (empty) return [];
      if (flat) return [{ frac: 0.5, label: fmtTick(lo, Math.abs(lo) / 10 || 1) }];
      const { values, step } = niceTicks(lo, hi, 5);
      return values.map((v) => ({ frac: (v - lo) / (hi - lo), label: fmtTick(v, step) }));
    },
  };
}

/** A log10 scale over [lo, hi] (both > 0). */
export function logScale(lo: number, hi: number): AxisScale {
  const a = Math.log10(lo), b = Math.log10(hi);
  const flat = a === b;
  return {
    kind: "log",
    categories: [],
    frac(v) {
      if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) return null;
      return flat ? 0.5 : (Math.log10(v) - a) / (b - a);
    },
    invert: (f) => (flat ? lo : 10 ** (a + f * (b - a))),
    ticks() {
      if (flat) return [{ frac: 0.5, label: fmtTick(lo, lo / 10) }];
      const out: Tick[] = [];
      const mults = b - a <= 2.5 ? [1, 2, 5] : [1];
      const every = Math.max(1, Math.ceil((b - a) / 6));
      for (let e = Math.floor(a); e <= Math.ceil(b); e++) {
        if (mults.length === 1 && e % every !== 0) continue;
        for (const m of mults) {
          const v = m * 10 ** e;
          const f = (Math.log10(v) - a) / (b - a);
          if (f >= -1e-9 && f <= 1 + 1e-9) out.push({ frac: Math.min(1, Math.max(0, f)), label: fmtTick(v, v / 10) });
        }
      }
      return out;
    },
  };
}

// ------------------------------------------------------------------ brushes

/** A brush on one axis: a value range (number axes) or a set of categories. */
export type Brush = { kind: "range"; lo: number; hi: number } | { kind: "set"; values: ReadonlySet<string> };

/** The brush a drag between two axis positions (fractions, any order) selects. */
export function brushFromFracs(scale: AxisScale, f0: number, f1: number): Brush {
  const lo = Math.max(0, Math.min(f0, f1)), hi = Math.min(1, Math.max(f0, f1));
  if (scale.kind === "category") {
    const n = scale.categories.length;
    let picked = scale.categories.filter((_, i) => { const p = (i + 0.5) / n; return p >= lo && p <= hi; });
    if (!picked.length && n) {
      // a drag between two categories: the nearest one
      const mid = (lo + hi) / 2;
      picked = [scale.categories[Math.min(n - 1, Math.max(0, Math.round(mid * n - 0.5)))]];
    }
    return { kind: "set", values: new Set(picked) };
  }
  // a drag that reaches an end of the axis is open on that side (values beyond it, e.g. new
  // sessions past the current range, pass too)
  const a = lo <= 0 ? -Infinity : scale.invert(lo), b = hi >= 1 ? Infinity : scale.invert(hi);
  return { kind: "range", lo: Math.min(a, b), hi: Math.max(a, b) };
}

/** Where a brush sits on the axis (fractions lo < hi), for drawing it. */
export function brushFracs(scale: AxisScale, brush: Brush): [number, number] | null {
  if (brush.kind === "set") {
    const n = scale.categories.length;
    const idx = scale.categories.map((c, i) => (brush.values.has(c) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return null;
    return [Math.min(...idx) / n, (Math.max(...idx) + 1) / n];
  }
  // a range brush may reach beyond the axis (the data changed): clamp it
  const clamp = (f: number | null, dflt: number) => (f === null ? dflt : Math.min(1, Math.max(0, f)));
  const a = clamp(scale.frac(brush.lo), 0), b = clamp(scale.frac(brush.hi), 1);
  return a <= b ? [a, b] : [b, a];
}

/** Whether a value passes a brush (missing values never do). */
export function inBrush(brush: Brush, v: number | string | boolean | undefined): boolean {
  if (v === undefined) return false;
  if (brush.kind === "set") return brush.values.has(categoryOf(v));
  if (typeof v !== "number" || Number.isNaN(v)) return false;
  const eps = 1e-12 * Math.max(Number.isFinite(brush.lo) ? Math.abs(brush.lo) : 0, Number.isFinite(brush.hi) ? Math.abs(brush.hi) : 0, 1e-300);
  return v >= brush.lo - eps && v <= brush.hi + eps;
}

/** The sessions that pass every brush (keyed by column key). */
export function brushed(sessions: readonly Session[], columns: readonly Column[], brushes: ReadonlyMap<string, Brush>): Session[] {
  const active = columns.filter((c) => brushes.has(c.key));
  if (!active.length) return [...sessions];
  return sessions.filter((s) => active.every((c) => inBrush(brushes.get(c.key)!, cellValue(s, c))));
}

// ------------------------------------------------------------------ layout and hit testing

/** x of each of n axes across a plot of width w with side margins. */
export function axisPositions(n: number, w: number, left: number, right: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [left + (w - left - right) / 2];
  const span = Math.max(1, w - left - right);
  return Array.from({ length: n }, (_, i) => left + (span * i) / (n - 1));
}

/**
 * The polyline nearest to (x, y) within `tol` px, or -1. `ys[k][i]` is line k's y at axis i
 * (NaN where missing: no segment there).
 */
export function nearestLine(xs: readonly number[], ys: readonly (readonly number[])[], x: number, y: number, tol = 6): number {
  let seg = -1;
  for (let i = 0; i < xs.length - 1; i++) if (x >= xs[i] && x <= xs[i + 1]) { seg = i; break; }
  let best = -1, bestD = tol;
  const consider = (k: number, yy: number) => {
    const d = Math.abs(yy - y);
    if (d <= bestD) { bestD = d; best = k; }
  };
  for (let k = 0; k < ys.length; k++) {
    const l = ys[k];
    if (seg < 0) {
      // outside the axes' span, or a single axis: the nearest axis point
      const i = xs.length === 1 || x < xs[0] ? 0 : xs.length - 1;
      if (Math.abs(x - xs[i]) <= tol && Number.isFinite(l[i])) consider(k, l[i]);
      continue;
    }
    const y0 = l[seg], y1 = l[seg + 1];
    if (!Number.isFinite(y0) || !Number.isFinite(y1)) continue;
    const t = xs[seg + 1] === xs[seg] ? 0 : (x - xs[seg]) / (xs[seg + 1] - xs[seg]);
    consider(k, y0 + t * (y1 - y0));
  }
  return best;
}

// ------------------------------------------------------------------ colour

/** Viridis, sampled at 9 stops (perceptually uniform, readable on light and dark backgrounds). */
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
] as const;

/**
 * The part of viridis used per theme: its darkest end vanishes on a dark background and its
 * yellow end on a white one.
 */
const RANGE = { light: [0, 0.9], dark: [0.18, 1] } as const;

/** The sequential colour at t in [0, 1] (clamped) as rgb(). */
export function sequentialColor(t: number, dark = false): string {
  const [a0, a1] = RANGE[dark ? "dark" : "light"];
  const u = a0 + (a1 - a0) * Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const x = u * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  const c = (k: number) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${c(0)},${c(1)},${c(2)})`;
}

/** CSS gradient of the sequential scale (for the legend), low to high left to right. */
export function sequentialGradient(dark = false): string {
  const n = 8;
  const stops = Array.from({ length: n + 1 }, (_, i) => `${sequentialColor(i / n, dark)} ${Math.round((100 * i) / n)}%`);
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

export interface ColorScale {
  lo: number;
  hi: number;
  /** A colour for a value; null when it has none (missing, NaN). */
  color(v: number | undefined): string | null;
}

/** Colours for a number column's values through a scale (so a log axis colours by log). */
export function colorScale(col: Column, scale: AxisScale, dark = false): ColorScale {
  return {
    lo: col.min,
    hi: col.max,
    color(v) {
      const f = scale.frac(v);
      return f === null ? null : sequentialColor(f, dark);
    },
  };
}
