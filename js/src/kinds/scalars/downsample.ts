// Min/max per pixel bucket, so drawing cost depends on the chart's width, not on the number of
// points. Every bucket keeps its minimum and its maximum (in their original order), so a one-point
// spike is always drawn.
//
// The chart uses `fillSlots`: all series of a chart share one x grid of 2 slots per bucket (uPlot's
// aligned data), slot values are `undefined` where a series has no point (uPlot joins across
// them) and `null` where it only has non-finite values (uPlot draws a gap).
//
// Over buckets wider than a pixel column (many lines share the chart's point budget), min and max
// in time order a few pixels apart draw every line as a zigzag with the bucket's period, the same
// in every run. A column can then be reduced per half bucket instead (`SlotInput.reduce`), to one
// sample per half ("sample", raw and smoothed lines alike): one of its values taken at random, or
// its extreme when that is a spike (see SPIKE_SPREADS). Extremes in every half put every line on
// the band's edges, and 100 runs drew a regular lattice there; means drew smoothed lines smoother
// than the smoothing asked for (a second average); samples draw the noise as it is, as
// TensorBoard's sampled lines do. A series held as min/max pairs has only edge values, so a half
// may have several slots (`SlotInput.sub`) and its value goes in the one nearest its x: the runs'
// vertices no longer line up.

export type Slot = number | null | undefined;

/** x' = (x - origin) * scale, a monotone map (scale > 0) from stored x to the axis' x. */
export interface XMap {
  origin: number;
  scale: number;
}

export const IDENTITY: XMap = { origin: 0, scale: 1 };

/** First index i in [0, n) with (xs[i] - origin) * scale >= x, for ascending xs. */
export function lowerBound(xs: ArrayLike<number>, n: number, x: number, map: XMap = IDENTITY): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] - map.origin) * map.scale < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with x' > x, for ascending xs. */
export function upperBound(xs: ArrayLike<number>, n: number, x: number, map: XMap = IDENTITY): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] - map.origin) * map.scale <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function isAscending(xs: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = Math.max(from, 1); i < to; i++) if (!(xs[i] >= xs[i - 1])) return false;
  return true;
}

/**
 * x of each slot: `sub` per half bucket, at the centres of equal parts of it (2 * buckets * sub in
 * all). With one per half (min/max): a quarter and three quarters into each bucket.
 */
export function slotXs(x0: number, x1: number, buckets: number, sub = 1): Float64Array {
  const out = new Float64Array(2 * buckets * sub);
  const w = (x1 - x0) / (2 * buckets);
  for (let h = 0; h < 2 * buckets; h++) {
    for (let j = 0; j < sub; j++) out[h * sub + j] = x0 + (h + (j + 0.5) / sub) * w;
  }
  return out;
}

export interface SlotInput {
  xs: ArrayLike<number>;
  n: number;
  /** One or more y columns bucketed with the same x (e.g. raw and smoothed). */
  ys: ArrayLike<number>[];
  map: XMap;
  ascending: boolean;
  /** Treat values <= 0 as missing (log scale). */
  positiveOnly?: boolean;
  /** Per y column: how its slots are made (default "minmax"; see the top of this file). */
  reduce?: readonly SlotReduce[];
  /**
   * Slots per half bucket (default 1; more only when every column is reduced per half bucket):
   * a half's value goes in the slot nearest its own x, so that lines whose values all lie on the
   * band's edges (series held as min/max pairs) do not all have their vertices at the same x.
   */
  sub?: number;
}

/** The bucket's min and max in time order, or a sample per half bucket. */
export type SlotReduce = "minmax" | "sample";

/**
 * A half bucket's extreme is a spike, drawn instead of its sample, when it is farther
 * than SPIKE_SPREADS spreads from the mean of the half's other values. The spread is the larger of
 * those values' standard deviation and the line's typical one (the median over its half buckets):
 * with a handful of values per half, their own deviation is often near zero by chance. Measured on
 * Gaussian noise (10,000 halves per size; js/test/downsample.test.ts checks it on 2,000): 1% of
 * halves of 3 values and at most 0.2% of 4 or more are taken for spikes, and a spike of 8 standard
 * deviations is kept in 95-100% of halves of any size (a smaller one may hide among the samples, as
 * in TensorBoard's sampled lines; zooming in shows every point).
 */
