import { describe, expect, it } from "vitest";
import { budgetBuckets, CHART_POINT_BUDGET, isolatedPoints, OUTLIER_MIN_VALUES, OUTLIER_REACH, percentileRange, scalarsCsv, sortTooltipRows } from "../src/kinds/scalars/chart";
import { fillSlots, IDENTITY, SlotCache } from "../src/kinds/scalars/downsample";
import type { ScalarSeries } from "../src/kinds/scalars/series";

const id = (v: number) => v;

describe("isolated points (drawn as dots)", () => {
  it("finds a one-point series among empty slots", () => {
    const xs = [0, 1, 2, 3, 4, 5];
    expect(isolatedPoints(xs, [undefined, undefined, 3, undefined, undefined, undefined], id, id)).toEqual([2]);
  });

  it("finds points between gaps (NaN) but not points on a visible line", () => {
    const xs = [0, 10, 20, 30, 40, 50, 60];
    const ys = [1, 2, null, 5, null, 7, 8];
    expect(isolatedPoints(xs, ys, id, id)).toEqual([3]);
  });

  it("treats a min/max pair within a pixel as one point", () => {
    const xs = [0, 0.5, 100, 100.5];
    // slots 0 and 1: the same value half a pixel apart: nothing visible to join
    expect(isolatedPoints(xs, [4, 4, undefined, undefined], id, id)).toEqual([0]);
    // a min/max pair far apart in y is a visible vertical segment
    expect(isolatedPoints(xs, [4, 40, undefined, undefined], id, id)).toEqual([]);
  });

  it("draws nothing extra for ordinary lines", () => {
    const xs = Array.from({ length: 50 }, (_, i) => i * 3);
    const ys = xs.map((x) => Math.sin(x) * 10);
    expect(isolatedPoints(xs, ys, id, id)).toEqual([]);
  });
});

describe("slot cache across a log-scale toggle", () => {
  const xs = Float64Array.from({ length: 400 }, (_, i) => i);
  const grid = (ys: Float64Array, positiveOnly: boolean) => ({ xs, n: xs.length, ys: [ys], map: IDENTITY, ascending: true, positiveOnly });

  it("gives exactly fillSlots' slots after every toggle, with and without values <= 0", () => {
    for (const ys of [
      Float64Array.from(xs, (x) => 1 + Math.abs(Math.sin(x / 9))), // all positive: slots kept
      Float64Array.from(xs, (x) => Math.sin(x / 9)), // some <= 0: recomputed
    ]) {
      const cache = new SlotCache();
      for (const positiveOnly of [false, true, false, true]) {
        const got = cache.update(grid(ys, positiveOnly), 0, 399, 50, xs.length, "k");
        expect(got).toEqual(fillSlots(grid(ys, positiveOnly), 0, 399, 50));
      }
    }
  });

  it("recomputes when a value <= 0 arrives after the toggle", () => {
    const ys = Float64Array.from(xs, () => 2);
    const cache = new SlotCache();
    cache.update(grid(ys, true), 0, 399, 50, 0, "k");
    ys[399] = -1; // a live point, changed from index 399
    expect(cache.update(grid(ys, true), 0, 399, 50, 399, "k")).toEqual(fillSlots(grid(ys, true), 0, 399, 50));
    expect(cache.update(grid(ys, false), 0, 399, 50, 400, "k")).toEqual(fillSlots(grid(ys, false), 0, 399, 50));
  });
});

describe("buckets per line under the chart's point budget", () => {
  it("stay within the budget, within a ladder step of it, and change a few times as 200 lines arrive", () => {
    let changes = 0;
    for (let lines = 1; lines <= 200; lines++) {
      const b = budgetBuckets(lines), share = CHART_POINT_BUDGET / (2 * lines);
      expect(b).toBeLessThanOrEqual(share);
      expect(b).toBeGreaterThan(share / 2 ** 0.25 - 1);
      if (lines > 1 && b !== budgetBuckets(lines - 1)) changes++;
    }
    // the exact share is a new grid (every line bucketed anew) at each of the 199 arrivals
    expect(changes).toBeLessThanOrEqual(31);
    expect(budgetBuckets(200)).toBe(45); // 50 buckets' worth, a ladder step down
  });
});

