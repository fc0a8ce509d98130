// The scalars slice of the store: the one columnar kind. Per (run, tag), growable float64
// columns with the protocol's semantics: truncate the series to `offset`, then append `count`
// points; offset > held is a gap (keep what we have, ask for a hello); a new epoch (purge)
// replaces the series. Also `range` requests for zoomed step ranges: as many points as the
// zoomed plot can show (full resolution when the range has no more), dropped when the zoom is reset.

import { Buffers, type Obj, type WireBuffer } from "../../wire";
import { seriesKey, type Slice, type SliceHost } from "../types";
import { decodeRangeReply, type RangeReply, type ScalarChunk } from "./decode";
import { isAscending, lowerBound, upperBound } from "./downsample";

/** The kind's name (its key under `entries`). */
export const SCALARS = "scalars";

/** The points of a zoomed step range [x0, x1] (the answer to a `range` request for `points`). */
export interface RangeDetail {
  x0: number;
  x1: number;
  /** The points the request asked for at most (0: none asked, the kernel's own cap). */
  points: number;
  /** Min/max buckets of the range rather than every point of it. */
  decimated: boolean;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
}

/**
 * Whether a zoom on steps [x0, x1] wanting `points` points needs a new range request, given the
 * detail held. A complete detail covering the zoom is reused; a decimated one only while its
 * points per step are at least what the zoom wants (a deeper zoom asks again, for finer buckets).
 */
export function needsDetail(detail: RangeDetail | null, x0: number, x1: number, points: number): boolean {
  if (!detail || !(detail.x0 <= x0 && detail.x1 >= x1)) return true;
  if (!detail.decimated) return false;
  return detail.points * (x1 - x0) < points * (detail.x1 - detail.x0);
}

/** One (run, tag) scalar series: growable float64 columns. */
export class ScalarSeries {
  steps = new Float64Array(16);
  walls = new Float64Array(16);
  values = new Float64Array(16);
  length = 0;
  epoch: number;
  total = 0;
  decimated = false;
  /** Points that steps logged again have replaced (a resumed run; the board says so). */
  replaced = 0;
  /** Bumped on every change. */
  version = 0;
  /** Bumped when points that were held are removed or replaced (not on a pure append). */
  rewrites = 0;
  stepsAscending = true;
  wallsAscending = true;
  /** The points of a zoomed step range (answer to a `range` request), finer than those held. */
  detail: RangeDetail | null = null;

  constructor(readonly run: string, readonly tag: string, epoch: number) {
    this.epoch = epoch;
  }

  private reserve(n: number) {
    if (n <= this.steps.length) return;
    let cap = this.steps.length;
    while (cap < n) cap *= 2;
    for (const k of ["steps", "walls", "values"] as const) {
      const grown = new Float64Array(cap);
      grown.set(this[k].subarray(0, this.length));
      this[k] = grown;
    }
  }

  // (version, lowest index changed) of recent updates, for consumers that update incrementally
  private log: number[] = [];

  private logChange(offset: number) {
    this.version++;
    this.log.push(this.version, offset);
    if (this.log.length > 128) this.log.splice(0, this.log.length - 128);
  }

  /** Lowest point index changed by the updates after `version` (length when none, 0 when unknown). */
  changedSince(version: number): number {
    if (version >= this.version) return this.length;
    if (this.log.length === 0 || this.log[0] > version + 1) return 0;
    let lo = this.length;
    for (let i = 0; i < this.log.length; i += 2) if (this.log[i] > version && this.log[i + 1] < lo) lo = this.log[i + 1];
    return lo;
  }

