// The scalar charts' line paths, built for uPlot from slot columns (downsample.ts) in one tight
// pass, positions computed inline. uPlot's own linear builder does the same work through several
// closures per coordinate (value to percent, percent to position, rounding): with its walk over
// every slot, that was about a third of the board's script while a big directory loaded
// (bench_jupyter.py --profile). A null slot (non-finite values) lifts the pen where uPlot's
// builder draws through and clips the gap out afterwards: the same lines, without a clip per line.

import type uPlot from "uplot";
import type { Slot } from "./downsample";

/** Where a path goes (a Path2D, or a recorder in tests). */
export interface PathSink {
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
}

/** The plot area (canvas pixels) and the scales' ends, y in its transformed units. */
export interface PlotFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** The y transform (identity, or log10 on a log scale). */
  fwd: (v: number) => number;
}

/**
 * Trace slots i0..i1 of a column into `sink`: a point per number, at uPlot's position (the
 * value's fraction of the scale, rounded to a canvas pixel); undefined slots are skipped (the
 * line joins across them), null ones end the line (a gap). Returns the number of points.
 */
export function traceSlots(sink: PathSink, xs: ArrayLike<number>, ys: ArrayLike<Slot>, i0: number, i1: number, f: PlotFrame): number {
  const { left, top, width, height, x0, y0, fwd } = f;
  const dx = f.x1 - x0, dy = f.y1 - y0;
  let down = false, points = 0;
  for (let i = i0; i <= i1; i++) {
    const v = ys[i];
    if (v === undefined) continue;
    if (v === null) {
      down = false;
      continue;
    }
    const x = Math.round(left + width * ((xs[i] - x0) / dx));
    const y = Math.round(top + height * (1 - (fwd(v) - y0) / dy));
    if (down) sink.lineTo(x, y);
    else {
      sink.moveTo(x, y);
      down = true;
    }
    points++;
  }
  return points;
}

const identity = (v: number) => v;

/** A uPlot path builder (`series.paths`) for slot columns on a linear or custom-transform y scale. */
export const slotLinePaths: uPlot.Series.PathBuilder = (u, seriesIdx, idx0, idx1) => {
  const stroke = new Path2D();
  const sx = u.scales.x, sy = u.scales.y;
  const fwd = sy.distr === 100 && sy.fwd ? sy.fwd : identity;
  const { left, top, width, height } = u.bbox;
  const frame: PlotFrame = {
    left, top, width, height,
    x0: sx.min ?? Number.NaN, x1: sx.max ?? Number.NaN,
    y0: fwd(sy.min ?? Number.NaN), y1: fwd(sy.max ?? Number.NaN),
    fwd,
  };
  // (no array of the four ends to check: this runs for every line at every redraw)
  const { x0, x1, y0, y1 } = frame;
  const ok = Number.isFinite(x0) && Number.isFinite(x1) && Number.isFinite(y0) && Number.isFinite(y1) && x1 > x0 && y1 > y0;
  if (ok) traceSlots(stroke, u.data[0], u.data[seriesIdx] as ArrayLike<Slot>, idx0, idx1, frame);
  return { stroke, fill: null, clip: null, band: null, flags: 0 };
};