describe("ignore outliers: the 5th to 95th percentile of the values drawn, and the values near it", () => {
  it("takes the same values as sorting them, over columns with gaps and non-finite values", () => {
    let seed = 23;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 200; trial++) {
      const cols = Array.from({ length: 1 + (trial % 4) }, () =>
        Array.from({ length: Math.floor(rnd() * 80) }, () => {
          const u = rnd();
          return u < 0.1 ? undefined : u < 0.15 ? null : u < 0.17 ? Infinity : u < 0.19 ? NaN : trial % 5 ? rnd() * 100 - 50 : Math.floor(rnd() * 4);
        }),
      );
      const vals = cols.flat().filter((v): v is number => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
      const n = vals.length;
      let want: number[] | null = null;
      if (n >= OUTLIER_MIN_VALUES) {
        const lo = vals[Math.ceil((n - 1) * 0.05)], hi = vals[Math.floor((n - 1) * 0.95)];
        const reach = (hi - lo) * OUTLIER_REACH;
        const kept = vals.filter((v) => v >= lo - reach && v <= hi + reach);
        want = [kept[0], kept[kept.length - 1]];
      }
      expect(percentileRange(cols)).toEqual(want);
    }
  });

  it("trims a spike and a loss's first steps, keeps a curve's ends and short series whole", () => {
    const loss = Array.from({ length: 200 }, (_, i) => 0.1 + 2.4 * Math.exp(-i / 5)); // steep first steps
    const [lo, hi] = percentileRange([loss]) as [number, number];
    expect(lo).toBe(Math.min(...loss));
    expect(hi).toBeLessThan(1); // the first steps (up to 2.5) are off the chart, as TensorBoard's
    const spiked = Array.from({ length: 100 }, (_, i) => 0.5 + 0.001 * i);
    spiked[60] = 40;
    expect(percentileRange([spiked])?.[1]).toBeCloseTo(0.599, 6);
    const accuracy = Array.from({ length: 30 }, (_, i) => 0.1 + (0.8 * i) / 29); // rising to its last point
    expect(percentileRange([accuracy])).toEqual([0.1, 0.9]);
    expect(percentileRange([[0.1, 0.5, 0.9]])).toBeNull(); // TensorBoard would show 0.5 alone
  });
});

describe("tooltip order (TensorBoard's tooltip sorting method)", () => {
  // rows arrive nearest the cursor first
  const rows = () => [
    { sm: 0.5, d: { run: "b" } }, { sm: Number.NaN, d: { run: "d" } }, { sm: 2, d: { run: "c" } }, { sm: -1, d: { run: "a" } },
  ];
  const runs = (rs: { d: { run: string } }[]) => rs.map((r) => r.d.run);

  it("keeps nearest first, or orders by value (no finite value last) or by run name", () => {
    expect(runs(sortTooltipRows(rows(), "nearest"))).toEqual(["b", "d", "c", "a"]);
    expect(runs(sortTooltipRows(rows(), "descending"))).toEqual(["c", "b", "a", "d"]);
    expect(runs(sortTooltipRows(rows(), "ascending"))).toEqual(["a", "b", "c", "d"]);
    expect(runs(sortTooltipRows(rows(), "name"))).toEqual(["a", "b", "c", "d"]);
  });
});

describe("CSV of scalar series", () => {
  const series = (run: string, tag: string, pts: [number, number, number][]) => ({
    run, tag, length: pts.length,
    steps: pts.map((p) => p[0]), walls: pts.map((p) => p[1]), values: pts.map((p) => p[2]),
  }) as unknown as ScalarSeries;

  it("writes a row per point held, quoting names with commas or quotes; long form with the tag", () => {
    const s = [series('a,"b"', "loss", [[0, 1.5, 0.25], [1, 2.5, Number.NaN]]), series("c", "x/y", [[3, 4, 5]])];
    expect(scalarsCsv(s, false)).toBe('run,step,wall_time,value\n"a,""b""",0,1.5,0.25\n"a,""b""",1,2.5,NaN\nc,3,4,5\n');
    expect(scalarsCsv(s, true).split("\n").slice(0, 2)).toEqual(["run,tag,step,wall_time,value", '"a,""b""",loss,0,1.5,0.25']);
  });
});
