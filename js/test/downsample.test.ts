import { describe, expect, it } from "vitest";
import {
  IDENTITY, fillSlots, lowerBound, minMaxDownsample, SlotCache, type SlotReduce, select, slotXs, spikeOf, upperBound,
} from "../src/kinds/scalars/downsample";
import { smooth } from "../src/kinds/scalars/smoothing";

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
    // 3 slots per half: halves [0, 2) and [2, 4), each cut in three
    expect(Array.from(slotXs(0, 4, 1, 3)).map((v) => +v.toFixed(9))).toEqual([0.333333333, 1, 1.666666667, 2.333333333, 3, 3.666666667]);
    expect(lowerBound([0, 1, 1, 2], 4, 1)).toBe(1);
    expect(upperBound([0, 1, 1, 2], 4, 1)).toBe(3);
  });
});

describe("SlotCache (incremental)", () => {
  // min/max columns, then columns reduced per half bucket whose reduction switches now and then
  // (which starts the cache over)
  const modes: SlotReduce[][] = [["sample", "sample"], ["minmax", "sample"], ["sample", "minmax"]];
  it.each([
    ["min and max", (_round: number): SlotReduce[] | undefined => undefined],
    ["half buckets", (round: number): SlotReduce[] | undefined => modes[Math.floor(round / 10) % 3]],
    ["half buckets, 3 slots each", (_round: number): SlotReduce[] | undefined => ["sample", "sample"]],
  ])("matches a full fill after appends, tail rewrites and truncation (%s)", (name, reduce) => {
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
      const input = {
        xs: x, n, ys: [y, z], map: IDENTITY, ascending: true, positiveOnly: round % 3 === 0, reduce: reduce(round),
        sub: name.endsWith("3 slots each") ? 3 : 1,
      };
      const x1 = (Math.floor((n * 2) / 5000) + 1) * 5000; // grid changes now and then
      const got = cache.update(input, 0, x1, 257, from, "k");
      const want = fillSlots(input, 0, x1, 257);
      expect(got).toEqual(want);
    }
  });
});

