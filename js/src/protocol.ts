// Decoding of the Board's custom messages (docs/protocol.md).
//
// Buffers arrive as DataView (sometimes ArrayBuffer or another typed-array view). A DataView's
// byteOffset need not be 8-aligned, so float64 columns are copied out before being viewed.
// Malformed entries are skipped and reported in `errors`; decoding never throws on bad input.

export type WireBuffer = DataView | ArrayBuffer | ArrayBufferView;

export interface ScalarChunk {
  run: string;
  tag: string;
  epoch: number;
  offset: number;
  count: number;
  decimated: boolean;
  total: number;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
}

interface RecordBase {
  run: string;
  tag: string;
  index: number;
  step: number;
  wall: number;
}

export interface ImageRecord extends RecordBase {
  width: number;
  height: number;
  mime: string;
  bytes: Uint8Array;
}

export interface HistogramRecord extends RecordBase {
  k: number;
  edges: Float64Array; // k + 1
  counts: Float64Array; // k
}

export interface TextRecord extends RecordBase {
  text: string;
}

export interface Delta {
  seq: number;
  runs: string[];
  scalars: ScalarChunk[];
  images: ImageRecord[];
  histograms: HistogramRecord[];
  text: TextRecord[];
  /** Record lists whose history was rewritten (a purge): cleared before this delta's records. */
  reset: { kind: "images" | "histograms" | "text"; run: string; tag: string }[];
  errors: string[];
}

export interface RangeReply {
  id: number;
  run: string;
  tag: string;
  count: number;
  decimated: boolean;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
}

export type Incoming =
  | { type: "delta"; delta: Delta }
  | { type: "range"; reply: RangeReply | null; errors: string[] }
  | { type: "ignored"; reason: string };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A private copy of the buffer's bytes (an ArrayBuffer is used as is). */
export function toArrayBuffer(buf: WireBuffer): ArrayBuffer {
  if (buf instanceof ArrayBuffer) return buf;
  if (ArrayBuffer.isView(buf)) {
    const src = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const out = new Uint8Array(buf.byteLength);
    out.set(src);
    return out.buffer;
  }
  throw new TypeError("not a binary buffer");
}

export function toBytes(buf: WireBuffer): Uint8Array {
  return new Uint8Array(toArrayBuffer(buf));
}

