// The x axis of the uPlot charts (the scalar charts and custom scalars' margin charts) in each x
// mode. Steps that are epoch milliseconds or nanoseconds (1.8e12, 1.8e18) need nine or more
// digits a label ("1796051.95M"): 64 px apart such labels ran into each other, past 5e13 no
// increment was wide enough (the axis had no ticks at all), and the last one was cut at the
// chart's edge ("1796052" for "1796052.15M"). So ticks are spaced by their widest label, and the
// right padding makes room for the last one.
import uPlot from "uplot";
import { fmtRelTick, fmtStepTick, SECOND_INCRS } from "../../ui/format";
import { textWidth } from "../../ui/measure";
import { multiplesIn } from "../../ui/ticks";

export type XMode = "step" | "relative" | "wall";

/** Step increments, 1, 2, 2.5, 5 x 10^k, up to int64's range (steps are int64). */
export const STEP_INCRS: number[] = [];
for (let e = 0; e <= 18; e++) for (const m of [1, 2, 2.5, 5]) if (!(e === 0 && m === 2.5)) STEP_INCRS.push(m * 10 ** e);

const LABEL_GAP = 16; // px between neighbouring labels
const MIN_SPACE = { step: 64, relative: 64, wall: 80 } as const; // px between ticks at the least
const PAD_RIGHT = 10; // px right of the plot when the last label needs no more

/** The widest label on ticks at multiples of the first of `incrs` at least `space` px apart over
 * [min, max] drawn `plotDim` px wide (0 where there is no range). */
export function widestLabel(
  min: number, max: number, plotDim: number, space: number, incrs: number[],
  fmt: (v: number, incr: number) => string, font: string,
): number {
  if (!(max > min) || !(plotDim > 0) || !Number.isFinite(max - min)) return 0;
  const least = ((max - min) * space) / plotDim;
  const incr = incrs.find((s) => s >= least) ?? least;
  let widest = 0;
  for (const v of multiplesIn(min, max, incr, 64)) widest = Math.max(widest, textWidth(fmt(v, incr), font));
  return widest;
}

/**
 * The x axis for `mode` (merged over `base`, the chart's axis style) and the chart's right padding,
 * which leaves room for half the last label. Wall time keeps uPlot's own date labels and increments.
 */
export function xAxis(mode: XMode, base: uPlot.Axis, font: string): { axis: uPlot.Axis; padRight: uPlot.PaddingSide } {
  if (mode === "wall") return { axis: { ...base, size: 24, space: MIN_SPACE.wall }, padRight: PAD_RIGHT };
  const incrs = mode === "step" ? STEP_INCRS : SECOND_INCRS;
  const fmt = mode === "step" ? fmtStepTick : fmtRelTick;
  const last = { value: Number.NaN, width: 0 }; // the last label drawn, for the padding
  const axis: uPlot.Axis = {
    ...base,
    size: 24,
    incrs,
    space: (_u, _ai, min, max, plotDim) =>
      Math.max(MIN_SPACE[mode], widestLabel(min, max, plotDim, MIN_SPACE[mode], incrs, fmt, font) + LABEL_GAP),
    values: (_u, splits, _ai, _space, incr) => {
      const labels = splits.map((v) => fmt(v, incr));
      last.value = splits.length ? splits[splits.length - 1] : Number.NaN;
      last.width = labels.length ? textWidth(labels[labels.length - 1], font) : 0;
      return labels;
    },
  };
  // uPlot computes the axes, then the padding, until both settle (at most 3 rounds)
  const padRight: uPlot.PaddingSide = (u) => {
    const { min, max } = u.scales.x;
    if (!last.width || min == null || max == null || !(max > min)) return PAD_RIGHT;
    const plotW = (u.bbox?.width ?? 0) / uPlot.pxRatio || u.width;
    const room = ((max - last.value) / (max - min)) * plotW; // px from the last tick to the plot's right edge
    return Math.max(PAD_RIGHT, Math.ceil(last.width / 2 - room + 2));
  };
  return { axis, padRight };
}
