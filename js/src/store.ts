// The view-side data store, owned by the widget's initialize(): one per model, shared by all of
// its views. Generic over the kinds registry: each kind's data lives in its slice (records by
// index for most kinds, columns for scalars); the store applies deltas in order (runs, resets,
// each kind's entries, notices), notices gaps and lost messages (-> hello) and tells subscribers
// what changed.

import { KINDS } from "./kinds";
import { seriesKey, type AnyKind, type KindModule, type Slice, type SliceHost } from "./kinds/types";
import { decodeMessage, type Delta, type LoadProgress, type Notice, type TagDescription, type WireBuffer } from "./protocol";
import { emptyChange, type StoreChange } from "./store-change";

export { seriesKey } from "./kinds/types";
export { changedKeys, emptyChange, type StoreChange } from "./store-change";

export interface StoreOptions {
  send: (msg: Record<string, unknown>) => void;
  now?: () => number;
  /** Minimum time between two hello requests caused by gaps (ms). */
  helloIntervalMs?: number;
  log?: (...args: unknown[]) => void;
  /** The kinds registry (default: kinds/index.ts). */
  kinds?: readonly AnyKind[];
}

export class BoardStore {
  /** The registry this store decodes and holds, in dashboard order. */
  readonly kinds: readonly AnyKind[];
  runs: string[] = [];
  /** Order in which runs were first seen: stable colours while new runs appear. */
  runOrder = new Map<string, number>();
  /** What could not be read (files, runs, URLs), as last sent by Python. */
  notices: readonly Notice[] = [];
  /** What this view received but could not show (an entry it could not decode or apply), by
   * message with a count: shown next to the kernel's notices, as nothing is dropped silently. */
  readonly viewProblems = new Map<string, number>();
  /** How far the first read of a log directory has got (null: not reading a directory). */
  progress: LoadProgress | null = null;
  /**
   * Described tags (a display name or a description in their metadata), by tag: a card shows one
   * per tag, as TensorBoard does; where runs differ, the first run's (in name order) is kept.
   */
  descriptions: ReadonlyMap<string, TagDescription> = new Map();
  lastSeq = -1;
  /**
   * This store holds everything Python sent up to `lastSeq`: it saw message 1, or a whole sync
   * group (a full resend) and every message after it. Sent in hello, so that a complete view is
   * not sent everything again.
   */
  complete = false;
  private syncGroup: number | null = null;
  messages = 0;
  hellosSent = 0;
  private lastHelloAt = -Infinity;
  private readonly slices = new Map<string, Slice>();
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly now: () => number;

  constructor(private readonly opts: StoreOptions) {
    this.now = opts.now ?? (() => Date.now());
    this.kinds = [...(opts.kinds ?? KINDS)].sort((a, b) => a.order - b.order);
    for (const k of this.kinds) this.slice(k);
  }

  /** One kind's data, typed by its module (`store.slice(scalars).series`). */
  // biome-ignore lint/suspicious/noExplicitAny: the slice's own entry type is the kind's, whichever it is
  slice<S extends Slice<any>>(kind: Pick<KindModule<any, S>, "name" | "createSlice">): S {
    let s = this.slices.get(kind.name);
    if (!s) {
      s = kind.createSlice(this.hostFor(kind.name));
      this.slices.set(kind.name, s);
    }
    return s as S;
  }

  /** Whether a kind's tab shows. */
  hasData(kind: AnyKind): boolean {
    return kind.hasData ? kind.hasData(this) : this.slice(kind).hasData();
  }

