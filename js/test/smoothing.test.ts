import { describe, expect, it } from "vitest";
import { SmoothedColumn, clampWeight, smooth } from "../src/kinds/scalars/smoothing";

// Expected values below are computed by hand from TensorBoard's classicSmoothing:
//   last = last * w + (1 - w) * y; numAccum++; out = last / (1 - w ** numAccum)
const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    if (Number.isNaN(w)) expect(Number.isNaN(got[i])).toBe(true);
    else if (!Number.isFinite(w)) expect(got[i]).toBe(w);
    else expect(got[i]).toBeCloseTo(w, 12);
  });
};

describe("TensorBoard debiased EMA", () => {
  it("w=0.5 on 1,2,3,4", () => {
    // last: 0.5, 1.25, 2.125, 3.0625; debias: 0.5, 0.75, 0.875, 0.9375
    close(smooth([1, 2, 3, 4], 0.5), [1, 5 / 3, 17 / 7, 49 / 15]);
  });

  it("default w=0.6 on 0,10,0", () => {
    // y=0: last 0 -> 0/0.4 = 0; y=10: last 4 -> 4/0.64 = 6.25;
    // y=0: last 2.4 -> 2.4/(1-0.216) = 2.4/0.784
    close(smooth([0, 10, 0], 0.6), [0, 6.25, 2.4 / 0.784]);
  });

  it("w=0.9 on 10,0 (first output is the first value: debiasing)", () => {
    // last 1 -> 1/0.1 = 10; last 0.9 -> 0.9/0.19
    close(smooth([10, 0], 0.9), [10, 0.9 / 0.19]);
  });

  it("passes non-finite values through without counting them", () => {
    // y=1 -> 1; NaN -> NaN; y=3: last = 0.25 + 1.5 = 1.75, numAccum = 2 -> 1.75/0.75
    close(smooth([1, NaN, 3], 0.5), [1, NaN, 7 / 3]);
    close(smooth([2, Infinity, -Infinity, 2.5], 0.5), [2, Infinity, -Infinity, (0.5 + 1.25) / 0.75]);
  });

  it("returns a constant series unsmoothed (TB #786)", () => {
    close(smooth([5, 5, 5, 5], 0.9), [5, 5, 5, 5]);
    close(smooth([0.3], 0.6), [0.3]);
    close(smooth([], 0.6), []);
    // a NaN makes the series non-constant (`==` comparison), the 5s then smooth to 5 anyway
    close(smooth([5, NaN, 5], 0.9), [5, NaN, 5]);
  });

  it("w=0 is the identity", () => {
    close(smooth([3, -1, 7.5, NaN, 2], 0), [3, -1, 7.5, NaN, 2]);
  });

  it("w=1 uses debias weight 1 (the average stays at 0, as in TensorBoard)", () => {
    close(smooth([3, -1, 7.5, NaN], 1), [0, 0, 0, NaN]);
  });

  it("clamps the weight and maps non-finite weights to 0", () => {
    expect(clampWeight(NaN)).toBe(0);
    expect(clampWeight(Infinity)).toBe(0);
    expect(clampWeight(-0.5)).toBe(0);
    expect(clampWeight(1.5)).toBe(1);
    close(smooth([1, 2], NaN), [1, 2]);
    close(smooth([1, 2], -3), [1, 2]);
    close(smooth([1, 2], 7), [0, 0]);
  });

  it("matches Math.pow debiasing over long series", () => {
    const ys = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 10) + i / 1000);
    const w = 0.999;
    let last = 0, n = 0;
    const want = ys.map((y) => {
      last = last * w + (1 - w) * y;
      n++;
      return last / (1 - Math.pow(w, n));
    });
    const got = smooth(ys, w);
    for (let i = 0; i < ys.length; i++) expect(got[i]).toBe(want[i]);
  });
});