  /**
   * Reduce the first `count` groups of `size` held points each to the group's first minimum and
   * first maximum (NaN counts as both, as numpy's argmin/argmax), in their order; drop the rest.
   * Exactly the board's min/max buckets of the bigger bucket (docs/protocol.md). Caller checks
   * size * count <= length.
   */
  fold(size: number, count: number) {
    const { steps, walls, values } = this;
    for (let g = 0; g < count; g++) {
      const start = g * size;
      let lo = start, hi = start, nan = -1;
      for (let i = start; i < start + size; i++) {
        const v = values[i];
        if (Number.isNaN(v)) { nan = i; break; }
        if (v < values[lo]) lo = i;
        if (v > values[hi]) hi = i;
      }
      if (nan >= 0) lo = hi = nan;
      const a = Math.min(lo, hi), b = Math.max(lo, hi);
      // read both points before writing: slot 2g + 1 may be point a's own slot
      const sa = steps[a], wa = walls[a], va = values[a], sb = steps[b], wb = walls[b], vb = values[b];
      steps[2 * g] = sa; walls[2 * g] = wa; values[2 * g] = va;
      steps[2 * g + 1] = sb; walls[2 * g + 1] = wb; values[2 * g + 1] = vb;
    }
    this.length = 2 * count;
    this.rewrites++;
    this.detail = null;
    this.logChange(0);
  }

  /** Truncate to `offset` points, then append. Caller checks offset <= length. */
  splice(offset: number, steps: Float64Array, walls: Float64Array, values: Float64Array) {
    if (offset < this.length) {
      this.rewrites++;
      this.detail = null;
    }
    const n = offset + steps.length;
    this.reserve(n);
    this.steps.set(steps, offset);
    this.walls.set(walls, offset);
    this.values.set(values, offset);
    const from = Math.max(offset - 1, 0);
    if (offset === 0 || offset < this.length) {
      this.stepsAscending = isAscending(this.steps, 0, n);
      this.wallsAscending = isAscending(this.walls, 0, n);
    } else {
      this.stepsAscending &&= isAscending(this.steps, from, n);
      this.wallsAscending &&= isAscending(this.walls, from, n);
    }
    this.length = n;
    this.logChange(offset);
  }

  /**
   * The held points with the full-resolution `detail` spliced in, when the detail covers the step
   * range [v0, v1] (a zoom); null otherwise. Needs ascending steps.
   */
  withDetail(v0: number, v1: number): { steps: Float64Array; walls: Float64Array; values: Float64Array; n: number } | null {
    const d = this.detail;
    if (!d || !this.stepsAscending || !(d.x0 <= v0 && d.x1 >= v1)) return null;
    const n = this.length;
    const i0 = lowerBound(this.steps, n, d.x0), i1 = upperBound(this.steps, n, d.x1);
    const m = i0 + d.steps.length + (n - i1);
    const cat = (a: Float64Array, mid: Float64Array) => {
      const out = new Float64Array(m);
      out.set(a.subarray(0, i0));
      out.set(mid, i0);
      out.set(a.subarray(i1, n), i0 + mid.length);
      return out;
    };
    return { steps: cat(this.steps, d.steps), walls: cat(this.walls, d.walls), values: cat(this.values, d.values), n: m };
  }

  clear(epoch: number) {
    this.length = 0;
    this.epoch = epoch;
    this.rewrites++;
    this.logChange(0);
    this.total = 0;
    this.decimated = false;
    this.replaced = 0;
    this.detail = null;
    this.stepsAscending = this.wallsAscending = true;
  }
}

export class ScalarSlice implements Slice<ScalarChunk> {
  readonly series = new Map<string, ScalarSeries>();
  private nextRangeId = 1;
  private readonly pendingRanges = new Map<
    number,
    { resolve: (r: RangeReply | null) => void; key: string; x0: number; x1: number; points: number }
  >();

  constructor(private readonly host: SliceHost) {}

  get(run: string, tag: string): ScalarSeries | undefined {
    return this.series.get(seriesKey(run, tag));
  }

  apply(chunks: readonly ScalarChunk[], changed: Set<string>): boolean {
    let gap = false;
    for (const c of chunks) {
      const r = this.applyChunk(c);
      if (r === "gap") gap = true;
      else if (r === "changed") changed.add(seriesKey(c.run, c.tag));
    }
    return gap;
  }

