import { describe, expect, it } from "vitest";
import type { HistogramRecord } from "../src/kinds/histograms";
import {
  compressHistogram, hitColumn, layoutDistribution, NORMAL_HISTOGRAM_BPS, percentilesOf, xTicks,
} from "../src/kinds/histograms/distribution";

const rec = (edges: number[], counts: number[], step = 0, index = step): HistogramRecord => ({
  run: "a", tag: "h", index, step, wall: 0, k: counts.length,
  edges: Float64Array.from(edges), counts: Float64Array.from(counts),
});

const PCT = NORMAL_HISTOGRAM_BPS.map((bp) => bp / 10000);

/** numpy.percentile's default ("linear"): sorted[(n - 1) q], interpolated. */
function npPercentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Bucket width tolerance around an exact percentile: its bucket and both neighbours. */
function tolerance(edges: number[], x: number): number {
  let b = edges.findIndex((e, i) => i > 0 && x <= e) - 1;
  if (b < 0) b = edges.length - 2;
  let w = 0;
  for (let i = Math.max(0, b - 1); i <= Math.min(edges.length - 2, b + 1); i++) w = Math.max(w, edges[i + 1] - edges[i]);
  return w;
}

function expectClose(got: ArrayLike<number>, want: number[], digits = 9) {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => void expect(got[i], `value ${i}`).toBeCloseTo(w, digits));
}

