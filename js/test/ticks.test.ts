// @vitest-environment jsdom
// The y axis' ticks for every range the data can give: uPlot's own loops never ended from a log
// range starting just under a power of 10, or on a linear range a few float64 ulps wide.
import type uPlot from "uplot";
import { describe, expect, it, vi } from "vitest";
import { niceTicks as hparamsTicks } from "../src/kinds/hparams/geometry";
import { evenRange, evenSplits, labelStep, linearSplits, logSplits, logTicks, tooNarrow, Y_INCRS } from "../src/kinds/scalars/ticks";
import { multiplesIn, niceTicks } from "../src/ui/ticks";
import { fmtTick } from "../src/ui/format";

const histogramTicks = (lo: number, hi: number, count: number) => niceTicks(lo, hi, count, true);

// uPlot reads the device pixel ratio through matchMedia when it loads, and the probe that lends its
// linear ticks draws once on a canvas; jsdom has neither
vi.hoisted(() => {
  const noop = new Proxy({}, { get: (_t, key) => (key === "measureText" ? () => ({ width: 0 }) : () => undefined) });
  HTMLCanvasElement.prototype.getContext = (() => noop) as unknown as typeof HTMLCanvasElement.prototype.getContext;
  (globalThis as { Path2D?: unknown }).Path2D ??= class { moveTo() {} lineTo() {} rect() {} arc() {} closePath() {} };
  window.matchMedia ??= ((query: string) => ({
    matches: false, media: query, onchange: null, addEventListener: () => undefined, removeEventListener: () => undefined,
    addListener: () => undefined, removeListener: () => undefined, dispatchEvent: () => false,
  })) as typeof window.matchMedia;
});

describe("log-scale ticks", () => {
  it("end for every range, also from just under a power of 10 (uPlot's own log splits never ended there)", () => {
    // the y range of a chart in the 20M-point benchmark whose log toggle froze the page for 7-11 s
    expect(logSplits(0.00009673425876470157, 2.0055323672504692)).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => Number(`${m}e-4`)),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => Number(`${m}e-3`)),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => Number(`${m}e-2`)),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => Number(`${m}e-1`)),
      1, 2,
    ]);
    for (const e of [-300, -20, -5, 0, 3, 200]) {
      for (const m of [9.5, 9.67, 9.99, 9.999999, 1, 1.0000001, 3]) {
        const min = m * 10 ** e, max = min * 1234;
        const s = logSplits(min, max);
        expect(s.length).toBeGreaterThan(20);
        expect(s.length).toBeLessThan(40);
        expect(s.every((v, i) => v >= min && v <= max && (i === 0 || v > s[i - 1]))).toBe(true);
      }
    }
    expect(logSplits(1e-300, 1e300).length).toBe(9 * 600 + 1);
    expect(logSplits(0.3, 0.45)).toEqual([0.3, 0.4]);
    for (const [lo, hi] of [[0, 1], [-1, 1], [2, 1], [1, Infinity], [Number.NaN, 1]]) expect(logSplits(lo, hi)).toEqual([]);
  });

  it("label 1 x 10^k, with 2 and 5 x 10^k under two decades, and every tick inside one decade", () => {
    const many = logSplits(0.001, 100);
    expect(logTicks(many).filter((v) => v !== null)).toEqual([0.001, 0.01, 0.1, 1, 10, 100]);
    expect(logTicks(logSplits(0.15, 4)).filter((v) => v !== null)).toEqual([0.2, 0.5, 1, 2]);
    expect(logTicks([0.3, 0.4])).toEqual([0.3, 0.4]);
    expect(logTicks([])).toEqual([]);
  });
});

