// The view-side data store, owned by the widget's initialize(): one per model, shared by all
// of its views. It applies decoded deltas with the protocol's semantics and tells subscribers
// what changed.
//
//   scalars   truncate the series to `offset`, then append `count` points; offset > held is a gap
//             (keep what we have, ask for a hello); a new epoch (purge) replaces the series.
//   images, histograms, text   records by index; putting an index twice is a no-op; a hole below
//             a received index is a gap.

import {
  decodeMessage, type Delta, type HistogramRecord, type ImageRecord, type RangeReply,
  type ScalarChunk, type TextRecord, type WireBuffer,
} from "./protocol";
import { isAscending, lowerBound, upperBound } from "./downsample";

export const seriesKey = (run: string, tag: string) => `${run}\u0000${tag}`;

/** One (run, tag) scalar series: growable float64 columns. */
export class ScalarSeries {
  steps = new Float64Array(16);
  walls = new Float64Array(16);
  values = new Float64Array(16);
  length = 0;
  epoch: number;
  total = 0;
  decimated = false;
  /** Bumped on every change. */
  version = 0;
  /** Bumped when points that were held are removed or replaced (not on a pure append). */
  rewrites = 0;
  stepsAscending = true;
  wallsAscending = true;
  /** Full-resolution points for a zoomed step range (answer to a `range` request). */
  detail: { x0: number; x1: number; steps: Float64Array; walls: Float64Array; values: Float64Array } | null = null;

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
    this.detail = null;
    this.stepsAscending = this.wallsAscending = true;
  }
}

export interface StoredRecord {
  run: string;
  tag: string;
  index: number;
  step: number;
  wall: number;
}

/** Records of one (run, tag) by index; sorted views by step are cached. */
export class RecordList<T extends StoredRecord> {
  byIndex: (T | undefined)[] = [];
  count = 0;
  version = 0;
  private sorted: T[] | null = null;

  constructor(readonly run: string, readonly tag: string) {}

  /** Returns false if the index was already held (no-op). */
  put(rec: T): boolean {
    if (this.byIndex[rec.index] !== undefined) return false;
    this.byIndex[rec.index] = rec;
    this.count++;
    this.version++;
    this.sorted = null;
    return true;
  }

  /** Forget every record (history rewritten by a purge; a full resend follows). */
  clear() {
    this.byIndex = [];
    this.count = 0;
    this.version++;
    this.sorted = null;
  }

  hasHole(): boolean {
    return this.count < this.byIndex.length;
  }

  /** Held records ordered by step, then by index (logging order). */
  list(): T[] {
    if (!this.sorted) {
      const out: T[] = [];
      for (const r of this.byIndex) if (r) out.push(r);
      out.sort((a, b) => a.step - b.step || a.index - b.index);
      this.sorted = out;
    }
    return this.sorted;
  }
}

export interface StoreChange {
  runs: boolean;
  scalars: Set<string>;
  images: Set<string>;
  histograms: Set<string>;
  text: Set<string>;
}

export const emptyChange = (): StoreChange => ({
  runs: false, scalars: new Set(), images: new Set(), histograms: new Set(), text: new Set(),
});

export type Kind = "scalars" | "images" | "histograms" | "text";

export interface StoreOptions {
  send: (msg: Record<string, unknown>) => void;
  now?: () => number;
  /** Minimum time between two hello requests caused by gaps (ms). */
  helloIntervalMs?: number;
  log?: (...args: unknown[]) => void;
}

export class BoardStore {
  runs: string[] = [];
  /** Order in which runs were first seen: stable colours while new runs appear. */
  runOrder = new Map<string, number>();
  scalars = new Map<string, ScalarSeries>();
  images = new Map<string, RecordList<ImageRecord>>();
  histograms = new Map<string, RecordList<HistogramRecord>>();
  text = new Map<string, RecordList<TextRecord>>();
  lastSeq = -1;
  messages = 0;
  hellosSent = 0;
  private lastHelloAt = -Infinity;
  private listeners = new Set<(c: StoreChange) => void>();
  private nextRangeId = 1;
  private pendingRanges = new Map<number, { resolve: (r: RangeReply | null) => void; x0: number; x1: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: StoreOptions) {
    this.now = opts.now ?? (() => Date.now());
  }