describe("SmoothedColumn (incremental)", () => {
  const same = (col: SmoothedColumn, ys: ArrayLike<number>, n: number, w: number) =>
    expect(Array.from(col.out.subarray(0, n))).toEqual(Array.from(smooth(Array.from(ys).slice(0, n), w)));

  it("appending in pieces equals smoothing at once (across checkpoints)", () => {
    const ys = new Float64Array(Array.from({ length: 3000 }, (_, i) => (i % 7) * 0.3 + (i === 500 ? NaN : 0)));
    const col = new SmoothedColumn();
    let prev = 0;
    for (const n of [1, 2, 10, 511, 512, 513, 1024, 1500, 2999, 3000]) {
      col.update(ys, n, 0.8, prev);
      prev = n;
      same(col, ys, n, 0.8);
    }
  });

  it("an update with nothing changed recomputes nothing", () => {
    const ys = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i / 20));
    const col = new SmoothedColumn();
    col.update(ys, 1000, 0.9, 0);
    const before = Array.from(col.out.subarray(0, 1000));
    ys.fill(5); // not reported as changed (from = n): the column must not read it
    expect(col.update(ys, 1000, 0.9, 1000)).toBe(1000);
    expect(Array.from(col.out.subarray(0, 1000))).toEqual(before);
    // a new weight is a change of every value
    expect(col.update(ys, 1000, 0.5, 1000)).toBe(0);
    same(col, ys, 1000, 0.5);
  });

  it("a rewritten tail is recomputed from the checkpoint before it", () => {
    const ys = new Float64Array(Array.from({ length: 2000 }, (_, i) => Math.sin(i / 30)));
    const col = new SmoothedColumn();
    col.update(ys, 2000, 0.9, 0);
    for (const k of [1999, 1536, 1537, 1024, 700, 3]) {
      for (let i = k; i < 2000; i++) ys[i] = Math.cos(i / 17 + k);
      expect(col.update(ys, 2000, 0.9, k)).toBeLessThanOrEqual(k);
      same(col, ys, 2000, 0.9);
    }
    // truncation: fewer points
    col.update(ys, 1200, 0.9, 1200);
    same(col, ys, 1200, 0.9);
  });

  it("a constant prefix that stops being constant is recomputed from 0", () => {
    const ys = new Float64Array([2, 2, 2, 2, 4]);
    const col = new SmoothedColumn();
    col.update(ys, 4, 0.5, 0);
    expect(Array.from(col.out.subarray(0, 4))).toEqual([2, 2, 2, 2]);
    expect(col.update(ys, 5, 0.5, 4)).toBe(0);
    same(col, ys, 5, 0.5);
    // and back to constant after a rewrite of the tail
    ys[4] = 2;
    col.update(ys, 5, 0.5, 4);
    expect(Array.from(col.out.subarray(0, 5))).toEqual([2, 2, 2, 2, 2]);
  });

  it("a series that becomes constant again is output raw", () => {
    const ys = new Float64Array([3, 3, 3, 7]);
    const col = new SmoothedColumn();
    col.update(ys, 4, 0.5, 0);
    ys[3] = 3;
    expect(col.update(ys, 4, 0.5, 3)).toBe(0);
    expect(Array.from(col.out.subarray(0, 4))).toEqual([3, 3, 3, 3]);
    // fuzz: random rewrites and appends always match smoothing from scratch
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const data = new Float64Array(5000);
    let n = 0;
    const c2 = new SmoothedColumn();
    for (let round = 0; round < 200; round++) {
      const from = Math.floor(rnd() * (n + 1));
      const to = Math.min(5000, from + Math.floor(rnd() * 700));
      for (let i = from; i < to; i++) data[i] = rnd() < 0.02 ? NaN : rnd() < 0.3 ? 1 : rnd();
      n = to;
      c2.update(data, n, 0.7, from);
      same(c2, data, n, 0.7);
    }
  });

  it("recomputes everything after a weight change", () => {
    const ys = new Float64Array([1, 2, 3, 4]);
    const col = new SmoothedColumn();
    col.update(ys, 4, 0.5, 0);
    expect(col.update(ys, 4, 0.9, 4)).toBe(0);
    same(col, ys, 4, 0.9);
  });
});
