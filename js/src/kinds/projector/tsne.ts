// t-SNE (van der Maaten & Hinton 2008) for the projector's sample: input similarities from each
// point's 3 x perplexity nearest neighbours (a binary search for the kernel width matching the
// perplexity, then symmetrized, as Barnes-Hut-SNE's input stage), and the exact gradient (all pairs),
// with early exaggeration, momentum and per-coordinate gains. Exact repulsion is O(m^2) per
// iteration, which is why the projector runs it on a sample (TSNE_SAMPLE points): one iteration
// is one slice of main-thread work.

import { mulberry32 } from "./layout";

export interface TsneOptions {
  perplexity?: number;
  iterations?: number;
  dims: 2 | 3;
  seed?: number;
}

export const EXAGGERATION_ITERS = 250;

export class Tsne {
  readonly y: Float64Array;
  iter = 0;
  readonly iterations: number;
  private readonly gains: Float64Array;
  private readonly velocity: Float64Array;
  private readonly grad: Float64Array;
  // symmetric sparse P as CSR
  private readonly rowStart: Int32Array;
  private readonly cols: Int32Array;
  private readonly p: Float64Array;

  /**
   * `knnIndices`/`knnDistances`: m x k (KnnGraph: each row's own index first), k ~ 3 x perplexity.
   */
  constructor(readonly m: number, knnIndices: Int32Array, knnDistances: Float32Array, readonly k: number, private readonly opts: TsneOptions) {
    this.iterations = opts.iterations ?? 500;
    const perplexity = Math.max(2, Math.min(opts.perplexity ?? 30, (m - 1) / 3));
    const cond = conditionalP(m, knnIndices, knnDistances, k, perplexity);
    // symmetrize: p_ij = (p_j|i + p_i|j) / 2m
    const sym = new Map<number, number>();
    for (let i = 0; i < m; i++) {
      for (let t = 0; t < k; t++) {
        const j = knnIndices[i * k + t];
        if (j === i) continue;
        const v = cond[i * k + t];
        const a = Math.min(i, j), b = Math.max(i, j);
        const key = a * m + b;
        sym.set(key, (sym.get(key) ?? 0) + v);
      }
    }
    const counts = new Int32Array(m + 1);
    for (const key of sym.keys()) {
      counts[Math.floor(key / m) + 1]++;
      counts[(key % m) + 1]++;
    }
    for (let i = 0; i < m; i++) counts[i + 1] += counts[i];
    this.rowStart = counts.slice();
    const fill = counts.slice(0, m);
    this.cols = new Int32Array(counts[m]);
    this.p = new Float64Array(counts[m]);
    for (const [key, v] of sym) {
      const a = Math.floor(key / m), b = key % m;
      const pv = v / (2 * m);
      this.cols[fill[a]] = b;
      this.p[fill[a]++] = pv;
      this.cols[fill[b]] = a;
      this.p[fill[b]++] = pv;
    }
    const rand = mulberry32(opts.seed ?? 7);
    this.y = new Float64Array(m * opts.dims);
    for (let i = 0; i < this.y.length; i++) this.y[i] = 1e-4 * gaussian(rand);
    this.gains = new Float64Array(this.y.length).fill(1);
    this.velocity = new Float64Array(this.y.length);
    this.grad = new Float64Array(this.y.length);
  }

  get done(): boolean {
    return this.iter >= this.iterations;
  }

  /** One gradient step. */
  step(): void {
    const { m, y, grad, gains, velocity } = this;
    const dims = this.opts.dims;
    const exaggeration = this.iter < EXAGGERATION_ITERS ? 12 : 1;
    const momentum = this.iter < EXAGGERATION_ITERS ? 0.5 : 0.8;
    const lr = Math.max(50, m / 12);
    grad.fill(0);
    // repulsion over all pairs: sum_j q_ij^2 (y_i - y_j) / Z, with q_ij = 1 / (1 + |y_i - y_j|^2)
    let z = 0;
    const rep = new Float64Array(m * dims);
    for (let i = 0; i < m; i++) {
      const oi = i * dims;
      for (let j = i + 1; j < m; j++) {
        const oj = j * dims;
        let d2 = 0;
        for (let t = 0; t < dims; t++) {
          const u = y[oi + t] - y[oj + t];
          d2 += u * u;
        }
        const q = 1 / (1 + d2);
        z += 2 * q;
        const q2 = q * q;
        for (let t = 0; t < dims; t++) {
          const f = q2 * (y[oi + t] - y[oj + t]);
          rep[oi + t] += f;
          rep[oj + t] -= f;
        }
      }
    }
    // attraction over the sparse P: sum_j p_ij q_ij (y_i - y_j)
    for (let i = 0; i < m; i++) {
      const oi = i * dims;
      for (let e = this.rowStart[i]; e < this.rowStart[i + 1]; e++) {
        const oj = this.cols[e] * dims;
        let d2 = 0;
        for (let t = 0; t < dims; t++) {
          const u = y[oi + t] - y[oj + t];
          d2 += u * u;
        }
        const f = (exaggeration * this.p[e]) / (1 + d2);
        for (let t = 0; t < dims; t++) grad[oi + t] += f * (y[oi + t] - y[oj + t]);
      }
    }
    const invZ = z > 0 ? 1 / z : 0;
    for (let i = 0; i < grad.length; i++) {
      const g = 4 * (grad[i] - rep[i] * invZ);
      gains[i] = Math.sign(g) !== Math.sign(velocity[i]) ? gains[i] + 0.2 : Math.max(0.01, gains[i] * 0.8);
      velocity[i] = momentum * velocity[i] - lr * gains[i] * g;
      y[i] += velocity[i];
    }
    // keep the layout centred
    for (let t = 0; t < dims; t++) {
      let mean = 0;
      for (let i = 0; i < m; i++) mean += y[i * dims + t];
      mean /= m;
      for (let i = 0; i < m; i++) y[i * dims + t] -= mean;
    }
    this.iter++;
  }
}

/** p_j|i over each row's neighbours (itself excluded), each row's kernel width set by binary search. */
export function conditionalP(m: number, idx: Int32Array, dist: Float32Array, k: number, perplexity: number): Float64Array {
  const out = new Float64Array(m * k);
  const target = Math.log(perplexity);
  for (let i = 0; i < m; i++) {
    let beta = 1, lo = -Infinity, hi = Infinity;
    const base = i * k;
    for (let attempt = 0; attempt < 64; attempt++) {
      let sum = 0, dsum = 0;
      for (let t = 0; t < k; t++) {
        if (idx[base + t] === i) {
          out[base + t] = 0;
          continue;
        }
        const d2 = dist[base + t] * dist[base + t];
        const v = Math.exp(-beta * d2);
        out[base + t] = v;
        sum += v;
        dsum += d2 * v;
      }
      if (sum === 0) {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
        continue;
      }
      const entropy = Math.log(sum) + (beta * dsum) / sum;
      for (let t = 0; t < k; t++) out[base + t] /= sum;
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  return out;
}

function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand()), v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
