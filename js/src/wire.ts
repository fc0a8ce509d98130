// Reading the Board's messages: binary buffers and loosely typed JSON fields (docs/protocol.md).
//
// Buffers arrive as DataView (sometimes ArrayBuffer or another typed-array view). A DataView's
// byteOffset need not be 8-aligned, so float64 columns are copied out before being viewed.
// Kind decoders throw on malformed entries; the caller skips and reports them.

export type WireBuffer = DataView | ArrayBuffer | ArrayBufferView;

export type Obj = Record<string, unknown>;

export const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
export const num = (x: unknown, dflt = NaN): number => (typeof x === "number" ? x : dflt);
export const str = (x: unknown): string | null => (typeof x === "string" ? x : null);
export const isCount = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;

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

/** The message's buffers, looked up by an entry's `buffer` field. */
export class Buffers {
  constructor(readonly list: readonly WireBuffer[] = []) {}

  /** The buffer an entry names in `field` (default "buffer"), or null when absent or out of range. */
  of(e: Obj, field = "buffer"): WireBuffer | null {
    const i = e[field];
    if (!isCount(i) || i >= this.list.length) return null;
    return this.list[i] ?? null;
  }
}