/** Little-endian float64 values of a buffer, copied out (any byteOffset). */
export function toFloat64(buf: WireBuffer): Float64Array {
  const ab = toArrayBuffer(buf);
  if (ab.byteLength % 8 !== 0) throw new RangeError(`float64 buffer of ${ab.byteLength} bytes`);
  if (LITTLE_ENDIAN) return new Float64Array(ab);
  const dv = new DataView(ab);
  const out = new Float64Array(ab.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const num = (x: unknown, dflt = NaN): number => (typeof x === "number" ? x : dflt);
const str = (x: unknown): string | null => (typeof x === "string" ? x : null);
const isCount = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;

function bufferAt(buffers: readonly WireBuffer[], i: unknown): WireBuffer | null {
  if (!isCount(i) || i >= buffers.length) return null;
  return buffers[i] ?? null;
}

/** steps | walls | values, `count` each, as three views on one copied array. */
function threeColumns(buf: WireBuffer, count: number): [Float64Array, Float64Array, Float64Array] {
  const all = toFloat64(buf);
  if (all.length !== 3 * count) throw new RangeError(`expected ${3 * count} float64, got ${all.length}`);
  return [all.subarray(0, count), all.subarray(count, 2 * count), all.subarray(2 * count, 3 * count)];
}

function decodeScalar(e: unknown, buffers: readonly WireBuffer[]): ScalarChunk {
  if (!isObj(e)) throw new TypeError("scalar entry is not an object");
  const run = str(e.run), tag = str(e.tag);
  if (run === null || tag === null) throw new TypeError("scalar entry without run/tag");
  if (!isCount(e.offset) || !isCount(e.count)) throw new TypeError(`bad offset/count for ${run}/${tag}`);
  const buf = bufferAt(buffers, e.buffer);
  let cols: [Float64Array, Float64Array, Float64Array];
  if (buf) cols = threeColumns(buf, e.count);
  else if (e.count === 0) cols = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
  else throw new RangeError(`missing buffer for ${run}/${tag}`);
  return {
    run, tag,
    epoch: num(e.epoch, 0),
    offset: e.offset,
    count: e.count,
    decimated: e.decimated === true,
    total: isCount(e.total) ? e.total : e.offset + e.count,
    steps: cols[0], walls: cols[1], values: cols[2],
  };
}

function recordBase(e: Obj, kind: string): RecordBase {
  const run = str(e.run), tag = str(e.tag);
  if (run === null || tag === null) throw new TypeError(`${kind} entry without run/tag`);
  if (!isCount(e.index)) throw new TypeError(`bad index for ${kind} ${run}/${tag}`);
  return { run, tag, index: e.index, step: num(e.step, 0), wall: num(e.wall, NaN) };
}

function decodeImage(e: unknown, buffers: readonly WireBuffer[]): ImageRecord {
  if (!isObj(e)) throw new TypeError("image entry is not an object");
  const base = recordBase(e, "image");
  const buf = bufferAt(buffers, e.buffer);
  if (!buf) throw new RangeError(`missing buffer for image ${base.run}/${base.tag}`);
  return {
    ...base,
    width: num(e.width, 0), height: num(e.height, 0),
    mime: str(e.mime) ?? "image/png",
    bytes: toBytes(buf),
  };
}

function decodeHistogram(e: unknown, buffers: readonly WireBuffer[]): HistogramRecord {
  if (!isObj(e)) throw new TypeError("histogram entry is not an object");
  const base = recordBase(e, "histogram");
  const buf = bufferAt(buffers, e.buffer);
  if (!buf) throw new RangeError(`missing buffer for histogram ${base.run}/${base.tag}`);
  const all = toFloat64(buf);
  const k = isCount(e.k) ? e.k : (all.length - 1) / 2;
  if (!Number.isInteger(k) || all.length !== 2 * k + 1) {
    throw new RangeError(`histogram ${base.run}/${base.tag}: ${all.length} float64 for k=${e.k}`);
  }
  return { ...base, k, edges: all.subarray(0, k + 1), counts: all.subarray(k + 1) };
}

function decodeText(e: unknown): TextRecord {
  if (!isObj(e)) throw new TypeError("text entry is not an object");
  const base = recordBase(e, "text");
  return { ...base, text: str(e.text) ?? "" };
}

function decodeList<T>(list: unknown, decode: (e: unknown) => T, errors: string[]): T[] {
  if (!Array.isArray(list)) return [];
  const out: T[] = [];
  for (const e of list) {
    try {
      out.push(decode(e));
    } catch (err) {
      errors.push(String((err as Error).message ?? err));
    }
  }
  return out;
}

function decodeReset(e: unknown): Delta["reset"][number] {
  if (!isObj(e)) throw new TypeError("reset entry is not an object");
  const run = str(e.run), tag = str(e.tag), kind = e.kind;
  if (run === null || tag === null || (kind !== "images" && kind !== "histograms" && kind !== "text")) {
    throw new TypeError("malformed reset entry");
  }
  return { kind, run, tag };
}

export function decodeDelta(content: Obj, buffers: readonly WireBuffer[] = []): Delta {
  const errors: string[] = [];
  const runs = Array.isArray(content.runs) ? content.runs.filter((r): r is string => typeof r === "string") : [];
  return {
    seq: num(content.seq, -1),
    runs,
    scalars: decodeList(content.scalars, (e) => decodeScalar(e, buffers), errors),
    images: decodeList(content.images, (e) => decodeImage(e, buffers), errors),
    histograms: decodeList(content.histograms, (e) => decodeHistogram(e, buffers), errors),
    text: decodeList(content.text, decodeText, errors),
    reset: decodeList(content.reset, decodeReset, errors),
    errors,
  };
}

export function decodeRange(content: Obj, buffers: readonly WireBuffer[] = []): RangeReply {
  const run = str(content.run), tag = str(content.tag);
  if (!isCount(content.id) || run === null || tag === null || !isCount(content.count)) {
    throw new TypeError("malformed range reply");
  }
  const buf = bufferAt(buffers, content.buffer ?? 0);
  const cols = buf ? threeColumns(buf, content.count)
    : content.count === 0 ? [new Float64Array(0), new Float64Array(0), new Float64Array(0)] : null;
  if (!cols) throw new RangeError("range reply without buffer");
  return {
    id: content.id, run, tag, count: content.count, decimated: content.decimated === true,
    steps: cols[0], walls: cols[1], values: cols[2],
  };
}

export function decodeMessage(content: unknown, buffers?: readonly WireBuffer[] | null): Incoming {
  if (!isObj(content)) return { type: "ignored", reason: "not an object" };
  const bufs = buffers ?? [];
  if (content.type === "delta") return { type: "delta", delta: decodeDelta(content, bufs) };
  if (content.type === "range") {
    try {
      return { type: "range", reply: decodeRange(content, bufs), errors: [] };
    } catch (err) {
      return { type: "range", reply: null, errors: [String((err as Error).message)] };
    }
  }
  return { type: "ignored", reason: `unknown type ${String(content.type)}` };
}
