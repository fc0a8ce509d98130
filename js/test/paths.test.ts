import { afterAll, beforeAll, describe, expect, it } from "vitest";
import uPlot from "uplot";
import type { Slot } from "../src/kinds/scalars/downsample";
import { type PathSink, type PlotFrame, slotLinePaths, traceSlots } from "../src/kinds/scalars/paths";

type Op = [string, number, number];

/** Path2D as a recorder (node has no canvas). */
class RecordingPath implements PathSink {
  ops: Op[] = [];
  moveTo(x: number, y: number) { this.ops.push(["M", x, y]); }
  lineTo(x: number, y: number) { this.ops.push(["L", x, y]); }
  rect() { this.ops.push(["R", 0, 0]); }
}

const g = globalThis as { Path2D?: unknown };
let saved: unknown;
beforeAll(() => {
  saved = g.Path2D;
  g.Path2D = RecordingPath;
});
afterAll(() => void (g.Path2D = saved));

/** Enough of a uPlot instance for a path builder: scales, plot box, data, and uPlot's own value
 * to position mapping (a value's fraction of the transformed scale, times the plot's size). */
function fakePlot(xs: number[], ys: Slot[], x: [number, number], y: [number, number], fwd: (v: number) => number) {
  const sx = { min: x[0], max: x[1], _min: x[0], _max: x[1], ori: 0, dir: 1, distr: 1, key: "x" };
  const sy = { min: y[0], max: y[1], _min: fwd(y[0]), _max: fwd(y[1]), ori: 1, dir: 1, distr: 100, fwd, key: "y" };
  const pct = (v: number, s: { _min: number; _max: number; distr: number }) =>
    ((s.distr === 100 ? fwd(v) : v) - s._min) / (s._max - s._min);
  const series = [{ scale: "x" }, { scale: "y", pxRound: Math.round, spanGaps: true, fill: null, gaps: (_u: unknown, _i: number, _a: number, _b: number, gs: unknown) => gs }];
  return {
    mode: 1, series, bands: [], data: [xs, ys], _data: [xs, ys], scales: { x: sx, y: sy },
    bbox: { left: 20, top: 8, width: 600, height: 300 },
    valToPosH: (v: number, s: typeof sx, dim: number, off: number) => off + dim * pct(v, s),
    valToPosV: (v: number, s: typeof sy, dim: number, off: number) => off + dim * (1 - pct(v, s)),
  } as unknown as uPlot;
}

function ops(paths: uPlot.Series.Paths | null): Op[] {
  return ((paths?.stroke as unknown as RecordingPath) ?? new RecordingPath()).ops;
}

/** A column as the chart makes them: a number in some slots, undefined in the others. */
function column(n: number, seed: number, positive = false): { xs: number[]; ys: Slot[] } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const xs = Array.from({ length: n }, (_, i) => i * 7.3);
  const ys: Slot[] = xs.map(() => (rnd() < 0.6 ? undefined : positive ? 0.01 + rnd() * 100 : (rnd() - 0.5) * 10));
  return { xs, ys };
}

describe("the scalar charts' line paths", () => {
  it("put every point where uPlot's linear builder does, in order, on linear and log scales", () => {
    for (const [seed, log] of [[1, false], [2, false], [3, true], [4, true]] as const) {
      const { xs, ys } = column(450, seed, log);
      const fwd = log ? Math.log10 : (v: number) => v;
      const u = fakePlot(xs, ys, [0, 449 * 7.3], log ? [0.005, 200] : [-6, 6], fwd);
      const ours = ops(slotLinePaths(u, 1, 0, 449));
      const theirs = ops(uPlot.paths.linear!()(u, 1, 0, 449));
      // uPlot starts its path with a lineTo (a path's first point moves the pen anyway)
      expect(theirs[0][0]).toBe("L");
      expect(ours.map(([, x, y]) => [x, y])).toEqual(theirs.map(([, x, y]) => [x, y]));
      expect(ours[0][0]).toBe("M");
      expect(ours.slice(1).every(([op]) => op === "L")).toBe(true);
      expect(ours.length).toBe(ys.filter((v) => typeof v === "number").length);
    }
  });

  it("joins across empty slots, ends the line at a gap and starts it again after", () => {
    const frame: PlotFrame = { left: 0, top: 0, width: 100, height: 100, x0: 0, x1: 10, y0: 0, y1: 10, fwd: (v) => v };
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const ys: Slot[] = [1, undefined, 3, null, null, 5, undefined, 6, null, 7, undefined];
    const sink = new RecordingPath();
    expect(traceSlots(sink, xs, ys, 0, 10, frame)).toBe(5);
    expect(sink.ops).toEqual([["M", 0, 90], ["L", 20, 70], ["M", 50, 50], ["L", 70, 40], ["M", 90, 30]]);
  });

  it("draws only the slots asked for, and nothing on a scale with no extent", () => {
    const frame: PlotFrame = { left: 5, top: 5, width: 50, height: 50, x0: 0, x1: 4, y0: 0, y1: 1, fwd: (v) => v };
    const sink = new RecordingPath();
    traceSlots(sink, [0, 1, 2, 3, 4], [0, 1, 0, 1, 0], 1, 3, frame);
    expect(sink.ops.map(([op, x]) => [op, x])).toEqual([["M", 18], ["L", 30], ["L", 43]]);
    const flat = fakePlot([0, 1], [1, 1], [0, 1], [1, 1], (v) => v);
    expect(ops(slotLinePaths(flat, 1, 0, 1))).toEqual([]);
  });
});
