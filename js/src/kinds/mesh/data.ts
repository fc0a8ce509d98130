// Meshes on the wire and in the store: one entry per logged tensor (the tag is the value tag,
// `<name>_VERTEX`/`_FACE`/`_COLOR`, so each list holds one content type and the generic
// records-by-index store applies), paired back into meshes per (run, name, step) here, as the
// kernel's `kinds/mesh.py: assemble` does. Pure functions only (tested in test/mesh.test.ts).
//
// Wire: `{run, tag, index, step, wall, name, content, shape: [B, N, 3], config, buffer}`, buffer =
// vertices float32, faces uint32 (vertex indices) or colours uint8 (0..255), little-endian, B*N*3 values.

import { str, toArrayBuffer, type Buffers, type Obj } from "../../wire";
import type { RecordEntry } from "../types";

export type MeshContent = "VERTEX" | "FACE" | "COLOR";

/** One tensor of a mesh summary (a list per value tag). */
export interface MeshPart extends RecordEntry {
  /** The tag given to add_mesh (the card's title). */
  name: string;
  content: MeshContent;
  /** B (meshes in the batch) and N (vertices, faces or colours per mesh). */
  batch: number;
  count: number;
  config: MeshConfig;
  data: Float32Array | Uint32Array | Uint8Array;
}

/** TensorBoard's mesh plugin config_dict (three.js class names and properties); all optional. */
export interface MeshConfig {
  camera?: { cls?: string; fov?: number; near?: number; far?: number; position?: number[] } & Obj;
  lights?: ({ cls?: string; color?: string | number; intensity?: number; position?: number[] } & Obj)[];
  material?: { cls?: string; size?: number } & Obj;
  [key: string]: unknown;
}

const BYTES: Record<MeshContent, number> = { VERTEX: 4, FACE: 4, COLOR: 1 };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The kind's fields of one wire entry (base = run, tag, index, step, wall). Throws when malformed. */
export function decodeMeshPart(e: Obj, buffers: Buffers, base: RecordEntry): MeshPart {
  const content = str(e.content);
  if (content !== "VERTEX" && content !== "FACE" && content !== "COLOR") {
    throw new TypeError(`mesh ${base.run}/${base.tag}: content must be VERTEX, FACE or COLOR, got ${String(e.content)}`);
  }
  const shape = e.shape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape[2] !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`mesh ${base.run}/${base.tag}: shape must be [B, N, 3], got ${JSON.stringify(shape)}`);
  }
  const [batch, count] = shape as number[];
  const buf = buffers.of(e);
  if (!buf) throw new RangeError(`missing buffer for mesh ${base.run}/${base.tag}`);
  const ab = toArrayBuffer(buf);
  const n = batch * count * 3;
  if (ab.byteLength !== n * BYTES[content]) {
    throw new RangeError(`mesh ${base.run}/${base.tag}: ${ab.byteLength} bytes for ${content} of shape [${batch}, ${count}, 3]`);
  }
  return {
    ...base,
    name: str(e.name) ?? base.tag.replace(/_(VERTEX|FACE|COLOR)$/, ""),
    content,
    batch,
    count,
    config: (isObj(e.config) ? e.config : {}) as MeshConfig,
    data: typedData(content, ab, n),
  };
}

function typedData(content: MeshContent, ab: ArrayBuffer, n: number): Float32Array | Uint32Array | Uint8Array {
  if (content === "COLOR") return new Uint8Array(ab);
  if (LITTLE_ENDIAN) return content === "VERTEX" ? new Float32Array(ab) : new Uint32Array(ab);
  const dv = new DataView(ab);
  const out = content === "VERTEX" ? new Float32Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = content === "VERTEX" ? dv.getFloat32(4 * i, true) : dv.getUint32(4 * i, true);
  return out;
}

/** A logged mesh or point cloud: its vertices, and faces/colours when logged with it. */
export interface MeshFrame {
  step: number;
  wall: number;
  vertex: MeshPart;
  face: MeshPart | null;
  color: MeshPart | null;
}

/**
 * Meshes from the parts of one (run, name), each list in (step, index) order: a vertex record is
 * paired with the face and colour records of its step in logging order (the k-th vertices of a
 * step with the k-th faces of that step), as the kernel's `assemble`.
 */