export const SPIKE_SPREADS = 5;

/**
 * Whether the extreme of `c` values is a spike (SPIKE_SPREADS): -1 the min, 1 the max, 0 neither.
 * `sum` and `sq` are the sum and the sum of squares of the values' differences from one of them,
 * `dlo` and `dhi` the min's and the max's; `typical` the line's typical spread.
 */
export function spikeOf(c: number, sum: number, sq: number, dlo: number, dhi: number, typical: number): -1 | 0 | 1 {
  if (c < 2) return 0;
  // the extreme is the one farther from the mean (ties go to the max), against the other values
  const m = sum / c, low = m - dlo > dhi - m, e = low ? dlo : dhi;
  const rm = (sum - e) / (c - 1);
  const rsd = Math.sqrt(Math.max(0, (sq - e * e) / (c - 1) - rm * rm));
  const spread = Math.max(rsd, typical), off = Math.abs(e - rm);
  if (!(spread > 0 ? off > SPIKE_SPREADS * spread : off > 0)) return 0;
  return low ? -1 : 1;
}

/** Per half bucket of a column reduced by half buckets (`SlotInput.reduce`): its first value, the
 * sum and the sum of squares of the values' differences from it (no cancellation for values far
 * from 0), count, min, max, a sample, and where in the half the last three lie. */
class HalfBuckets {
  first = new Float64Array(0);
  /** A value of the half taken at random (see `add`). */
  sample = new Float64Array(0);
  /** Where in its half each kept value lies (0 to 1): the sample, the min, the max. */
  sampleAt = new Float64Array(0);
  loAt = new Float64Array(0);
  hiAt = new Float64Array(0);
  sum = new Float64Array(0);
  sq = new Float64Array(0);
  count = new Int32Array(0);
  lo = new Float64Array(0);
  hi = new Float64Array(0);
  /** A value the column cannot draw (non-finite, or <= 0 on a log scale) fell in the half bucket. */
  bad = new Uint8Array(0);
  /** Scratch for the median spread. */
  private spreads = new Float64Array(0);
  /** The typical spread the "sample" slots were last written with (NaN: none yet). */
  private written = Number.NaN;

  /** Room for `halves` empty half buckets (the arrays are kept while big enough: a live chart
   * starts over whenever its grid changes, and allocating them was a tenth of its drawing time). */
  reset(halves: number) {
    this.written = Number.NaN;
    if (this.sum.length < halves) {
      this.first = new Float64Array(halves);
      this.sample = new Float64Array(halves);
      this.sampleAt = new Float64Array(halves);
      this.loAt = new Float64Array(halves);
      this.hiAt = new Float64Array(halves);
      this.sum = new Float64Array(halves);
      this.sq = new Float64Array(halves);
      this.count = new Int32Array(halves);
      this.lo = new Float64Array(halves);
      this.hi = new Float64Array(halves);
      this.bad = new Uint8Array(halves);
      this.spreads = new Float64Array(halves);
    } else {
      this.clear(0, halves);
    }
  }

  /** Forget half buckets h0 to h1. */
  clear(h0: number, h1: number) {
    this.count.fill(0, h0, h1);
    this.bad.fill(0, h0, h1);
  }