describe("percentiles of a histogram (TensorBoard's compressor)", () => {
  it("uses TensorBoard's basis points", () => {
    expect(NORMAL_HISTOGRAM_BPS).toEqual([0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000]);
  });

  it("interpolates linearly within a bucket: hand-computed cases", () => {
    // one bucket [0, 1]: the percentile itself
    expectClose(compressHistogram([0, 1], [5]), PCT);
    // four equal buckets over [0, 4]: 4 q
    expectClose(compressHistogram([0, 1, 2, 3, 4], [1, 1, 1, 1]), PCT.map((q) => 4 * q));
    // [-1, 0): 25%, [0, 0.5): 0%, [0.5, 2]: 75%. 30.85% is 5.85 / 75 into [0.5, 2]
    const v = compressHistogram([-1, 0, 0.5, 2], [10, 0, 30]);
    expect(v[0]).toBe(-1);
    expect(v[1]).toBeCloseTo(-1 + 0.0668 / 0.25, 12);
    expect(v[3]).toBeCloseTo(0.5 + ((0.3085 - 0.25) / 0.75) * 1.5, 12);
    expect(v[4]).toBeCloseTo(0.5 + (0.25 / 0.75) * 1.5, 12);
    expect(v[8]).toBe(2);
    // a point mass (min == max)
    expectClose(compressHistogram([2, 2], [7]), PCT.map(() => 2));
  });

  it("matches TensorBoard's compress_histogram (values from tensorboard 2.x)", () => {
    const cases: [number[], number[], number[]][] = [
      [[0, 1, 2, 3, 4], [1, 1, 1, 1], [0.0, 0.2672, 0.6348, 1.234, 2.0, 2.766, 3.3652, 3.7328, 4.0]],
      [[-1, 0, 0.5, 2], [10, 0, 30], [-1.0, -0.7328, -0.36519999999999997, 0.617, 1.0, 1.383, 1.6826, 1.8664, 2.0]],
      [[-3, -1, 0, 0.25, 1, 5], [1, 3, 8, 2, 6], [-3.0, -0.888, -0.2753333333333333, 0.0678125, 0.1875, 0.93625, 2.884, 4.109333333333334, 5.0]],
      [[0.0, 0.3, 0.7, 1.1], [3, 0, 5], [0.0, 0.05344, 0.12696, 0.2468, 0.78, 0.90256, 0.9984320000000001, 1.057248, 1.1]],
    ];
    for (const [edges, counts, tb] of cases) expectClose(compressHistogram(edges, counts), tb, 12);
  });

  it("bounds empty end buckets by the non-empty ones (where TensorBoard stretches to the outer edge)", () => {
    // TensorBoard gives [0, 0.2004, ..., 3] here: the data are all in [2, 3]
    const v = compressHistogram([0, 1, 2, 3, 4], [0, 0, 4, 0]);
    expectClose(v, PCT.map((q) => 2 + q));
    expect(compressHistogram([], [])).toEqual(new Float64Array(9));
    expect(Array.from(compressHistogram([0, 1, 2], [0, 0]))).toEqual(PCT.map(() => 2));
  });

  it("is within a bucket of numpy's percentiles of the data (cellboard's own histograms)", () => {
    // 400 normal values (mean 0.5, sd 2) in 20 bins and 300 log-normal ones in TensorFlow's
    // exponential buckets, binned by cellboard.summaries.histogram; numpy.percentile of the data
    const normal = {
      edges: [-6.003, -5.4521, -4.9012, -4.3503, -3.7994, -3.2485, -2.6976, -2.1467, -1.5958, -1.0449, -0.494,
        0.0569, 0.6078, 1.1587, 1.7096, 2.2605, 2.8114, 3.3623, 3.9132, 4.4641, 5.015],
      counts: [1, 0, 2, 1, 8, 11, 16, 25, 32, 31, 41, 67, 44, 31, 31, 24, 12, 14, 4, 5],
      np: [-6.003, -2.5384444000000004, -1.6022166000000002, -0.5559740000000002, 0.354, 1.092268, 2.2038592, 3.1683871999999997, 5.015],
      tb: [-6.003, -2.56951575, -1.60725872, -0.55797548, 0.32001642, 1.12865091, 2.18088606, 3.191521, 5.015],
    };
    const tf = {
      edges: [0.0596, 0.06360493692767373, 0.06996543062044111, 0.07696197368248522, 0.08465817105073375, 0.09312398815580714,
        0.10243638697138786, 0.11268002566852665, 0.12394802823537933, 0.13634283105891729, 0.14997711416480902,
        0.16497482558128992, 0.18147230813941892, 0.19961953895336082, 0.2195814928486969, 0.24153964213356663,
        0.2656936063469233, 0.29226296698161564, 0.3214892636797772, 0.35363819004775493, 0.38900200905253046,
        0.42790220995778355, 0.47069243095356195, 0.5177616740489182, 0.56953784145381, 0.6264916255991911,
        0.6891407881591103, 0.7580548669750213, 0.8338603536725235, 0.917246389039776, 1.0089710279437536,
        1.109868130738129, 1.220854943811942, 1.3429404381931362, 1.47723448201245, 1.624957930213695,
        1.7874537232350647, 1.9661990955585713, 2.1628190051144287, 2.379100905625872, 2.6170109961884593,
        2.8787120958073054, 3.1665833053880363, 3.48324163592684, 3.8315657995195243, 4.214722379471477,
        4.636194617418625, 5.099814079160488, 5.609795487076537, 6.1707750357841915, 6.7878525393626115,
        7.466637793298873, 8.213301572628762, 9.034631729891638, 9.938094902880803, 10.931904393168884,
        12.025094832485772, 12.6408],
      counts: [2, 0, 0, 1, 0, 0, 1, 0, 1, 1, 3, 1, 5, 6, 5, 4, 4, 3, 10, 14, 9, 9, 8, 9, 7, 11, 14, 10, 15, 21, 7, 8,
        14, 11, 9, 8, 11, 6, 6, 7, 8, 6, 2, 3, 4, 3, 2, 1, 1, 3, 2, 1, 0, 1, 0, 0, 2],
      np: [0.0596, 0.2181866, 0.35407078, 0.5409592, 0.9015500000000001, 1.4009551, 2.27161948, 3.8313134, 12.6408],
      tb: [0.0596, 0.21638758022544313, 0.35517904216153445, 0.5496903106152682, 0.9005691819663256,
        1.3972684831927678, 2.3210652623219667, 3.8269214773382862, 12.640799999999984],
    };
    for (const c of [normal, tf]) {
      const v = compressHistogram(c.edges, c.counts);
      expectClose(v, c.tb, 6);
      c.np.forEach((x, i) => void expect(Math.abs(v[i] - x), `percentile ${PCT[i]}`).toBeLessThanOrEqual(tolerance(c.edges, x)));
    }
  });

  it("is within a bucket of numpy-style percentiles of random data", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial * 40;
      const values = Array.from({ length: n }, () => (trial % 2 ? Math.exp(gauss()) : 3 * gauss() - 1));
      const lo = Math.min(...values), hi = Math.max(...values);
      const bins = 10 + trial;
      // uniform bins over [min, max], the outer edges exactly min and max (as cellboard stores them)
      const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins));
      const counts = new Array(bins).fill(0);
      for (const x of values) counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]++;
      const v = compressHistogram(edges, counts);
      expect(v[0]).toBe(lo);
      expect(v[8]).toBe(hi);
      PCT.forEach((q, i) => {
        const x = npPercentile(values, q);
        expect(Math.abs(v[i] - x), `trial ${trial} q=${q}`).toBeLessThanOrEqual(tolerance(edges, x));
      });
      for (let i = 1; i < 9; i++) expect(v[i]).toBeGreaterThanOrEqual(v[i - 1]);
    }
  });

  it("caches per record", () => {
    const r = rec([0, 1], [3]);
    expect(percentilesOf(r)).toBe(percentilesOf(r));
  });
});

