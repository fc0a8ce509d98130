// Nearest neighbours of one point by brute force over row-major vectors (the original matrix, or
// the PCA components when the kernel's budget left the matrix out): cosine distance (1 - cos) or
// euclidean. One query over 10,000 x 784 is ~8M multiply-adds: a few milliseconds.

export type Metric = "cosine" | "euclidean";

export interface Neighbour {
  index: number;
  distance: number;
}

/** Euclidean norm of each row. */
export function rowNorms(data: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * dim, end = j + dim; j < end; j++) s += data[j] * data[j];
    out[i] = Math.sqrt(s);
  }
  return out;
}

/**
 * The `k` rows nearest row `query` (itself excluded), closest first; ties by index. `norms`
 * (rowNorms) may be passed to save recomputing them for cosine; a zero vector is at distance 1.
 */
export function nearest(
  data: Float32Array, n: number, dim: number, query: number, k: number, metric: Metric, norms?: Float32Array,
): Neighbour[] {
  if (query < 0 || query >= n || k <= 0) return [];
  const q = query * dim;
  const qn = metric === "cosine" ? (norms ? norms[query] : rowNorm(data, q, dim)) : 0;
  const heap = new MaxHeap(Math.min(k, n - 1));
  for (let i = 0; i < n; i++) {
    if (i === query) continue;
    const o = i * dim;
    let d: number;
    if (metric === "euclidean") {
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const t = data[o + j] - data[q + j];
        s += t * t;
      }
      d = Math.sqrt(s);
    } else {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += data[o + j] * data[q + j];
      const ni = norms ? norms[i] : rowNorm(data, o, dim);
      d = qn > 0 && ni > 0 ? 1 - dot / (qn * ni) : 1;
    }
    if (Number.isNaN(d)) continue;
    heap.offer(i, d);
  }
  return heap.sorted();
}

function rowNorm(data: Float32Array, o: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += data[o + j] * data[o + j];
  return Math.sqrt(s);
}

/** The k smallest (distance, index) pairs seen: a binary max-heap on distance. */
class MaxHeap {
  private readonly idx: Int32Array;
  private readonly dist: Float64Array;
  private size = 0;

  constructor(private readonly cap: number) {
    this.idx = new Int32Array(Math.max(0, cap));
    this.dist = new Float64Array(Math.max(0, cap));
  }

  private worse(a: number, b: number): boolean {
    return this.dist[a] > this.dist[b] || (this.dist[a] === this.dist[b] && this.idx[a] > this.idx[b]);
  }

  private swap(a: number, b: number) {
    const i = this.idx[a], d = this.dist[a];
    this.idx[a] = this.idx[b];
    this.dist[a] = this.dist[b];
    this.idx[b] = i;
    this.dist[b] = d;
  }

  offer(index: number, d: number) {
    if (this.cap === 0) return;
    if (this.size < this.cap) {
      let c = this.size++;
      this.idx[c] = index;
      this.dist[c] = d;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.worse(c, p)) break;
        this.swap(c, p);
        c = p;
      }
      return;
    }
    if (d > this.dist[0] || (d === this.dist[0] && index > this.idx[0])) return;
    this.idx[0] = index;
    this.dist[0] = d;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1, r = l + 1;
      let m = p;
      if (l < this.size && this.worse(l, m)) m = l;
      if (r < this.size && this.worse(r, m)) m = r;
      if (m === p) break;
      this.swap(m, p);
      p = m;
    }
  }

  sorted(): Neighbour[] {
    const out: Neighbour[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.idx[i], distance: this.dist[i] });
    return out.sort((a, b) => a.distance - b.distance || a.index - b.index);
  }
}