export function assembleMeshes(vertex: readonly MeshPart[], face: readonly MeshPart[], color: readonly MeshPart[]): MeshFrame[] {
  const byStep = (parts: readonly MeshPart[]) => {
    const m = new Map<number, MeshPart[]>();
    for (const p of parts) {
      const l = m.get(p.step);
      if (l) l.push(p);
      else m.set(p.step, [p]);
    }
    return m;
  };
  const faces = byStep(face), colors = byStep(color);
  const rank = new Map<number, number>();
  return vertex.map((v) => {
    const k = rank.get(v.step) ?? 0;
    rank.set(v.step, k + 1);
    return { step: v.step, wall: v.wall, vertex: v, face: faces.get(v.step)?.[k] ?? null, color: colors.get(v.step)?.[k] ?? null };
  });
}

/** One mesh of a frame's batch, ready for a BufferGeometry (faces and colours only when they fit). */
export interface MeshSample {
  positions: Float32Array;
  /** Triangles (3 vertex indices each) whose indices are all < the vertex count; null for a point cloud. */
  indices: Uint32Array | null;
  /** RGB 0..255 per vertex; null when none were logged (or their count differs from the vertices'). */
  colors: Uint8Array | null;
  vertexCount: number;
  faceCount: number;
  /** Faces dropped because they named a vertex that does not exist. */
  badFaces: number;
}

export function meshSample(frame: MeshFrame, b: number): MeshSample {
  const v = frame.vertex;
  const i = Math.min(Math.max(0, b), Math.max(0, v.batch - 1));
  const n = v.count;
  const positions = (v.data as Float32Array).subarray(i * n * 3, (i + 1) * n * 3);
  let indices: Uint32Array | null = null;
  let badFaces = 0;
  const f = frame.face;
  if (f && f.count > 0 && i < f.batch) {
    const raw = (f.data as Uint32Array).subarray(i * f.count * 3, (i + 1) * f.count * 3);
    let ok = 0;
    const out = new Uint32Array(raw.length);
    for (let t = 0; t < raw.length; t += 3) {
      if (raw[t] < n && raw[t + 1] < n && raw[t + 2] < n) {
        out[ok++] = raw[t];
        out[ok++] = raw[t + 1];
        out[ok++] = raw[t + 2];
      } else badFaces++;
    }
    indices = ok ? out.subarray(0, ok) : null;
  }
  const c = frame.color;
  const colors = c && c.count === n && i < c.batch ? (c.data as Uint8Array).subarray(i * n * 3, (i + 1) * n * 3) : null;
  return { positions, indices, colors, vertexCount: n, faceCount: indices ? indices.length / 3 : 0, badFaces };
}

/**
 * The sphere around the bounding box of the finite points (centre and radius; radius 0 for one
 * point, and centre 0 / radius 0 when there is none): what the camera is fitted to.
 */
export function boundingSphere(positions: ArrayLike<number>): { center: [number, number, number]; radius: number } {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  let any = false;
  for (let p = 0; p + 2 < positions.length; p += 3) {
    const x = positions[p], y = positions[p + 1], z = positions[p + 2];
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) continue;
    any = true;
    if (x < lo[0]) lo[0] = x;
    if (y < lo[1]) lo[1] = y;
    if (z < lo[2]) lo[2] = z;
    if (x > hi[0]) hi[0] = x;
    if (y > hi[1]) hi[1] = y;
    if (z > hi[2]) hi[2] = z;
  }
  if (!any) return { center: [0, 0, 0], radius: 0 };
  const center: [number, number, number] = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2];
  const radius = Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2;
  return { center, radius };
}

/** "1,234 vertices · 2,000 faces" (or "point cloud, 500 points"), for the card's info line. */
export function meshSummary(s: Pick<MeshSample, "vertexCount" | "faceCount">): string {
  const n = s.vertexCount.toLocaleString("en-US");
  return s.faceCount > 0 ? `${n} vertices · ${s.faceCount.toLocaleString("en-US")} faces` : `point cloud · ${n} points`;
}
