import { describe, expect, it } from "vitest";
import { IDENTITY, fillSlots, lowerBound, minMaxDownsample, slotXs, upperBound } from "../src/kinds/scalars/downsample";

const n = 100_000;
const xs = Float64Array.from({ length: n }, (_, i) => i);
const ys = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500) * 0.01);
ys[54_321] = 1000;
ys[77_777] = -500;

describe("min/max downsampling", () => {
  it("keeps one-point spikes (minMaxDownsample)", () => {
    const d = minMaxDownsample(xs, ys, 100);
    expect(d.x.length).toBeLessThanOrEqual(200);
    expect(Math.max(...d.y)).toBe(1000);
    expect(Math.min(...d.y)).toBe(-500);
    expect(d.x).toContain(54_321);
    // original order
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]).toBeGreaterThan(d.x[i - 1]);
  });

  it("keeps one-point spikes (fillSlots, 2 slots per bucket)", () => {
    const [slots] = fillSlots({ xs, n, ys: [ys], map: IDENTITY, ascending: true }, 0, n - 1, 300);
    expect(slots.length).toBe(600);
    const finite = slots.filter((v): v is number => typeof v === "number");
    expect(Math.max(...finite)).toBe(1000);
    expect(Math.min(...finite)).toBe(-500);
  });

  it("orders min and max as they occur and marks non-finite-only buckets as gaps", () => {
    const x = [0, 1, 2, 3, 4, 5];
    const y = [5, 1, NaN, NaN, 2, 9];
    const [slots] = fillSlots({ xs: x, n: 6, ys: [y], map: IDENTITY, ascending: true }, 0, 6, 3);
    expect(slots).toEqual([5, 1, null, undefined, 2, 9]);
  });

  it("leaves empty buckets undefined and respects the x window", () => {
    const x = [0, 10, 20, 30];
    const y = [1, 2, 3, 4];
    const [slots] = fillSlots({ xs: x, n: 4, ys: [y], map: IDENTITY, ascending: true }, 10, 20, 4);
    expect(slots).toEqual([2, undefined, undefined, undefined, undefined, undefined, 3, undefined]);
    // same without the ascending hint
    const [slots2] = fillSlots({ xs: x, n: 4, ys: [y], map: IDENTITY, ascending: false }, 10, 20, 4);
    expect(slots2).toEqual(slots);
  });

  it("buckets several columns on the same grid, applies the x map and drops <= 0 for log scale", () => {
    const x = [1000, 1060, 1120];
    const [a, b] = fillSlots({
      xs: x, n: 3, ys: [[1, -1, 2], [0, 3, 4]], map: { origin: 1000, scale: 1 / 60 }, ascending: true, positiveOnly: true,
    }, 0, 2, 2);
    // x' = 0, 1, 2 -> buckets 0, 1, 1 (the last edge belongs to the last bucket)
    expect(a).toEqual([1, undefined, 2, undefined]);
    expect(b).toEqual([null, undefined, 3, 4]);
  });

  it("slot x positions and binary searches", () => {
    expect(Array.from(slotXs(0, 4, 2))).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(lowerBound([0, 1, 1, 2], 4, 1)).toBe(1);
    expect(upperBound([0, 1, 1, 2], 4, 1)).toBe(3);
  });
});

describe("SlotCache (incremental)", () => {
  it("matches a full fill after appends, tail rewrites and truncation", async () => {
    const { SlotCache } = await import("../src/kinds/scalars/downsample");
    const N = 20_000;
    const x = new Float64Array(N), y = new Float64Array(N), z = new Float64Array(N);
    let seed = 3;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const cache = new SlotCache();
    let n = 0;
    for (let round = 0; round < 150; round++) {
      const from = round % 5 === 4 ? Math.floor(rnd() * (n + 1)) : n;
      const to = Math.min(N, from + Math.floor(rnd() * 400));
      for (let i = from; i < to; i++) {
        x[i] = i * 2;
        y[i] = rnd() < 0.01 ? NaN : rnd() * 10 - 3;
        z[i] = Math.sin(i) + rnd();
      }
      n = to;
      const input = { xs: x, n, ys: [y, z], map: IDENTITY, ascending: true, positiveOnly: round % 3 === 0 };
      const x1 = (Math.floor((n * 2) / 5000) + 1) * 5000; // grid changes now and then
      const got = cache.update(input, 0, x1, 257, from, "k");
      const want = fillSlots(input, 0, x1, 257);
      expect(got).toEqual(want);
    }
  });
});
