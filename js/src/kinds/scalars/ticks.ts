// Tick positions of the scalar charts' y axis (and the custom-scalar margin charts'), for every
// range the data can give. uPlot's own tick loops assume ranges its own scales produce: its log
// ticks start from a power of 10, and its linear ticks from a step that moves the value. Given a
// log range starting at a mantissa of 9.5 or more, or a linear range a few float64 ulps wide (two
// float64 values one ulp apart), each loop never ended: the page froze for seconds, then failed
// with "Invalid array length".

import uPlot from "uplot";
import { niceTicks } from "../../ui/ticks";

/** An axis' tick positions as a function (uPlot's type also allows a fixed array). */
export type SplitsFn = Extract<uPlot.Axis.Splits, (...args: never[]) => unknown>;

/** Values closer than this (relative to their magnitude) are one value on an axis: float
 * rounding, not data (float64's ulp is 2.2e-16 of the magnitude). */
const MIN_RELATIVE_SPAN = 1e-12;

/** Smallest step (relative to the values' magnitude) uPlot's linear loop is given: a finer one may
 * not move the value (it rounds back to it). */
const MIN_RELATIVE_STEP = 1e-12;

/** Most ticks uPlot's linear loop may be asked for (more: a step too small for the range). */
const MAX_TICKS = 1000;

/**
 * Value increments, 1, 2, 5 x 10^k (as d3 and TensorBoard), written as exact decimals for uPlot,
 * up to float64's largest: uPlot's own stop at 5e15, and an axis whose range needs a larger one
 * gets none, so values of 1e16 and more drew without a single label. (uPlot itself refuses those
 * under 1e-16, whose labels toFixed could not write, so none smaller is offered.)
 */
export const Y_INCRS: number[] = [];
for (let e = -16; e <= 308; e++) {
  for (const m of [1, 2, 5]) {
    const v = Number(`${m}e${e}`);
    if (Number.isFinite(v)) Y_INCRS.push(v);
  }
}

let uPlotLinear: SplitsFn | null = null;

/**
 * uPlot's own tick positions for a linear axis (the default it gives an axis on a distr 1 scale;
 * it does not export it), taken once from a throwaway instance that is never attached, so that
 * linear ticks are placed exactly as a linear uPlot axis places them.
 */
function uPlotLinearSplits(): SplitsFn {
  if (!uPlotLinear) {
    const probe = new uPlot({ width: 100, height: 100, scales: { x: { time: false } }, series: [{}, {}] }, [[1, 2], [1, 10]]);
    const linear = probe.axes[0].splits;
    probe.destroy();
    if (typeof linear !== "function") throw new Error("uPlot gave no default axis splits");
    uPlotLinear = linear;
  }
  return uPlotLinear;
}

/** Whether `[min, max]` is too narrow to be two values (see MIN_RELATIVE_SPAN), or not a range. */
export function tooNarrow(min: number, max: number): boolean {
  return !(max - min > Math.max(Math.abs(min), Math.abs(max)) * MIN_RELATIVE_SPAN);
}

/** A linear range around values that are one value (`tooNarrow`): 10% of it either side, or 1. */
export function evenRange(min: number, max: number): [number, number] {
  const c = min / 2 + max / 2;
  const d = Math.abs(c) * 0.1 || 1;
  return [c - d, c + d];
}

/**
 * Linear ticks: uPlot's, for the step it chose (`incr`), whenever its loop can end in a few
 * steps and that step fits the range; else about five ticks on a 1-2-5 step of our own, each
 * computed from its index. A range narrower than uPlot's finest step (`Y_INCRS[0]`: values of
 * 1e-30 that vary) got none of uPlot's ticks, so no value labels.
 */
export const linearSplits: SplitsFn = (u, axisIdx, min, max, incr, ...rest) => {
  const fine = Number.isFinite(min) && Number.isFinite(max) && max >= min
    && incr >= Math.max(Math.abs(min), Math.abs(max)) * MIN_RELATIVE_STEP && (max - min) / incr <= MAX_TICKS
    && !(incr <= Y_INCRS[0] && max - min < 2 * incr);
  return fine ? uPlotLinearSplits()(u, axisIdx, min, max, incr, ...rest) : evenSplits(min, max);
};

/** The step to write linear labels with: uPlot's `incr`, or our splits' own spacing where they are
 * finer (`evenSplits` under uPlot's finest step), so that 1.2e-30 is not written "1e-30". */
export function labelStep(splits: readonly (number | null)[], incr: number): number {
  const [a, b] = splits;
  const spacing = typeof a === "number" && typeof b === "number" ? b - a : incr;
  return spacing > 0 && spacing < incr / 2 ? spacing : incr;
}

/** About five ticks from `min` to `max` on a 1, 2 or 5 x 10^k step; none for a non-range. */
export function evenSplits(min: number, max: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max >= min)) return [];
  if (tooNarrow(min, max)) return [min / 2 + max / 2];
  return niceTicks(min, max, 5).values;
}

/**
 * Ticks of a log10 axis from `min` to `max`: every m x 10^k (m = 1..9) between them (`logTicks`
 * then says which are labelled).
 */
export function logSplits(min: number, max: number): number[] {
  const out: number[] = [];
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) return out;
  const top = Math.floor(Math.log10(max));
  for (let e = Math.floor(Math.log10(min)); e <= top; e++) {
    for (let m = 1; m <= 9; m++) {
      const v = Number(`${m}e${e}`); // exact decimal: 3 * 10 ** -5 is 0.000030000000000000004
      if (v >= min && v <= max) out.push(v);
    }
  }
  return out;
}

/**
 * Which of `logSplits` are labelled and get a grid line (null: none): 1 x 10^k, and 2 and 5 x 10^k
 * when they span under two decades; all of them when that would leave fewer than two (a range
 * inside one decade, 0.3 to 0.45: 0.3 and 0.4).
 */
export function logTicks(splits: number[]): (number | null)[] {
  const decades = splits.length ? Math.log10(splits[splits.length - 1] / splits[0]) : 0;
  const keep = (v: number) => {
    const e = Math.floor(Math.log10(v) + 1e-9), m = v / 10 ** e;
    return Math.abs(m - 1) < 1e-6 || (decades < 2 && (Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6));
  };
  const kept = splits.map((v) => (keep(v) ? v : null));
  return kept.filter((v) => v !== null).length >= 2 ? kept : splits;
}