describe("linear ticks", () => {
  const next = (v: number) => {
    const b = new Float64Array([v]);
    new BigInt64Array(b.buffer)[0] += 1n;
    return b[0];
  };

  it("take uPlot's ticks where its loop ends, and about five of their own where it would not", () => {
    const u = null as unknown as uPlot; // uPlot's linear splits read only their numeric arguments
    expect(linearSplits(u, 1, 0, 1, 0.2, 30)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearSplits(u, 1, -3, 7, 5, 30)).toEqual([0, 5]);
    // two float64 values one ulp apart, with a step uPlot picked for that width: never advances
    const hi = next(16);
    expect(linearSplits(u, 1, 16, hi, 1e-15, 30)).toEqual([16 / 2 + hi / 2]);
    // a step far too small for the range (20 million ticks): five of our own
    expect(linearSplits(u, 1, 0, 1e8, 5, 30)).toEqual([0, 2e7, 4e7, 6e7, 8e7, 1e8]);
    expect(linearSplits(u, 1, 0, 1, 0, 30)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearSplits(u, 1, Number.NaN, 1, 0.1, 30)).toEqual([]);
    // values of 1e-30 that vary: uPlot's finest step (1e-16) has no multiple between them
    const tiny = linearSplits(u, 1, 1e-30, 2e-30, Y_INCRS[0], 30) as number[];
    expect(tiny).toEqual([1e-30, 1.2e-30, 1.4e-30, 1.6e-30, 1.8e-30, 2e-30]);
    expect(tiny.map((v) => fmtTick(v, labelStep(tiny, Y_INCRS[0])))).toEqual(["1e-30", "1.2e-30", "1.4e-30", "1.6e-30", "1.8e-30", "2e-30"]);
    // uPlot's own ticks are written on its step
    expect(labelStep([0, 0.2, 0.4], 0.2)).toBe(0.2);
    expect(labelStep([null, 1, 2], 1)).toBe(1);
  });

  it("see values a few ulps apart as one value, with a range around it", () => {
    expect(tooNarrow(16, next(16))).toBe(true);
    expect(tooNarrow(1e6, 1e6 + 1e-4)).toBe(false); // float64 data apart in the 11th digit: two values
    expect(tooNarrow(1e6, 1e6 + 1e-7)).toBe(true);
    expect(tooNarrow(0, 0)).toBe(true);
    expect(tooNarrow(0, 1e-300)).toBe(false);
    expect(tooNarrow(2, 1)).toBe(true);
    expect(evenRange(16, next(16))).toEqual([14.4, 17.6]);
    expect(evenRange(0, 0)).toEqual([-1, 1]);
    expect(evenSplits(-1, 1)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(evenSplits(1e6, 1e6 + 1e-4)).toHaveLength(5); // 2e-5 apart: ~150,000 ulps
    expect(evenSplits(1, 0)).toEqual([]);
  });
});

describe("ticks on a step (histogram, hparams and Visdom axes)", () => {
  it("are the step's multiples in range, each from its index", () => {
    expect(multiplesIn(0, 1, 0.2, 10)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(multiplesIn(-0.3, 0.3, 0.1, 10)).toEqual([-0.30000000000000004, -0.2, -0.1, 0, 0.1, 0.2, 0.30000000000000004]);
    expect(multiplesIn(1, 2, 5, 10)).toEqual([]);
    expect(multiplesIn(0, 1, 0.2, 3)).toEqual([0, 0.2, 0.4]);
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(multiplesIn(0, 1, bad, 10)).toEqual([]);
  });

  it("keep every tick in range (a step rounded down gives up to 1.5x the ticks asked for)", () => {
    expect(hparamsTicks(0, 0.7, 5).values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(histogramTicks(0, 1, 5).values).toHaveLength(6); // its step is never under span / count
    expect(histogramTicks(1_796_051_947_000, 1_796_052_146_000, 4).values).toEqual([1_796_051_950_000, 1_796_052_000_000, 1_796_052_050_000, 1_796_052_100_000]);
  });

  it("take the finest step that keeps at most `count` ticks in the range (a weights axis had 0 alone)", () => {
    expect(histogramTicks(-3.9, 4.4, 4).values).toEqual([-2, 0, 2, 4]); // span / 4 > 2: step 5 gave [0]
    expect(histogramTicks(-0.26, 0.22, 4).values).toEqual([-0.2, 0, 0.2]); // 0.1 would put 5
    expect(histogramTicks(0, 1, 4).step).toBe(0.5); // 0.2 would put 6 ticks
  });

  it("end on ranges a few ulps wide (0.1 * 3 and 0.3: a loop of `i++` past 2^53 never did)", () => {
    const lo = 0.3, hi = 0.1 * 3;
    expect(hi - lo).toBeGreaterThan(0);
    const h = hparamsTicks(lo, hi, 5);
    expect(h.values.length).toBeGreaterThan(0);
    expect(h.values.length).toBeLessThanOrEqual(7);
    const g = histogramTicks(16, 16.000000000000004, 5);
    expect(g.values.length).toBeGreaterThan(0);
    expect(g.values.length).toBeLessThanOrEqual(7);
    expect(multiplesIn(16, 16.000000000000004, 1e-17, 50).length).toBeLessThanOrEqual(2);
  });
});

describe("value increments", () => {
  it("reach float64's largest values (uPlot's own stop at 5e15: no labels from 1e16 up)", () => {
    expect(Y_INCRS[0]).toBe(1e-16);
    expect(Y_INCRS).toContain(2e30);
    expect(Y_INCRS[Y_INCRS.length - 1]).toBe(1e308);
    expect(Y_INCRS.every((v, i) => i === 0 || v > Y_INCRS[i - 1])).toBe(true);
  });
});
