// The step axis of the uPlot charts: steps that are epoch milliseconds or nanoseconds get ticks far
// enough apart for their long labels, and room on the right for the last one.
import type uPlot from "uplot";
import { describe, expect, it } from "vitest";
import { STEP_INCRS, widestLabel, xAxis } from "../src/kinds/scalars/xaxis";
import { textWidth } from "../src/ui/measure";
import { fmtRelTick, fmtStepTick, SECOND_INCRS } from "../src/ui/format";

const FONT = "11px sans-serif";
type SpaceFn = (u: uPlot, ai: number, min: number, max: number, dim: number) => number;
type ValuesFn = (u: uPlot, splits: number[], ai: number, space: number, incr: number) => string[];
type PadFn = (u: uPlot, side: number, sides: boolean[], cycle: number) => number;

describe("step labels", () => {
  it("name steps up to int64's range with a short suffix", () => {
    expect(fmtStepTick(2.5e17, 1e15)).toBe("250P");
    expect(fmtStepTick(1.5e18, 5e17)).toBe("1.5E");
    expect(fmtStepTick(1_796_052_100_000, 100_000)).toBe("1796052.1M");
    expect(fmtStepTick(3000, 500)).toBe("3k");
    expect(fmtStepTick(150, 50)).toBe("150");
  });

  it("have an increment for any range of int64 steps (none past 5e13 left the axis without ticks)", () => {
    expect(STEP_INCRS[STEP_INCRS.length - 1]).toBeGreaterThanOrEqual(2 ** 63 / 4);
    expect(STEP_INCRS).toEqual([...STEP_INCRS].sort((a, b) => a - b));
  });
});

describe("step axis spacing", () => {
  it("keeps 64 px for short labels and widens for long ones", () => {
    const { axis } = xAxis("step", {}, FONT);
    const space = axis.space as SpaceFn;
    const u = {} as uPlot;
    expect(space(u, 0, 0, 200, 400)).toBe(64);
    const ms = space(u, 0, 1_796_051_947_000, 1_796_052_146_000, 400);
    // the labels at 64 px would be "1796051.95M", "1796052M", ...: spaced by the widest plus a gap
    expect(ms).toBeCloseTo(textWidth("1796051.95M", FONT) + 16, 6);
    expect(ms).toBeGreaterThan(64);
  });

  it("measures the labels of the ticks the spacing gives", () => {
    expect(widestLabel(0, 200, 400, 64, STEP_INCRS, fmtStepTick, FONT)).toBe(textWidth("200", FONT));
    expect(widestLabel(5, 5, 400, 64, STEP_INCRS, fmtStepTick, FONT)).toBe(0);
    expect(widestLabel(0, 1, 0, 64, STEP_INCRS, fmtStepTick, FONT)).toBe(0);
  });

  it("pads the right side by what the last label reaches past the plot", () => {
    const { axis, padRight } = xAxis("step", {}, FONT);
    const values = axis.values as ValuesFn;
    const pad = padRight as PadFn;
    const at = (min: number, max: number) =>
      ({ scales: { x: { min, max } }, bbox: { width: 400 }, width: 460 }) as unknown as uPlot;
    // a last tick at the right end: half the label's width, and 2 px
    expect(values(at(0, 200), [0, 100, 200], 0, 64, 100)).toEqual(["0", "100", "200"]);
    expect(pad(at(0, 200), 1, [], 1)).toBe(Math.max(10, Math.ceil(textWidth("200", FONT) / 2 + 2)));
    const labels = values(at(1_796_051_947_000, 1_796_052_100_000), [1_796_052_000_000, 1_796_052_100_000], 0, 90, 100_000);
    expect(labels).toEqual(["1796052M", "1796052.1M"]);
    expect(pad(at(1_796_051_947_000, 1_796_052_100_000), 1, [], 1)).toBe(Math.ceil(textWidth("1796052.1M", FONT) / 2 + 2));
    // a last tick well inside the plot needs no more than the default
    values(at(0, 200), [0, 100], 0, 64, 100);
    expect(pad(at(0, 200), 1, [], 1)).toBe(10);
  });

  it("has relative-time increments for runs of years (they stopped at 30 days: no ticks past ~5 months)", () => {
    const year = 365 * 86400;
    for (const span of [3600, 30 * 86400, year, 10 * year]) {
      const least = (span * 64) / 400; // a 400 px plot, ticks 64 px apart
      expect(SECOND_INCRS.find((s) => s >= least), `span ${span}`).toBeDefined();
    }
    expect(fmtRelTick(year, year)).toBe("365d");
  });

  it("writes sub-second relative ticks with the decimals their increment needs", () => {
    expect(fmtRelTick(0.3, 0.1)).toBe("0.3s");
    expect(fmtRelTick(0.05, 0.05)).toBe("0.05s");
    expect(fmtRelTick(0.012, 0.002)).toBe("0.012s");
    expect(fmtRelTick(2, 1)).toBe("2s");
    expect(SECOND_INCRS[0]).toBe(0.001);
  });

  it("leaves wall time to uPlot's date labels", () => {
    const { axis, padRight } = xAxis("wall", {}, FONT);
    expect(axis.space).toBe(80);
    expect(axis.values).toBeUndefined();
    expect(padRight).toBe(10);
  });
});