  /**
   * Add points i0 to i1 of column y that fall in half buckets h0 and later of the grid from x0
   * (k buckets per unit of x; the half of `fillSlots`' bucket ((x - x0) * k) | 0: doubling is
   * exact). Returns whether a value <= 0 was among them.
   */
  addPoints(
    xs: ArrayLike<number>, y: ArrayLike<number>, i0: number, i1: number, map: XMap, ascending: boolean,
    x0: number, x1: number, k: number, h0: number, halves: number, positiveOnly: boolean,
  ): boolean {
    const { origin, scale } = map;
    let nonPositive = false;
    for (let i = i0; i < i1; i++) {
      const x = (xs[i] - origin) * scale;
      if (!ascending && !(x >= x0 && x <= x1)) continue;
      const at = 2 * ((x - x0) * k);
      let h = at | 0;
      if (h > halves - 1) h = halves - 1;
      else if (h < h0) continue; // (rounding at the first half's edge: already counted)
      const v = y[i];
      if (v <= 0) nonPositive = true;
      // biome-ignore lint/suspicious/noSelfCompare: the NaN test, the cheapest in this hot loop
      if (!(v === v && v !== Infinity && v !== -Infinity && (!positiveOnly || v > 0))) this.bad[h] = 1;
      else this.add(h, v, at - h);
    }
    return nonPositive;
  }

  /** A drawable value; `at`: where in the half it lies (0 to 1; the last half also holds x1
   * itself). The mean's sums, their squares, min, max and the sample, with their places. */
  private add(h: number, v: number, at: number) {
    const c = ++this.count[h];
    if (c === 1) {
      this.first[h] = this.lo[h] = this.hi[h] = this.sample[h] = v;
      this.sampleAt[h] = this.loAt[h] = this.hiAt[h] = at;
      this.sum[h] = this.sq[h] = 0;
      return;
    }
    // each value is kept with chance 1 / count (reservoir sampling), drawn from the value itself:
    // the same points give the same sample, in a full pass or in steps
    if ((Math.imul(((v * 1048576) | 0) ^ Math.imul(c, 0x9e3779b1), 0x85ebca6b) >>> 0) * c < 4294967296) {
      this.sample[h] = v;
      this.sampleAt[h] = at;
    }
    if (v < this.lo[h]) {
      this.lo[h] = v;
      this.loAt[h] = at;
    } else if (v > this.hi[h]) {
      this.hi[h] = v;
      this.hiAt[h] = at;
    }
    const d = v - this.first[h];
    this.sum[h] += d;
    this.sq[h] += d * d;
  }

  /** Slots of halves h0 and later (all of them when the line's typical spread changed), `sub`
   * per half: the value in the one nearest its x, a gap (at the centre) where only undrawable
   * values fell, nothing where none did. */
  write(slots: Slot[], h0: number, sub: number) {
    const halves = slots.length / sub;
    const typical = this.typicalSpread(halves);
    if (typical !== this.written) h0 = 0;
    this.written = typical;
    const { first, sum, sq, count, lo, hi } = this;
    const centre = (sub - 1) >> 1;
    const place = (at: number) => Math.min(sub - 1, Math.max(0, Math.floor(at * sub)));
    for (let h = h0; h < halves; h++) {
      const base = h * sub;
      for (let j = 0; j < sub; j++) slots[base + j] = undefined;
      const c = count[h];
      if (!c) {
        if (this.bad[h]) slots[base + centre] = null;
        continue;
      }
      let v = this.sample[h], at = this.sampleAt[h];
      const spike = spikeOf(c, sum[h], sq[h], lo[h] - first[h], hi[h] - first[h], typical);
      if (spike) {
        v = spike < 0 ? lo[h] : hi[h];
        at = spike < 0 ? this.loAt[h] : this.hiAt[h];
      }
      slots[base + place(at)] = v;
    }
  }

  /** The median standard deviation of the half buckets of two values or more (0: none). */
  private typicalSpread(n: number): number {
    const { sum, sq, count } = this;
    let k = 0;
    for (let h = 0; h < n; h++) {
      const c = count[h];
      if (c < 2) continue;
      const m = sum[h] / c;
      this.spreads[k++] = Math.max(0, sq[h] / c - m * m); // variances: one square root at the end
    }
    if (k === 0) return 0;
    // (selected, not sorted: this runs for every line at every update, and sorting was most of it)
    const a = this.spreads, upper = select(a, k, k >> 1);
    if (k & 1) return Math.sqrt(upper);
    let lower = a[0]; // the lower middle: the largest of those selected below the upper one
    for (let i = 1; i < k >> 1; i++) if (a[i] > lower) lower = a[i];
    return (Math.sqrt(lower) + Math.sqrt(upper)) / 2;
  }
}