  private applyChunk(c: ScalarChunk): "changed" | "gap" | "same" {
    const key = seriesKey(c.run, c.tag);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new ScalarSeries(c.run, c.tag, c.epoch)));
    if (c.epoch !== s.epoch) {
      // history was rewritten (purge): only a full resend can be applied
      if (c.offset !== 0) return "gap";
      s.clear(c.epoch);
    }
    const folds = c.foldCount > 0;
    if (folds) {
      if (c.foldSize * c.foldCount > s.length) return "gap"; // missed what the fold reduces
      s.fold(c.foldSize, c.foldCount);
    }
    if (c.offset > s.length) return "gap";
    if (!folds && c.count === 0 && c.offset === s.length && s.total === c.total && s.decimated === c.decimated
      && s.replaced === c.replaced) return "same";
    s.splice(c.offset, c.steps, c.walls, c.values);
    s.total = Math.max(c.total, s.length);
    s.decimated = c.decimated;
    s.replaced = c.replaced;
    return "changed";
  }

  reset(run: string, tag: string): boolean {
    const s = this.get(run, tag);
    if (!s || s.length === 0) return false;
    s.clear(s.epoch);
    return true;
  }

  hasData(): boolean {
    for (const s of this.series.values()) if (s.length > 0) return true;
    return false;
  }

  /** Points held and distinct tags with points (test hooks, header). */
  totals(): { points: number; tags: number } {
    let points = 0;
    const tags = new Set<string>();
    for (const s of this.series.values()) {
      points += s.length;
      if (s.length > 0) tags.add(s.tag);
    }
    return { points, tags: tags.size };
  }

  /**
   * Request the points of a step range of one series, at most `points` of them (min/max buckets
   * beyond; omitted: the kernel's cap). Resolves with the reply, or null on timeout or when the
   * series' details are dropped first.
   */
  requestRange(run: string, tag: string, x0: number, x1: number, points?: number, timeoutMs = 10000): Promise<RangeReply | null> {
    const id = this.nextRangeId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.pendingRanges.delete(id)) resolve(null);
      }, timeoutMs);
      this.pendingRanges.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); }, key: seriesKey(run, tag), x0, x1, points: points ?? 0,
      });
      this.host.send(points === undefined ? { type: "range", id, run, tag, x0, x1 } : { type: "range", id, run, tag, x0, x1, points });
    });
  }

  /**
   * Drop the details of these series (a chart's zoom was reset) and forget their requests in
   * flight, so that the points held for zooms go back to zero. A series may be a view of one
   * held here (custom scalars relabel runs with Object.create): the held one is changed.
   */
  dropDetails(series: Iterable<ScalarSeries>) {
    const keys: string[] = [];
    for (const v of series) {
      const s = this.heldOf(v);
      if (!s) continue;
      const key = seriesKey(s.run, s.tag);
      for (const [id, p] of this.pendingRanges) {
        if (p.key !== key) continue;
        this.pendingRanges.delete(id);
        p.resolve(null);
      }
      if (s.detail === null) continue;
      s.detail = null;
      s.version++; // held points unchanged (no log entry); views redraw without the detail
      keys.push(key);
    }
    if (keys.length) this.host.changed(keys);
  }

  /** The series held here that `v` is, or is a view of (its prototype chain); undefined if none. */
  private heldOf(v: ScalarSeries): ScalarSeries | undefined {
    for (let o: ScalarSeries | null = v; o; o = Object.getPrototypeOf(o) as ScalarSeries | null) {
      if (this.series.get(seriesKey(o.run, o.tag)) === o) return o;
    }
    return undefined;
  }

  receive(type: string, content: Obj, buffers: readonly WireBuffer[]) {
    if (type !== "range") return;
    this.applyRange(decodeRangeReply(content, new Buffers(buffers)));
  }

  applyRange(reply: RangeReply) {
    const pending = this.pendingRanges.get(reply.id);
    if (!pending) return;
    this.pendingRanges.delete(reply.id);
    const key = seriesKey(reply.run, reply.tag);
    const s = this.series.get(key);
    if (s) {
      s.detail = {
        x0: pending.x0, x1: pending.x1, points: pending.points, decimated: reply.decimated,
        steps: reply.steps, walls: reply.walls, values: reply.values,
      };
      s.version++; // held points unchanged (no log entry); views redraw the zoom with the detail
      this.host.changed([key]);
    }
    pending.resolve(reply);
  }
}