describe("columns reduced per half bucket (buckets wider than a pixel column)", () => {
  const input = (x: number[], y: number[], reduce: SlotReduce[], extra = {}) => ({
    xs: x, n: x.length, ys: reduce.map(() => y), map: IDENTITY, ascending: true, reduce, ...extra,
  });

  it("puts each half's sample in its slot, a gap where only NaN fell, nothing where nothing fell", () => {
    const x = [0, 1, 1.5, 2, 3, 5, 6, 7];
    const y = [1, 3, 10, 10, NaN, NaN, 4, 8];
    // 2 buckets over [0, 8]: halves [0, 2) [2, 4) [4, 6) [6, 8]
    const [sample] = fillSlots(input(x, y, ["sample"]), 0, 8, 2);
    // one value of each half: 10 is 8 from the mean of 1 and 3, under 5 typical spreads (the median
    // standard deviation of the halves of two values or more: of 1, 3, 10 and of 4, 8), so any
    // of 1, 3 and 10 may be the first half's
    expect([1, 3, 10]).toContain(sample[0]);
    expect(sample.slice(1, 3)).toEqual([10, null]);
    expect([4, 8]).toContain(sample[3]);
    const typical = (Math.sqrt(((1 - 14 / 3) ** 2 + (3 - 14 / 3) ** 2 + (10 - 14 / 3) ** 2) / 3) + 2) / 2;
    expect(spikeOf(3, 2 + 9, 4 + 81, 0, 9, typical)).toBe(0);
    expect(spikeOf(3, 2 + 9, 4 + 81, 0, 9, 0.5)).toBe(1); // a spike on a line of smaller spread
    const [logSlots] = fillSlots(
      { xs: [0, 1, 6], n: 3, ys: [[-1, 4, 0]], map: IDENTITY, ascending: false, positiveOnly: true, reduce: ["sample"] }, 0, 8, 2,
    );
    expect(logSlots).toEqual([4, undefined, undefined, null]);
  });

  it("samples of values far from 0 lose nothing to cancellation", () => {
    // 5 halves of 1e12 + 1, 2, 3 (standard deviation 0.82), then one of 1e12 + 4, 5, 100
    const i18 = Array.from({ length: 18 }, (_, i) => i);
    const x = i18.map((i) => i + 0.5); // (a value at each half's centre)
    const y = i18.map((i) => (i === 17 ? 1e12 + 100 : i >= 15 ? 1e12 + i - 11 : 1e12 + (i % 3) + 1));
    const [sample] = fillSlots(input(x, y, ["sample"]), 0, 18, 3);
    // 100 is 95.5 from the mean of 4 and 5, over 5 typical spreads (0.82): a spike. Summed as
    // values and squares, the spreads were lost to rounding (1e24 squares) and no spike showed.
    for (const v of sample.slice(0, 5)) expect([1e12 + 1, 1e12 + 2, 1e12 + 3]).toContain(v);
    expect(sample[5]).toBe(1e12 + 100);
  });

  it("samples each value of a half about as often as the others", () => {
    // 4,000 halves of 4 noisy values: how often the sample is the 1st, 2nd, 3rd or 4th
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const x = Array.from({ length: 16_000 }, (_, i) => i + 0.5);
    const y = x.map(() => rnd());
    const [slots] = fillSlots(input(x, y, ["sample"]), 0, 16_000, 2000);
    const seen = [0, 0, 0, 0];
    slots.forEach((v, h) => { seen[y.indexOf(v as number, 4 * h) - 4 * h]++; });
    for (const n of seen) expect(n / 4000).toBeCloseTo(0.25, 1);
  });

  it("puts each half's value in the slot nearest its x when a half has several", () => {
    // 1 bucket over [0, 6]: halves [0, 3) and [3, 6], 3 slots each (centred at 0.5, 1.5, 2.5, ...)
    const x = [0.2, 1.4, 2.9, 5.9];
    const y = [1, 2, 3, 9];
    const sub = { sub: 3 };
    const [sample] = fillSlots(input(x, y, ["sample"], sub), 0, 6, 1);
    // one value per half, in the third of it where its x lies (0.2, 1.4 or 2.9; 5.9)
    const at = sample.map((v, j) => (typeof v === "number" ? j : -1)).filter((j) => j >= 0);
    expect(at.length).toBe(2);
    expect(at[0]).toBe(Math.floor(x[y.indexOf(sample[at[0]] as number)]));
    expect(at[1]).toBe(5);
    const [gap] = fillSlots(input([1, 4.5], [NaN, 5], ["sample"], sub), 0, 6, 1);
    expect(gap).toEqual([undefined, null, undefined, undefined, 5, undefined]);
    expect(() => fillSlots(input(x, y, ["minmax"], sub), 0, 6, 1)).toThrow(/sub/);
  });

  it("keeps min and max in time order by default", () => {
    const [mm, sample] = fillSlots(input([0, 1, 2, 3], [5, 1, 9, 2], ["minmax", "sample"]), 0, 4, 1);
    expect(mm).toEqual([1, 9]);
    expect([5, 1]).toContain(sample[0]);
    expect([9, 2]).toContain(sample[1]);
  });

  it("keeps a one-point spike as a raw line's sample", () => {
    const x = Array.from({ length: 1000 }, (_, i) => i);
    const y = x.map((i) => (i === 617 ? 50 : Math.sin(i)));
    const [slots] = fillSlots(input(x, y, ["sample"]), 0, 999, 20);
    expect(Math.max(...(slots as number[]))).toBe(50);
    const flat = x.map((i) => (i === 617 ? 50 : 1)); // no spread at all in the other values
    expect(Math.max(...(fillSlots(input(x, flat, ["sample"]), 0, 999, 20)[0] as number[]))).toBe(50);
  });

  // Gaussian noise in halves of `size` values, a spike of 8 standard deviations in one half of 50:
  // how many of the others are taken for a spike, and how many spikes are kept (the rule alone:
  // which value a half shows otherwise is a random one of them)
  it.each([[3, 0.02], [5, 0.005], [21, 0.005], [101, 0.005]])(
    "takes noise for a spike rarely and keeps spikes, in halves of %i values", (size, falseRate) => {
      let seed = 11;
      const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
      const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
      const halves = Array.from({ length: 2000 }, (_, h) => {
        const v = Array.from({ length: size }, () => gauss());
        if (h % 50 === 0) v[Math.floor(rnd() * size)] += 8;
        const d = v.map((x) => x - v[0]);
        const sum = d.reduce((a, x) => a + x, 0), sq = d.reduce((a, x) => a + x * x, 0);
        return { c: size, sum, sq, dlo: Math.min(...d), dhi: Math.max(...d) };
      });
      const sds = halves.map(({ c, sum, sq }) => Math.sqrt(sq / c - (sum / c) ** 2)).sort((a, b) => a - b);
      const typical = (sds[999] + sds[1000]) / 2;
      let falseSpikes = 0, kept = 0;
      halves.forEach(({ c, sum, sq, dlo, dhi }, h) => {
        const spike = spikeOf(c, sum, sq, dlo, dhi, typical);
        if (h % 50 === 0) kept += Number(spike === 1);
        else falseSpikes += Number(spike !== 0);
      });
      expect(falseSpikes / 1960).toBeLessThanOrEqual(falseRate);
      expect(kept / 40).toBeGreaterThanOrEqual(0.85);
    },
  );

  // 100 runs as the board holds them: 10k noisy decaying steps sent as min/max pairs of 32, smoothed
  // at 0.6, on a chart of 50 buckets (the point budget shared by 200 lines). Each slot's residual
  // from the trend at its x, over all runs and buckets: `pair` is the mean difference of a bucket's
  // first and second slot (in phase across runs: a wave), `corr` their correlation (a forced
  // low-high alternation in every bucket: a regular cross-hatch).
  const steps = 10_000, buckets = 50;
  const trend = (t: number) => Math.exp(-t / 3333);
  const heldRuns = () => {
    let seed = 5;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const bucket = 32;
    const runs: { xs: number[]; ys: number[] }[] = [];
    for (let run = 0; run < 100; run++) {
      const xs: number[] = [], ys: number[] = [];
      for (let b = 0; b < steps / bucket; b++) {
        let lo = -1, hi = -1, vlo = Infinity, vhi = -Infinity;
        const vals: number[] = [];
        for (let i = 0; i < bucket; i++) {
          const t = b * bucket + i, v = trend(t) + 0.05 * gauss();
          vals.push(v);
          if (v < vlo) { vlo = v; lo = t; }
          if (v > vhi) { vhi = v; hi = t; }
        }
        for (const t of lo < hi ? [lo, hi] : [hi, lo]) { xs.push(t); ys.push(vals[t - b * bucket]); }
      }
      runs.push({ xs, ys });
    }
    return runs;
  };
  const slotsOf100Runs = (reduce: SlotReduce, smoothed: boolean) => {
    const at = slotXs(0, steps, buckets);
    const first: number[] = [], second: number[] = [];
    for (const { xs, ys } of heldRuns()) {
      const [slots] = fillSlots(
        { xs, n: xs.length, ys: [smoothed ? smooth(ys, 0.6) : ys], map: IDENTITY, ascending: true, reduce: [reduce] },
        0, steps, buckets,
      );
      for (let j = 0; j < slots.length; j += 2) {
        first.push((slots[j] as number) - trend(at[j]));
        second.push((slots[j + 1] as number) - trend(at[j + 1]));
      }
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const m1 = mean(first), m2 = mean(second);
    let c = 0, v1 = 0, v2 = 0;
    for (let i = 0; i < first.length; i++) {
      c += (first[i] - m1) * (second[i] - m2);
      v1 += (first[i] - m1) ** 2;
      v2 += (second[i] - m2) ** 2;
    }
    return { pair: m1 - m2, corr: c / Math.sqrt(v1 * v2) };
  };

  it("draws a smoothed line's noise as the smoothing left it, not averaged again", () => {
    // white noise (sd 1) smoothed at 0.6 has sd sqrt(0.4 / 1.6) = 0.5; a half's mean of ~100 of
    // its steps would draw a nearly flat line (sd ~0.1)
    let seed = 13;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const sm = smooth(xs.map(() => gauss()), 0.6);
    const [slots] = fillSlots({ xs, n: xs.length, ys: [sm], map: IDENTITY, ascending: true, reduce: ["sample"] }, 0, 10_000, 50);
    const drawn = slots.filter((v): v is number => typeof v === "number");
    const sd = Math.sqrt(drawn.reduce((a, v) => a + v * v, 0) / drawn.length);
    expect(drawn.length).toBe(100);
    expect(sd).toBeGreaterThan(0.4);
    expect(sd).toBeLessThan(0.6);
  });

  it("draws 100 smoothed runs without a wave of the bucket's period", () => {
    const minMax = slotsOf100Runs("minmax", true), sample = slotsOf100Runs("sample", true);
    expect(minMax.pair).toBeGreaterThan(0.01); // the artifact: every run high at a bucket's first slot
    expect(Math.abs(sample.pair)).toBeLessThan(minMax.pair / 10);
  });

  // every value held is a bucket's min or max, on the band's edges: with one slot per half, every
  // run's vertices share the half's x and 100 runs draw a lattice
  it("spreads the vertices of 100 runs held as min/max pairs over the slots of each half", () => {
    const sub = 5, counts = new Int32Array(2 * buckets * sub);
    for (const { xs, ys } of heldRuns()) {
      const [slots] = fillSlots({ xs, n: xs.length, ys: [ys], map: IDENTITY, ascending: true, reduce: ["sample"], sub }, 0, steps, buckets);
      slots.forEach((v, j) => { if (typeof v === "number") counts[j]++; });
    }
    let busiest = 0;
    for (let h = 0; h < 2 * buckets; h++) busiest += Math.max(...counts.subarray(h * sub, (h + 1) * sub)) / 100;
    expect(busiest / (2 * buckets)).toBeLessThan(0.5); // 1 with a slot per half
  });

  it("draws 100 raw runs without a cross-hatch of the bucket's period", () => {
    const minMax = slotsOf100Runs("minmax", false), sample = slotsOf100Runs("sample", false);
    expect(minMax.corr).toBeLessThan(-0.5); // the artifact: low then high, or high then low, in every bucket
    expect(Math.abs(sample.corr)).toBeLessThan(0.1);
  });
});

describe("select", () => {
  it("gives the r-th smallest, as sorting does, with the smaller ones before it", () => {
    let seed = 17;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 300; trial++) {
      const k = 1 + Math.floor(rnd() * 60);
      // few distinct values now and then: ties around the pivot
      const a = Float64Array.from({ length: k + 3 }, () => (trial % 3 ? rnd() : Math.floor(rnd() * 3)));
      const sorted = a.subarray(0, k).slice().sort();
      const r = Math.floor(rnd() * k);
      const tail = a.slice(k);
      expect(select(a, k, r)).toBe(sorted[r]);
      for (let i = 0; i < r; i++) expect(a[i]).toBeLessThanOrEqual(a[r]);
      for (let i = r + 1; i < k; i++) expect(a[i]).toBeGreaterThanOrEqual(a[r]);
      expect(a.slice(k)).toEqual(tail); // nothing past k touched
      expect(a.subarray(0, k).slice().sort()).toEqual(sorted); // a permutation
    }
  });
});