/**
 * The `r`-th smallest of `a[0..k)` (0-based; no NaN), reordering them so that those before index r
 * are no larger and those after no smaller (Hoare's selection, middle-of-range pivot).
 */
export function select(a: Float64Array, k: number, r: number): number {
  let lo = 0, hi = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else break;
  }
  return a[r];
}

// Scratch space reused between calls (single-threaded).
let sMinI = new Int32Array(0), sMaxI = new Int32Array(0), sFlag = new Uint8Array(0);
const sHalves = new HalfBuckets();
function scratch(buckets: number) {
  if (sMinI.length < buckets) {
    sMinI = new Int32Array(buckets);
    sMaxI = new Int32Array(buckets);
    sFlag = new Uint8Array(buckets);
  }
}

/** Slots per half bucket of `input` (checked: more than one only with half-bucket reductions). */
function subSlots(input: SlotInput): number {
  const sub = Math.max(1, Math.floor(input.sub ?? 1));
  if (sub > 1 && input.ys.some((_, c) => (input.reduce?.[c] ?? "minmax") === "minmax")) {
    throw new Error("slots per half bucket (sub) need every column reduced per half bucket");
  }
  return sub;
}

/**
 * For each y column, its slots over the grid [x0, x1] with `buckets` buckets (`slotXs`).
 * Returns one slot array (length 2 * buckets * sub) per y column; points outside [x0, x1] are ignored.
 */
export function fillSlots(input: SlotInput, x0: number, x1: number, buckets: number): Slot[][] {
  const { xs, n, ys, map, ascending, positiveOnly, reduce } = input;
  const sub = subSlots(input);
  const out: Slot[][] = ys.map(() => new Array<Slot>(2 * buckets * sub));
  if (n === 0 || !(x1 >= x0) || buckets < 1) return out;
  scratch(buckets);
  let i0 = 0, i1 = n;
  if (ascending) {
    i0 = lowerBound(xs, n, x0, map);
    i1 = upperBound(xs, n, x1, map);
  }
  const span = x1 - x0;
  const k = span > 0 ? buckets / span : 0;
  const last = buckets - 1;
  const { origin, scale } = map;
  for (let c = 0; c < ys.length; c++) {
    const y = ys[c];
    const slots = out[c];
    const how = reduce?.[c] ?? "minmax";
    if (how !== "minmax") {
      const acc = sHalves;
      acc.reset(2 * buckets);
      acc.addPoints(xs, y, i0, i1, map, ascending, x0, x1, k, 0, 2 * buckets, positiveOnly === true);
      acc.write(slots, 0, sub);
      continue;
    }
    const minI = sMinI, maxI = sMaxI, flag = sFlag;
    flag.fill(0, 0, buckets);
    for (let i = i0; i < i1; i++) {
      const x = (xs[i] - origin) * scale;
      if (!ascending && !(x >= x0 && x <= x1)) continue;
      let b = ((x - x0) * k) | 0;
      if (b > last) b = last;
      else if (b < 0) b = 0;
      const v = y[i];
      // biome-ignore lint/suspicious/noSelfCompare: the NaN test, the cheapest in this hot loop
      if (v === v && v !== Infinity && v !== -Infinity && (!positiveOnly || v > 0)) {
        if (!(flag[b] & 1)) {
          flag[b] |= 1;
          minI[b] = maxI[b] = i;
        } else if (v < y[minI[b]]) minI[b] = i;
        else if (v > y[maxI[b]]) maxI[b] = i;
      } else {
        flag[b] |= 2;
      }
    }
    for (let b = 0; b < buckets; b++) {
      const f = flag[b];
      if (f & 1) {
        const a = minI[b], z = maxI[b];
        if (a === z) slots[2 * b] = y[a];
        else if (a < z) { slots[2 * b] = y[a]; slots[2 * b + 1] = y[z]; }
        else { slots[2 * b] = y[z]; slots[2 * b + 1] = y[a]; }
      } else if (f & 2) {
        slots[2 * b] = null;
      }
    }
  }
  return out;
}