describe("distribution layout", () => {
  it("one column per step, y extent from min to max percentiles", () => {
    const recs = [0, 10, 20].map((s) => rec([s / 10, s / 10 + 1], [4], s));
    const L = layoutDistribution(recs, 400, 200);
    expect(L.columns.map((c) => c.step)).toEqual([0, 10, 20]);
    expect([L.s0, L.s1]).toEqual([0, 20]);
    expect(L.y0).toBeLessThan(0);
    expect(L.y1).toBeGreaterThan(3);
    expect(L.columns[0].x).toBe(L.left);
    expect(L.columns[2].x).toBe(L.left + L.plotW);
    expect(hitColumn(L, L.left + L.plotW * 0.45)?.step).toBe(10);
    expect(hitColumn(L, L.left + L.plotW + 50)).toBeNull();
  });

  it("steps sharing a pixel column keep the widest bands", () => {
    // 1000 steps on a ~100 px plot: ~50 columns of 2 px
    const recs = Array.from({ length: 1000 }, (_, s) => rec(s === 500 ? [-50, 50] : [0, 1], [1], s));
    const L = layoutDistribution(recs, 166, 120);
    expect(L.columns.length).toBeLessThanOrEqual(L.plotW / 2 + 1);
    expect(L.columns.reduce((a, c) => a + c.count, 0)).toBe(1000);
    const spike = L.columns.find((c) => c.step <= 500 && c.lastStep >= 500)!;
    expect(spike.v[0]).toBe(-50); // the outlier step's min survives the merge
    expect(spike.v[8]).toBe(50);
    expect(L.y0).toBeLessThan(-50);
  });

  it("a single step and empty histograms", () => {
    const L = layoutDistribution([rec([1, 2], [3], 7)], 300, 200);
    expect(L.columns).toHaveLength(1);
    expect([L.s0, L.s1]).toEqual([6, 8]);
    expect(layoutDistribution([rec([0], [], 1)], 300, 200).columns).toHaveLength(0);
  });
});

describe("the distribution view's horizontal axis (the board's x axis setting)", () => {
  const timed = (step: number, wall: number) => ({ ...rec([0, 1], [4], step), wall });
  const width = (text: string) => 6 * text.length; // ~6 px a character at 11 px

  it("places columns by step, by time since the first record, or by wall time", () => {
    // wall clocks can step back (an NTP correction) while steps go on: columns still go left to right in time
    const recs = [timed(0, 1000), timed(10, 1060), timed(20, 1030)];
    const byStep = layoutDistribution(recs, 400, 200);
    expect([byStep.s0, byStep.s1]).toEqual([0, 20]);
    const rel = layoutDistribution(recs, 400, 200, 2, "relative");
    expect([rel.start, rel.s0, rel.s1]).toEqual([1000, 0, 60]);
    expect(rel.columns.map((c) => c.step)).toEqual([0, 20, 10]);
    expect(rel.columns.map((c) => c.x)).toEqual([rel.left, rel.left + rel.plotW / 2, rel.left + rel.plotW]);
    const wall = layoutDistribution(recs, 400, 200, 2, "wall");
    expect([wall.s0, wall.s1]).toEqual([1000, 1060]);
  });

  it("labels steps 1-2-5 apart, relative times as durations, wall times as clock times", () => {
    const recs = [timed(0, 0), timed(100, 3600)];
    expect(xTicks(layoutDistribution(recs, 400, 200), width).map((t) => t[1])).toEqual(["0", "50", "100"]); // at most 4 labels on 334 px
    const rel = xTicks(layoutDistribution(recs, 400, 200, 2, "relative"), width);
    expect(rel.map((t) => t[1])).toEqual(["0", "10m", "20m", "30m", "40m", "50m", "60m"]);
    const wallL = layoutDistribution([timed(0, 1_796_000_000), timed(1, 1_796_003_600)], 400, 200, 2, "wall");
    const wall = xTicks(wallL, width);
    expect(wall.length).toBeGreaterThan(2);
    for (const [t, label] of wall) {
      expect(t).toBeGreaterThanOrEqual(wallL.s0);
      expect(t).toBeLessThanOrEqual(wallL.s1);
      expect(label).toMatch(/^\d\d:\d\d$/);
    }
    // a single record: a minute either side, one tick at least
    expect(xTicks(layoutDistribution([timed(5, 100)], 400, 200, 2, "relative"), width).length).toBeGreaterThan(0);
  });

  it("labels runs logged within a fraction of a second in milliseconds (they had one label)", () => {
    const recs = [timed(0, 1_796_000_000), timed(1, 1_796_000_000.02), timed(2, 1_796_000_000.05)];
    const rel = xTicks(layoutDistribution(recs, 400, 200, 2, "relative"), width).map((t) => t[1]);
    expect(rel.length).toBeGreaterThan(2);
    expect(rel[0]).toBe("0");
    expect(rel).toContain("0.02s");
    const wall = xTicks(layoutDistribution(recs, 400, 200, 2, "wall"), width).map((t) => t[1]);
    expect(wall.length).toBeGreaterThan(2);
    for (const label of wall) expect(label).toMatch(/^\d\d:\d\d:\d\d\.\d\d$/);
  });
});
