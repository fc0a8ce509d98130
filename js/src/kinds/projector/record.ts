// An embedding as the kernel sends it (docs/protocol.md, `embeddings`): its PCA, metadata columns,
// sprite and, within the kernel's byte budget, the original matrix (float32, or float16 times
// `scale`) for nearest neighbours in the original space.
// Buffer: variance ratios (float64 x components) | PCA coordinates (float32, n x components) |
// matrix (n x dim, when `matrix` is not "none") | sprite PNG (`sprite_bytes`).

import { isCount, num, str, toArrayBuffer, type Buffers, type Obj } from "../../wire";
import type { RecordEntry } from "../types";

export type MatrixEncoding = "float32" | "float16" | "none";

export interface EmbeddingRecord extends RecordEntry {
  /** Points. */
  n: number;
  /** Dimensions of the original vectors. */
  dim: number;
  /** PCA components sent (coordinates per point). */
  components: number;
  /** Fraction of the total variance each component explains. */
  variance: Float64Array;
  /** PCA coordinates, n x components, row-major. */
  coords: Float32Array;
  /** The original vectors (n x dim, row-major), or null when the kernel's budget left them out. */
  matrix: Float32Array | null;
  matrixEncoding: MatrixEncoding;
  /** Metadata column names ("label" for torch's single-column metadata); empty without metadata. */
  columns: string[];
  /** Column-major metadata: values[column][point]. */
  values: string[][];
  /** sprite.png's bytes, or null. */
  sprite: Uint8Array | null;
  /** [width, height] of one image in the sprite. */
  spriteDim: [number, number] | null;
  /** What the kernel left out and why (metadata or a sprite that does not fit the points), or "". */
  note: string;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let HALF: Float32Array | null = null;

/** float32 value of every IEEE 754 half-precision bit pattern (built once, 256 KB). */
export function halfTable(): Float32Array {
  if (HALF) return HALF;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24; // subnormal
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  HALF = t;
  return t;
}

/** Little-endian float16 values (bytes) as float32, times `scale`. */
export function decodeHalf(bytes: Uint8Array, scale: number): Float32Array {
  const table = halfTable();
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = table[bytes[j] | (bytes[j + 1] << 8)] * scale;
  return out;
}

function float32s(bytes: Uint8Array): Float32Array {
  const copy = bytes.slice(); // aligned, private
  if (LITTLE_ENDIAN) return new Float32Array(copy.buffer, 0, copy.length >> 2);
  const dv = new DataView(copy.buffer);
  const out = new Float32Array(copy.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

function float64s(bytes: Uint8Array): Float64Array {
  const copy = bytes.slice();
  if (LITTLE_ENDIAN) return new Float64Array(copy.buffer, 0, copy.length >> 3);
  const dv = new DataView(copy.buffer);
  const out = new Float64Array(copy.length >> 3);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}

/** One wire entry of `entries.embeddings`; throws when its fields and buffer disagree. */
export function decodeEmbedding(e: Obj, buffers: Buffers, base: RecordEntry): EmbeddingRecord {
  const where = `embedding ${base.run}/${base.tag}`;
  const { n, dim, components } = e;
  if (!isCount(n) || !isCount(dim) || !isCount(components)) throw new TypeError(`${where}: bad n/dim/components`);
  const enc = str(e.matrix) ?? "none";
  if (enc !== "float32" && enc !== "float16" && enc !== "none") throw new TypeError(`${where}: matrix ${enc}?`);
  const spriteBytes = isCount(e.sprite_bytes) ? e.sprite_bytes : 0;
  const buf = buffers.of(e);
  if (!buf) throw new RangeError(`${where}: missing buffer`);
  const bytes = new Uint8Array(toArrayBuffer(buf));
  const matBytes = enc === "none" ? 0 : n * dim * (enc === "float32" ? 4 : 2);
  const want = components * 8 + n * components * 4 + matBytes + spriteBytes;
  if (bytes.length !== want) throw new RangeError(`${where}: buffer of ${bytes.length} bytes, expected ${want}`);
  let at = 0;
  const take = (len: number) => bytes.subarray(at, (at += len));
  const variance = float64s(take(components * 8));
  const coords = float32s(take(n * components * 4));
  const rawMatrix = take(matBytes);
  const matrix = enc === "float32" ? float32s(rawMatrix) : enc === "float16" ? decodeHalf(rawMatrix, num(e.scale, 1)) : null;
  const sprite = spriteBytes ? take(spriteBytes).slice() : null;
  const columns = Array.isArray(e.columns) ? e.columns.map((c) => String(c)) : [];
  const rawValues = Array.isArray(e.metadata) ? e.metadata : [];
  if (rawValues.length !== columns.length) throw new RangeError(`${where}: ${columns.length} columns, ${rawValues.length} value lists`);
  const values = rawValues.map((col, j) => {
    if (!Array.isArray(col) || col.length !== n) throw new RangeError(`${where}: column ${columns[j]} needs ${n} values`);
    return col.map((v) => String(v));
  });
  const sd = e.sprite_dim;
  const spriteDim: [number, number] | null =
    Array.isArray(sd) && sd.length === 2 && isCount(sd[0]) && isCount(sd[1]) && sd[0] > 0 && sd[1] > 0 ? [sd[0], sd[1]] : null;
  return {
    ...base, n, dim, components, variance, coords, matrix, matrixEncoding: enc, columns, values,
    sprite: spriteDim ? sprite : null, spriteDim, note: typeof e.note === "string" ? e.note : "",
  };
}

/**
 * One embedding per run, tag and step, the one that arrived last (the highest index): a config
 * written again, or a tensor named after it was shown, lists the same embedding again (the files
 * hold the latest), as TensorBoard's projector lists a tensor once. Sorted by run, tag, step.
 */
export function latestPerStep<R extends { run: string; tag: string; step: number; index: number }>(recs: readonly R[]): R[] {
  const by = new Map<string, R>();
  for (const r of recs) {
    const k = `${r.run}\u0000${r.tag}\u0000${r.step}`;
    const had = by.get(k);
    if (!had || r.index > had.index) by.set(k, r);
  }
  return [...by.values()].sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0) || a.step - b.step);
}

/** "run · tag · step 3" for the embedding picker. */
export const embeddingName = (r: { run: string; tag: string; step: number }) => `${r.run} · ${r.tag} · step ${r.step}`;