/**
 * Plain min/max decimation of one series into at most 2 * buckets points over its own x extent,
 * in the original order. Used by tests and for exports that want a bounded number of points.
 */
export function minMaxDownsample(
  xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number,
): { x: number[]; y: number[] } {
  const n = Math.min(xs.length, ys.length);
  if (n <= 2 * buckets) return { x: Array.from(xs).slice(0, n), y: Array.from(ys).slice(0, n) };
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (xs[i] < lo) lo = xs[i];
    if (xs[i] > hi) hi = xs[i];
  }
  const k = hi > lo ? buckets / (hi - lo) : 0;
  const minI = new Int32Array(buckets).fill(-1), maxI = new Int32Array(buckets).fill(-1);
  const nanI = new Int32Array(buckets).fill(-1);
  for (let i = 0; i < n; i++) {
    const b = Math.min(buckets - 1, ((xs[i] - lo) * k) | 0);
    const v = ys[i];
    if (!Number.isFinite(v)) {
      if (nanI[b] < 0) nanI[b] = i;
      continue;
    }
    if (minI[b] < 0) minI[b] = maxI[b] = i;
    else if (v < ys[minI[b]]) minI[b] = i;
    else if (v > ys[maxI[b]]) maxI[b] = i;
  }
  const keep: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const idx = [minI[b], maxI[b], nanI[b]].filter((i) => i >= 0).sort((a, c) => a - c);
    for (let j = 0; j < idx.length; j++) if (j === 0 || idx[j] !== idx[j - 1]) keep.push(idx[j]);
  }
  keep.sort((a, c) => a - c);
  return { x: keep.map((i) => xs[i]), y: keep.map((i) => ys[i]) };
}

/**
 * `fillSlots` for a live series, kept up to date incrementally: while the grid (x range, bucket
 * count) and the configuration `key` stay the same, an update only recomputes the buckets from
 * the one holding the point before the first changed index. Needs ascending x; otherwise every
 * update is a full pass. Switching `positiveOnly` (log scale) keeps the slots when no value seen
 * is <= 0: they are the same either way.
 */
export class SlotCache {
  cols: Slot[][] = [];
  private key = "";
  private positiveOnly = false;
  /** A finite value <= 0 was bucketed since the last full pass (kept when points are rewritten: a full pass clears it). */
  private nonPositive = false;
  private n = 0;
  private minI: Int32Array[] = [];
  private maxI: Int32Array[] = [];
  private flag: Uint8Array[] = [];
  private halves: (HalfBuckets | null)[] = [];

  invalidate() {
    this.key = "";
  }

