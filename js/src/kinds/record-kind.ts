// Record kinds (every kind but scalars): each entry is one record `{run, tag, index, step, wall,
// ...fields, buffer?}`, stored by index per (run, tag). Putting an index twice is a no-op; a hole
// below a received index is a gap (the store says hello). recordKind() turns a kind's own parts
// (its fields, its panel) into a KindModule.

import type { BoardStore } from "../store";
import { isCount, num, str, type Buffers, type Obj } from "../wire";
import {
  seriesKey, type KindModule, type Panel, type PanelContext, type RecordEntry, type Slice,
} from "./types";

/** Records of one (run, tag) by index; the sorted view is cached. */
export class RecordList<T extends RecordEntry> {
  byIndex: (T | undefined)[] = [];
  count = 0;
  /** Records steps logged again have replaced (the latest count an entry carried). */
  replaced = 0;
  /** Bumped on every change. */
  version = 0;
  private sorted: T[] | null = null;

  constructor(readonly run: string, readonly tag: string) {}

  /** Returns false if the index was already held (no-op). */
  put(rec: T): boolean {
    const replaced = rec.replaced ?? 0;
    if (replaced > this.replaced) {
      this.replaced = replaced;
      this.version++;
    }
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
    this.replaced = 0;
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

/** The store slice of a record kind: a RecordList per (run, tag). */
export class RecordSlice<T extends RecordEntry> implements Slice<T> {
  readonly lists = new Map<string, RecordList<T>>();

  get(run: string, tag: string): RecordList<T> | undefined {
    return this.lists.get(seriesKey(run, tag));
  }

  apply(entries: readonly T[], changed: Set<string>): boolean {
    let gap = false;
    for (const rec of entries) {
      const key = seriesKey(rec.run, rec.tag);
      let l = this.lists.get(key);
      if (!l) this.lists.set(key, (l = new RecordList<T>(rec.run, rec.tag)));
      if (l.put(rec)) changed.add(key);
      if (l.hasHole()) gap = true;
    }
    return gap;
  }

  reset(run: string, tag: string): boolean {
    const l = this.get(run, tag);
    if (!l) return false;
    l.clear();
    return true;
  }

  hasData(): boolean {
    for (const l of this.lists.values()) if (l.count > 0) return true;
    return false;
  }

  /** Records held, all (run, tag) lists. */
  count(): number {
    let n = 0;
    for (const l of this.lists.values()) n += l.count;
    return n;
  }
}

/** run, tag, index, step and wall of a record entry (throws when run, tag or index is missing). */
export function decodeRecordBase(e: Obj, kind: string): RecordEntry {
  const run = str(e.run), tag = str(e.tag);
  if (run === null || tag === null) throw new TypeError(`${kind} entry without run/tag`);
  if (!isCount(e.index)) throw new TypeError(`bad index for ${kind} ${run}/${tag}`);
  const base: RecordEntry = { run, tag, index: e.index, step: num(e.step, 0), wall: num(e.wall, NaN) };
  if (isCount(e.replaced) && e.replaced > 0) base.replaced = e.replaced;
  return base;
}

/** What a record kind defines itself; recordKind() supplies the record-by-index machinery. */
export interface RecordKindSpec<T extends RecordEntry>
  extends Omit<KindModule<T, RecordSlice<T>>, "decode" | "createSlice" | "createPanel"> {
  /**
   * The record from its wire entry: `base` (run, tag, index, step, wall) is already read; add
   * the kind's own fields and decode its buffer (`buffers.of(e)`). Throw when malformed.
   */
  decode(e: Obj, buffers: Buffers, base: RecordEntry): T;
  /** The tab's panel; `records` is this kind's slice of the view's store. */
  createPanel(ctx: PanelContext, records: RecordSlice<T>): Panel;
}

/** The module of a record kind. */
export type RecordKind<T extends RecordEntry> = KindModule<T, RecordSlice<T>>;

export function recordKind<T extends RecordEntry>(spec: RecordKindSpec<T>): RecordKind<T> {
  const kind: KindModule<T, RecordSlice<T>> = {
    ...spec,
    decode: (e, buffers) => spec.decode(e, buffers, decodeRecordBase(e, spec.name)),
    createSlice: () => new RecordSlice<T>(),
    createPanel: (ctx) => spec.createPanel(ctx, ctx.store.slice(kind)),
  };
  return kind;
}

/** Records held by a record kind (for its test hook). */
export const recordCount = <T extends RecordEntry>(store: BoardStore, kind: RecordKind<T>) =>
  store.slice(kind).count();