  subscribe(fn: (c: StoreChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Ask Python to resend everything (from offset 0). `force` bypasses the rate limit. */
  hello(force = false) {
    const t = this.now();
    if (!force && t - this.lastHelloAt < (this.opts.helloIntervalMs ?? 1000)) return false;
    this.lastHelloAt = t;
    this.hellosSent++;
    this.opts.send({ type: "hello" });
    return true;
  }

  /** Entry point for `msg:custom`. */
  handleMessage(content: unknown, buffers?: readonly WireBuffer[] | null) {
    // the board numbers every message it sends: a jump means some were lost (e.g. Jupyter's
    // IOPub rate limit); records appended at the end would otherwise go unnoticed
    const seq = typeof content === "object" && content !== null ? (content as { seq?: unknown }).seq : undefined;
    let lost = false;
    if (typeof seq === "number" && Number.isFinite(seq)) {
      lost = this.lastSeq >= 0 && seq > this.lastSeq + 1;
      if (seq > this.lastSeq) this.lastSeq = seq;
    }
    const msg = decodeMessage(content, buffers);
    if (msg.type === "delta") {
      this.applyDelta(msg.delta);
    } else if (msg.type === "range") {
      if (msg.reply) this.applyRange(msg.reply);
      for (const e of msg.errors) this.opts.log?.("[cellboard] range:", e);
    }
    if (lost) this.hello();
  }

  applyDelta(delta: Delta): StoreChange {
    this.messages++;
    for (const e of delta.errors) this.opts.log?.("[cellboard] skipped:", e);
    const change = emptyChange();
    let gap = false;
    for (const r of delta.runs) change.runs = this.noteRun(r) || change.runs;
    for (const c of delta.scalars) {
      change.runs = this.noteRun(c.run) || change.runs;
      const r = this.applyScalar(c);
      if (r === "gap") gap = true;
      else if (r === "changed") change.scalars.add(seriesKey(c.run, c.tag));
    }
    for (const r of delta.reset ?? []) {
      const l = (this[r.kind] as Map<string, RecordList<StoredRecord>>).get(seriesKey(r.run, r.tag));
      if (l) {
        l.clear();
        change[r.kind].add(seriesKey(r.run, r.tag));
      }
    }
    const recs: [Kind, StoredRecord[]][] = [["images", delta.images], ["histograms", delta.histograms], ["text", delta.text]];
    for (const [kind, list] of recs) {
      const map = this[kind] as Map<string, RecordList<StoredRecord>>;
      const changed = change[kind];
      for (const rec of list) {
        change.runs = this.noteRun(rec.run) || change.runs;
        const key = seriesKey(rec.run, rec.tag);
        let l = map.get(key);
        if (!l) map.set(key, (l = new RecordList(rec.run, rec.tag)));
        if (l.put(rec)) changed.add(key);
        if (l.hasHole()) gap = true;
      }
    }
    this.emit(change);
    if (gap) this.hello(); // after this delta is fully applied: the answer may arrive synchronously
    return change;
  }

  private noteRun(run: string): boolean {
    if (this.runOrder.has(run)) return false;
    this.runOrder.set(run, this.runOrder.size);
    this.runs = [...this.runs, run].sort();
    return true;
  }

  private applyScalar(c: ScalarChunk): "changed" | "gap" | "same" {
    const key = seriesKey(c.run, c.tag);
    let s = this.scalars.get(key);
    if (!s) this.scalars.set(key, (s = new ScalarSeries(c.run, c.tag, c.epoch)));
    if (c.epoch !== s.epoch) {
      // history was rewritten (purge): only a full resend can be applied
      if (c.offset !== 0) return "gap";
      s.clear(c.epoch);
    }
    if (c.offset > s.length) return "gap";
    if (c.count === 0 && c.offset === s.length && s.total === c.total && s.decimated === c.decimated) return "same";
    s.splice(c.offset, c.steps, c.walls, c.values);
    s.total = Math.max(c.total, s.length);
    s.decimated = c.decimated;
    return "changed";
  }

  /** Request full resolution for a step range of one series; resolves with the reply (or null). */
  requestRange(run: string, tag: string, x0: number, x1: number, timeoutMs = 10000): Promise<RangeReply | null> {
    const id = this.nextRangeId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.pendingRanges.delete(id)) resolve(null);
      }, timeoutMs);
      this.pendingRanges.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); }, x0, x1,
      });
      this.opts.send({ type: "range", id, run, tag, x0, x1 });
    });
  }

  applyRange(reply: RangeReply) {
    const pending = this.pendingRanges.get(reply.id);
    if (!pending) return;
    this.pendingRanges.delete(reply.id);
    const key = seriesKey(reply.run, reply.tag);
    const s = this.scalars.get(key);
    if (s) {
      s.detail = { x0: pending.x0, x1: pending.x1, steps: reply.steps, walls: reply.walls, values: reply.values };
      s.version++; // held points unchanged (no log entry); views redraw the zoom with the detail
      const change = emptyChange();
      change.scalars.add(key);
      this.emit(change);
    }
    pending.resolve(reply);
  }

  private emit(change: StoreChange) {
    for (const fn of this.listeners) {
      try {
        fn(change);
      } catch (err) {
        this.opts.log?.("[cellboard] listener failed:", err);
      }
    }
  }

  /** Totals for the root element's test hooks and the header. */
  totals() {
    let scalarPoints = 0;
    const tags = new Set<string>();
    for (const s of this.scalars.values()) {
      scalarPoints += s.length;
      if (s.length > 0) tags.add(s.tag);
    }
    let images = 0, histograms = 0, text = 0;
    for (const l of this.images.values()) images += l.count;
    for (const l of this.histograms.values()) histograms += l.count;
    for (const l of this.text.values()) text += l.count;
    return { runs: this.runs, scalarTags: tags.size, scalarPoints, images, histograms, text };
  }
}