  private hostFor(name: string): SliceHost {
    return {
      send: (msg) => this.opts.send(msg),
      changed: (keys) => {
        const change = emptyChange();
        change.kinds.set(name, new Set(keys));
        if (change.kinds.get(name)!.size) this.emit(change);
      },
      log: (...args) => this.opts.log?.(...args),
    };
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
    this.opts.send({ type: "hello", complete: this.complete, seq: this.lastSeq });
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
      this.trackCompleteness(content as Record<string, unknown>, seq, lost);
    }
    const msg = decodeMessage(content, buffers, this.kinds);
    if (msg.type === "delta") {
      this.applyDelta(msg.delta);
    } else if (msg.type === "reply") {
      for (const k of this.kinds) {
        if (!k.replies?.includes(msg.replyType)) continue;
        try {
          this.slice(k).receive?.(msg.replyType, msg.content, buffers ?? []);
        } catch (err) {
          this.opts.log?.(`[cellboard] ${msg.replyType}:`, err);
        }
      }
    }
    if (lost) this.hello();
  }

  private trackCompleteness(content: Record<string, unknown>, seq: number, lost: boolean) {
    if (lost) {
      this.complete = false;
      this.syncGroup = null;
    } else if (seq === 1) {
      this.complete = true; // nothing was sent before message 1
    }
    if (content.type !== "delta" || typeof content.sync !== "number") return;
    if (content.sync_first === true) this.syncGroup = content.sync;
    if (content.sync_end === true && this.syncGroup === content.sync) {
      this.complete = true;
      this.syncGroup = null;
    }
  }

  applyDelta(delta: Delta): StoreChange {
    this.messages++;
    const change = emptyChange();
    for (const e of delta.errors) {
      this.opts.log?.("[cellboard] skipped:", e);
      change.notices = this.noteProblem(e) || change.notices;
    }
    const changedOf = (name: string) => {
      let s = change.kinds.get(name);
      if (!s) change.kinds.set(name, (s = new Set()));
      return s;
    };
    let gap = false;
    for (const r of delta.runs) change.runs = this.noteRun(r) || change.runs;
    for (const r of delta.reset) {
      const kind = this.kinds.find((k) => k.name === r.kind);
      if (kind && this.slice(kind).reset(r.run, r.tag)) changedOf(kind.name).add(seriesKey(r.run, r.tag));
    }
    for (const kind of this.kinds) {
      const entries = delta.entries.get(kind.name);
      if (!entries?.length) continue;
      for (const e of entries) change.runs = this.noteRun(e.run) || change.runs;
      const keys = new Set<string>();
      try {
        if (this.slice(kind).apply(entries, keys)) gap = true;
      } catch (err) {
        this.opts.log?.(`[cellboard] ${kind.name}:`, err);
        change.notices = this.noteProblem(`${kind.name}: ${String((err as Error)?.message ?? err)}`) || change.notices;
      }
      if (keys.size) for (const k of keys) changedOf(kind.name).add(k);
    }
    for (const [name, keys] of change.kinds) if (!keys.size) change.kinds.delete(name);
    if (delta.progress) {
      this.progress = delta.progress;
      change.progress = true;
    }
    if (delta.notices) {
      change.notices = !sameNotices(this.notices, delta.notices) || change.notices;
      this.notices = delta.notices;
    }
    if (delta.descriptions) change.descriptions = this.setDescriptions(delta.descriptions);
    this.emit(change);
    if (gap) this.hello(); // after this delta is fully applied: the answer may arrive synchronously
    return change;
  }

  /** Replace the described tags by Python's whole list; whether any tag's description changed. */
  private setDescriptions(list: readonly TagDescription[]): boolean {
    const byTag = new Map<string, TagDescription>();
    for (const d of [...list].sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0))) {
      if (!byTag.has(d.tag)) byTag.set(d.tag, d);
    }
    const same = byTag.size === this.descriptions.size && [...byTag].every(([tag, d]) => {
      const held = this.descriptions.get(tag);
      return held?.displayName === d.displayName && held.description === d.description;
    });
    this.descriptions = byTag;
    return !same;
  }

  /** Counts a problem of this view; true when the banner changes (at most 20 distinct messages). */
  private noteProblem(message: string): boolean {
    const had = this.viewProblems.get(message);
    if (had === undefined && this.viewProblems.size >= 20) return false;
    this.viewProblems.set(message, (had ?? 0) + 1);
    return true;
  }

  private noteRun(run: string): boolean {
    if (this.runOrder.has(run)) return false;
    this.runOrder.set(run, this.runOrder.size);
    this.runs = [...this.runs, run].sort();
    return true;
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
}

function sameNotices(a: readonly Notice[], b: readonly Notice[]): boolean {
  return a.length === b.length && a.every((n, i) => n.source === b[i].source && n.message === b[i].message);
}
