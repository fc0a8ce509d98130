import { describe, expect, it } from "vitest";
import { binAt, histogramShape, mergeWidth, pickRows, robustMax, rowLabeller, valueExtent } from "../src/kinds/histograms/draw";
import { decodeHistogram } from "../src/kinds/histograms/record";
import { niceTicks } from "../src/ui/ticks";
import { Buffers } from "../src/wire";
import { f64View } from "./helpers";
import type { HistogramRecord } from "../src/kinds/histograms";

const rec = (edges: number[], counts: number[], step = 0): HistogramRecord => ({
  run: "a", tag: "h", index: step, step, wall: 0, k: counts.length,
  edges: Float64Array.from(edges), counts: Float64Array.from(counts),
});

describe("histogram drawing helpers", () => {
  it("uses densities of the stored bins, merging only bins narrower than minWidth", () => {
    // uniform bins: density proportional to counts, one vertex per bin
    const s = histogramShape([0, 1, 2, 3], [2, 4, 6], 0.5);
    expect(s.xs).toEqual([0.5, 1.5, 2.5]);
    expect(s.ys).toEqual([2, 4, 6]);
    // narrow bins [0,0.1) [0.1,0.2) merge into one of width >= 0.2; the wide bin stays
    const m = histogramShape([0, 0.1, 0.2, 2.2], [1, 3, 10], 0.2);
    expect(m.xs.length).toBe(2);
    expect(m.xs[0]).toBeCloseTo(0.1);
    expect(m.xs[1]).toBeCloseTo(1.2);
    expect(m.ys[0]).toBeCloseTo(4 / 0.2);
    expect(m.ys[1]).toBeCloseTo(5);
    expect(m.maxY).toBeCloseTo(20);
    // the outline starts and ends at the data's edges
    expect([s.lo, s.hi, m.lo]).toEqual([0, 3, 0]);
    expect(m.hi).toBeCloseTo(2.2);
  });

  it("draws a point mass (TensorFlow 2's zero-width buckets of a constant tensor) as a peak minWidth wide", () => {
    // tf.summary.histogram of 64 threes: every bucket [3, 3], the count in the last
    const c = histogramShape([3, 3, 3, 3, 3], [0, 0, 0, 64], 0.02);
    expect(c.xs).toEqual([3]);
    expect(c.ys[0]).toBeCloseTo(64 / 0.02);
    expect(c.lo).toBeCloseTo(2.99);
    expect(c.hi).toBeCloseTo(3.01);
    expect(Number.isNaN(histogramShape([], [], 0.1).lo)).toBe(true);
  });

  it("merges bins finer than the data support: Freedman-Diaconis, between 2 px and 30 bins", () => {
    const uniform = (n: number) => rec(Array.from({ length: 101 }, (_, i) => i / 100), Array.from({ length: 100 }, () => n / 100));
    // IQR 0.5: 2 * 0.5 / cbrt(n)
    expect(mergeWidth([uniform(1e6)], 1, 1000)).toBeCloseTo(0.01, 12);
    expect(mergeWidth([uniform(8000)], 1, 1000)).toBeCloseTo(1 / 30, 12); // 0.05: no coarser than 30 bins
    expect(mergeWidth([uniform(1e9)], 1, 1000)).toBeCloseTo(0.002, 12); // 0.001: no finer than 2 px
    // the median over rows
    expect(mergeWidth([uniform(1e9), uniform(1e6), uniform(1e6)], 1, 1000)).toBeCloseTo(0.01, 12);
    // most values equal (IQR 0): 2 sqrt(n) bins across
    expect(mergeWidth([rec([0, 0, 1], [800, 200])], 1, 1000)).toBeCloseTo(1 / (2 * Math.sqrt(1000)), 12);
    expect(mergeWidth([rec([0, 1], [0])], 1, 1000)).toBeCloseTo(0.002, 12); // nothing counted
  });

  it("caps the height scale when a few spikes dwarf the rest", () => {
    const normal = [{ xs: [], ys: Array.from({ length: 100 }, (_, i) => 1 + (i % 10) / 10), maxY: 1.9, lo: 0, hi: 1 }];
    expect(robustMax(normal)).toBe(1.9);
    const spiky = [{ xs: [], ys: [...Array.from({ length: 100 }, () => 1), 500], maxY: 500, lo: 0, hi: 1 }];
    expect(robustMax(spiky)).toBe(3);
  });

  it("extent, ticks, rows and bin lookup", () => {
    expect(valueExtent([rec([1e-9, 1, 4], [1, 1]), rec([-1, 2], [1])])).toEqual([-1, 4]);
    expect(valueExtent([rec([1e-9, 1, 4], [1, 1])])).toEqual([0, 4]); // snapped to 0
    const t = niceTicks(0, 1, 5, true);
    expect(t.step).toBe(0.2);
    expect(t.values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1, 4, true).step).toBe(0.5); // at most 4: not 0.2 (5) nor 0.25 (d3 steps only)
    expect(pickRows([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4)).toEqual([1, 4, 7, 10]);
    expect(binAt(rec([0, 1, 3], [5, 7]), 2)).toEqual([1, 3, 7]);
    expect(binAt(rec([0, 1, 3], [5, 7]), 4)).toBe(null);
  });

  it("decodes a histogram without buckets (TensorFlow's of an empty tensor) instead of rejecting it", () => {
    const base = { run: "a", tag: "w", index: 0, step: 3, wall: 1 };
    const empty = decodeHistogram({ k: 0, buffer: 0 }, new Buffers([f64View([])]), base);
    expect([empty.k, empty.edges.length, empty.counts.length]).toEqual([0, 0, 0]);
    const one = decodeHistogram({ k: 1, buffer: 0 }, new Buffers([f64View([0, 1, 5])]), base);
    expect([...one.edges, ...one.counts]).toEqual([0, 1, 5]);
    expect(() => decodeHistogram({ k: 0, buffer: 0 }, new Buffers([f64View([1])]), base)).toThrow(RangeError);
    expect(() => decodeHistogram({ k: 2, buffer: 0 }, new Buffers([f64View([0, 1, 5])]), base)).toThrow(RangeError);
  });
});

describe("offset view row labels (the board's x axis setting)", () => {
  const at = (step: number, wall: number) => ({ ...rec([0, 1], [1], step), wall });

  it("label rows by step, by time since the first, or by wall clock", () => {
    const rows = [at(0, 1000), at(500, 1600), at(1000, 4600)];
    expect(rows.map(rowLabeller(rows, "step"))).toEqual(["0", "500", "1k"]);
    expect(rows.map(rowLabeller(rows, "relative"))).toEqual(["0", "10m", "60m"]);
    const wall = rows.map(rowLabeller(rows, "wall"));
    for (const label of wall) expect(label).toMatch(/^\d\d:\d\d$/);
  });

  it("labels rows logged milliseconds apart in milliseconds", () => {
    const rows = [at(0, 1000), at(1, 1000.004), at(2, 1000.012)];
    expect(rows.map(rowLabeller(rows, "relative"))).toEqual(["0", "0.004s", "0.012s"]);
    for (const label of rows.map(rowLabeller(rows, "wall"))) expect(label).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
  });
});