  /** `from`: lowest point index whose x or y may have changed since the previous call. */
  update(input: SlotInput, x0: number, x1: number, buckets: number, from: number, key: string): Slot[][] {
    const { xs, n, ys, map, ascending } = input;
    const positiveOnly = input.positiveOnly === true;
    const reduce = ys.map((_, c): SlotReduce => input.reduce?.[c] ?? "minmax");
    const sub = subSlots(input);
    const fullKey = `${key}|${x0}|${x1}|${buckets}|${sub}|${reduce}|${map.origin}|${map.scale}`;
    const signChange = positiveOnly !== this.positiveOnly && this.nonPositive;
    this.positiveOnly = positiveOnly;
    if (fullKey !== this.key || !ascending || signChange) {
      this.key = fullKey;
      this.nonPositive = false;
      this.cols = ys.map(() => new Array<Slot>(2 * buckets * sub));
      // (arrays kept while big enough: a bucket's min and max are read only once its flag is set,
      // and its flag is cleared below from the first bucket recomputed)
      const bigEnough = <T extends Int32Array | Uint8Array>(a: T | undefined, make: () => T) => (a && a.length >= buckets ? a : make());
      this.minI = ys.map((_, c) => bigEnough(this.minI[c], () => new Int32Array(buckets)));
      this.maxI = ys.map((_, c) => bigEnough(this.maxI[c], () => new Int32Array(buckets)));
      this.flag = ys.map((_, c) => bigEnough(this.flag[c], () => new Uint8Array(buckets)));
      this.halves = reduce.map((how, c) => {
        if (how === "minmax") return null;
        const halves = this.halves[c] ?? new HalfBuckets();
        halves.reset(2 * buckets);
        return halves;
      });
      from = 0;
    } else {
      from = Math.max(0, Math.min(from, this.n, n));
      if (from >= n && n === this.n) return this.cols;
    }
    this.n = n;
    if (!(x1 >= x0) || buckets < 1) return this.cols;
    const { origin, scale } = map;
    const span = x1 - x0;
    const k = span > 0 ? buckets / span : 0;
    const last = buckets - 1;
    let nonPositive = false;
    // first bucket to recompute: the one holding the point before `from` (its min/max may have
    // been among the changed points)
    let b0 = 0;
    if (from > 0) {
      const xp = (xs[from - 1] - origin) * scale;
      b0 = xp < x0 ? 0 : xp > x1 ? buckets : Math.min(last, ((xp - x0) * k) | 0);
    }
    let iStart = 0, iEnd = n;
    if (ascending) {
      iStart = lowerBound(xs, n, b0 === 0 ? x0 : x0 + b0 / k, map);
      iEnd = upperBound(xs, n, x1, map);
    }
    for (let c = 0; c < ys.length; c++) {
      const y = ys[c], slots = this.cols[c], acc = this.halves[c];
      if (acc) {
        acc.clear(2 * b0, 2 * buckets);
        if (acc.addPoints(xs, y, iStart, iEnd, map, ascending, x0, x1, k, 2 * b0, 2 * buckets, positiveOnly)) nonPositive = true;
        acc.write(slots, 2 * b0, sub);
        continue;
      }
      const minI = this.minI[c], maxI = this.maxI[c], flag = this.flag[c];
      if (b0 < buckets) flag.fill(0, b0, buckets);
      for (let i = iStart; i < iEnd; i++) {
        const x = (xs[i] - origin) * scale;
        if (!ascending && !(x >= x0 && x <= x1)) continue;
        let b = ((x - x0) * k) | 0;
        if (b > last) b = last;
        else if (b < b0) continue; // (rounding at the first bucket's edge: already counted)
        const v = y[i];
        if (v <= 0) nonPositive = true;
        // biome-ignore lint/suspicious/noSelfCompare: the NaN test, the cheapest in this hot loop
        if (v === v && v !== Infinity && v !== -Infinity && (!positiveOnly || v > 0)) {
          if (!(flag[b] & 1)) {
            flag[b] |= 1;
            minI[b] = maxI[b] = i;
          } else if (v < y[minI[b]]) minI[b] = i;
          else if (v > y[maxI[b]]) maxI[b] = i;
        } else {
          flag[b] |= 2;
        }
      }
      for (let b = b0; b < buckets; b++) {
        const f = flag[b];
        let s0: Slot, s1: Slot;
        if (f & 1) {
          const a = minI[b], z = maxI[b];
          if (a === z) { s0 = y[a]; s1 = undefined; }
          else if (a < z) { s0 = y[a]; s1 = y[z]; }
          else { s0 = y[z]; s1 = y[a]; }
        } else {
          s0 = f & 2 ? null : undefined;
          s1 = undefined;
        }
        slots[2 * b] = s0;
        slots[2 * b + 1] = s1;
      }
    }
    this.nonPositive ||= nonPositive;
    return this.cols;
  }
}

/** A "nice" step (1, 2, 2.5 or 5 x 10^k) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw * (1 - 1e-12)) return m * mag;
  return 10 * mag;
}
