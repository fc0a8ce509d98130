// Point layouts: PCA straight from the kernel's components, UMAP (umap-js) and t-SNE (tsne.ts) on
// demand over a sample, as TensorBoard's projector does. Positions are n x 3 (z = 0 in 2D),
// centred and scaled to fit [-1, 1].

/** A deterministic PRNG (mulberry32): the same data gives the same sample and layout. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to `max` of 0..n-1, ascending, a fixed random choice (all of them when n <= max). */
export function sampleIndices(n: number, max: number, seed = 1): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  const pick = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = pick[i];
    pick[i] = pick[j];
    pick[j] = t;
  }
  return pick.subarray(0, max).sort();
}

/** Centre the bounding box on 0 and scale it so that its longest half-side is 1 (in place); returns it. */
export function normalize(pos: Float32Array): Float32Array {
  const n = pos.length / 3;
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = pos[i * 3 + k];
      if (!Number.isFinite(v)) continue;
      if (v < lo[k]) lo[k] = v;
      if (v > hi[k]) hi[k] = v;
    }
  }
  const mid = [0, 1, 2].map((k) => (hi[k] >= lo[k] ? (lo[k] + hi[k]) / 2 : 0));
  const half = Math.max(0, ...[0, 1, 2].map((k) => (hi[k] >= lo[k] ? (hi[k] - lo[k]) / 2 : 0)));
  const s = half > 0 ? 1 / half : 1;
  for (let i = 0; i < pos.length; i++) {
    const v = (pos[i] - mid[i % 3]) * s;
    pos[i] = Number.isFinite(v) ? v : 0;
  }
  return pos;
}

/** Positions from the first `dims` (2 or 3) of `components` PCA coordinates per point. */
export function pcaPositions(coords: Float32Array, n: number, components: number, dims: 2 | 3): Float32Array {
  const pos = new Float32Array(n * 3);
  const use = Math.min(dims, components);
  for (let i = 0; i < n; i++) for (let k = 0; k < use; k++) pos[i * 3 + k] = coords[i * components + k];
  return normalize(pos);
}

/** The rows `rows` of an n x c row-major matrix, as one m x c matrix. */
export function takeRows(data: Float32Array, c: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * c);
  for (let r = 0; r < rows.length; r++) out.set(data.subarray(rows[r] * c, rows[r] * c + c), r * c);
  return out;
}

/**
 * Exact k nearest neighbours (euclidean, each row's own index first at distance 0) of every row of an
 * m x c matrix, computed in slices: `step(deadline)` works until performance.now() passes it and
 * returns true once done.
 */
export class KnnGraph {
  readonly indices: Int32Array;
  readonly distances: Float32Array;
  private row = 0;

  constructor(private readonly data: Float32Array, readonly m: number, private readonly c: number, readonly k: number) {
    this.indices = new Int32Array(m * k);
    this.distances = new Float32Array(m * k);
  }

  get progress(): number {
    return this.m ? this.row / this.m : 1;
  }

  step(deadline: number): boolean {
    const { data, m, c, k } = this;
    const d2 = new Float64Array(m);
    while (this.row < m) {
      const i = this.row++;
      const o = i * c;
      for (let j = 0; j < m; j++) {
        let s = 0;
        const p = j * c;
        for (let t = 0; t < c; t++) {
          const u = data[o + t] - data[p + t];
          s += u * u;
        }
        d2[j] = s;
      }
      d2[i] = -1; // itself first
      const best = selectSmallest(d2, k);
      for (let t = 0; t < k; t++) {
        this.indices[i * k + t] = best[t];
        this.distances[i * k + t] = best[t] === i ? 0 : Math.sqrt(d2[best[t]]);
      }
      if ((i & 7) === 7 && performance.now() > deadline) break;
    }
    return this.row >= m;
  }
}

/** Indices of the k smallest values, ascending by value (k small: insertion into a sorted list). */
export function selectSmallest(values: Float64Array, k: number): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let j = 0; j < values.length; j++) {
    const v = values[j];
    if (idx.length === k && v >= val[k - 1]) continue;
    let p = idx.length === k ? k - 1 : idx.length;
    while (p > 0 && val[p - 1] > v) {
      if (p < k) {
        val[p] = val[p - 1];
        idx[p] = idx[p - 1];
      }
      p--;
    }
    val[p] = v;
    idx[p] = j;
  }
  return idx;
}
