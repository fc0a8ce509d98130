// Decoding of the Board's custom messages (docs/protocol.md, v2), generic over the kinds registry:
// each kind decodes its own entries (`entries.<kind>`); kinds the registry does not know are
// ignored, so an older bundle never breaks on a newer kernel. Malformed entries are skipped and
// reported in `errors` (the store shows them in the notices banner); decoding never throws on bad input.

import { KINDS } from "./kinds";
import type { AnyKind, Entry, KindModule } from "./kinds/types";
import { Buffers, isObj, str, type Obj, type WireBuffer } from "./wire";

export { toArrayBuffer, toBytes, toFloat64, type WireBuffer } from "./wire";

/** Something the board could not read (a file, run or URL) and why. */
export interface Notice {
  source: string;
  message: string;
}

/** What a (run, tag)'s SummaryMetadata says besides its plugin (TensorFlow's `description=`). */
export interface TagDescription {
  run: string;
  tag: string;
  displayName: string;
  description: string;
}

/** How far the first read of a log directory has got (Python's `progress` field). */
export interface LoadProgress {
  runsRead: number;
  runs: number;
  bytesRead: number;
  bytes: number;
  loading: boolean;
}

/** A (kind, run, tag) whose history was rewritten (a purge): cleared before this delta's entries. */
export interface ResetEntry {
  kind: string;
  run: string;
  tag: string;
}

export interface Delta {
  seq: number;
  runs: string[];
  /** Decoded entries by kind name, for the registry's kinds present in the message. */
  entries: Map<string, Entry[]>;
  reset: ResetEntry[];
  /** The whole current notice list when the message has one (it replaces the held one), else null. */
  notices: Notice[] | null;
  /** Loading progress when the message has it, else null. */
  progress: LoadProgress | null;
  /** The whole current list of described tags when the message has one (it replaces the held one), else null. */
  descriptions: TagDescription[] | null;
  errors: string[];
}

export type Incoming =
  | { type: "delta"; delta: Delta }
  /** Any other message type (e.g. "range"): routed by the store to the kind that asked. */
  | { type: "reply"; replyType: string; content: Obj }
  | { type: "ignored"; reason: string };

const message = (err: unknown) => String((err as Error)?.message ?? err);

function decodeList<T>(list: unknown, decode: (e: Obj) => T, errors: string[], what: string): T[] {
  if (!Array.isArray(list)) return [];
  const out: T[] = [];
  for (const e of list) {
    try {
      if (!isObj(e)) throw new TypeError(`${what} entry is not an object`);
      out.push(decode(e));
    } catch (err) {
      const m = message(err);
      errors.push(m.startsWith(`${what} `) || m.startsWith(`${what}:`) ? m : `${what}: ${m}`); // which kind, for the banner
    }
  }
  return out;
}

function decodeReset(e: Obj): ResetEntry {
  const run = str(e.run), tag = str(e.tag), kind = str(e.kind);
  if (run === null || tag === null || kind === null) throw new TypeError("malformed reset entry");
  return { kind, run, tag };
}

function decodeNotice(e: Obj): Notice {
  const source = str(e.source), msg = str(e.message);
  if (source === null && msg === null) throw new TypeError("malformed notice");
  return { source: source ?? "", message: msg ?? "" };
}

function decodeDescription(e: Obj): TagDescription {
  const run = str(e.run), tag = str(e.tag);
  if (run === null || tag === null) throw new TypeError("malformed description");
  return { run, tag, displayName: str(e.display_name) ?? "", description: str(e.description) ?? "" };
}

function decodeProgress(e: unknown): LoadProgress | null {
  if (!isObj(e)) return null;
  const n = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : 0);
  return { runsRead: n(e.runs_read), runs: n(e.runs), bytesRead: n(e.bytes_read), bytes: n(e.bytes), loading: e.loading === true };
}

export function decodeDelta(content: Obj, buffers: readonly WireBuffer[] = [], kinds: readonly AnyKind[] = KINDS): Delta {
  const errors: string[] = [];
  const bufs = new Buffers(buffers);
  const runs = Array.isArray(content.runs) ? content.runs.filter((r): r is string => typeof r === "string") : [];
  const entries = new Map<string, Entry[]>();
  const wire = isObj(content.entries) ? content.entries : {};
  for (const kind of kinds) {
    // biome-ignore lint/suspicious/noPrototypeBuiltins: Object.hasOwn is ES2022; the bundle targets ES2020
    if (!Object.prototype.hasOwnProperty.call(wire, kind.name)) continue;
    entries.set(kind.name, decodeList(wire[kind.name], (e) => kind.decode(e, bufs), errors, kind.name));
  }
  const known = new Set(kinds.map((k) => k.name));
  return {
    seq: typeof content.seq === "number" ? content.seq : -1,
    runs,
    entries,
    reset: decodeList(content.reset, decodeReset, errors, "reset").filter((r) => known.has(r.kind)),
    notices: Array.isArray(content.notices) ? decodeList(content.notices, decodeNotice, errors, "notice") : null,
    progress: decodeProgress(content.progress),
    descriptions: Array.isArray(content.descriptions)
      ? decodeList(content.descriptions, decodeDescription, errors, "description") : null,
    errors,
  };
}

/** The decoded entries of one kind in a delta (empty when the message has none). */
export function entriesOf<E extends Entry>(delta: Delta, kind: Pick<KindModule<E, never>, "name" | "decode">): E[] {
  return (delta.entries.get(kind.name) ?? []) as E[];
}

export function decodeMessage(
  content: unknown, buffers?: readonly WireBuffer[] | null, kinds: readonly AnyKind[] = KINDS,
): Incoming {
  if (!isObj(content)) return { type: "ignored", reason: "not an object" };
  if (content.type === "delta") return { type: "delta", delta: decodeDelta(content, buffers ?? [], kinds) };
  if (typeof content.type === "string") return { type: "reply", replyType: content.type, content };
  return { type: "ignored", reason: `unknown type ${String(content.type)}` };
}
