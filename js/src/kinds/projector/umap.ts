// UMAP (McInnes, Healy & Melville 2018) in typed arrays, resumable, for main-thread slices: the
// fuzzy simplicial set of a kNN graph (each point's rho and sigma by binary search, then the fuzzy
// union A + A^T - A∘A^T), then stochastic gradient descent with negative sampling, one epoch per
// step(). umap-js blocks the page in initializeFit (its fuzzy set alone: 1.3 s at 2,000 points,
// 5 s at 5,000, measured) and needs 63 ms per epoch at 5,000: see docs/decisions.md.

import { mulberry32 } from "./layout";

/** The curve 1 / (1 + a d^2b) for min_dist 0.1 and spread 1 (umap-learn's defaults, fitted there). */
const A = 1.5769, B = 0.8951;
const NEGATIVE_SAMPLES = 5;
const REPULSION = 1;
const CLIP = 4;

export interface UmapOptions {
  dims: 2 | 3;
  /** Initial positions (m x dims), e.g. the first PCA components; random when absent. */
  init?: Float64Array;
  epochs?: number;
  seed?: number;
}

export class Umap {
  readonly y: Float64Array;
  readonly epochs: number;
  epoch = 0;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly perSample: Float64Array;
  private readonly nextSample: Float64Array;
  private readonly nextNegative: Float64Array;
  private readonly rand: () => number;

  /** `knnIndices`/`knnDistances`: m x k, each row's own index among them (KnnGraph). */
  constructor(readonly m: number, knnIndices: Int32Array, knnDistances: Float32Array, k: number, private readonly opts: UmapOptions) {
    this.epochs = opts.epochs ?? (m > 2_000 ? 200 : 500);
    const directed = memberships(m, knnIndices, knnDistances, k);
    // fuzzy union over each undirected pair
    const pairs = new Map<number, number>();
    for (let i = 0; i < m; i++) {
      for (let t = 0; t < k; t++) {
        const j = knnIndices[i * k + t];
        const w = directed[i * k + t];
        if (j === i || w <= 0) continue;
        const key = i < j ? i * m + j : j * m + i;
        const prev = pairs.get(key);
        pairs.set(key, prev === undefined ? w : prev + w - prev * w);
      }
    }
    let maxW = 0;
    for (const w of pairs.values()) if (w > maxW) maxW = w;
    const keep = [...pairs].filter(([, w]) => w >= maxW / this.epochs);
    this.head = new Int32Array(keep.length);
    this.tail = new Int32Array(keep.length);
    this.perSample = new Float64Array(keep.length);
    keep.forEach(([key, w], e) => {
      this.head[e] = Math.floor(key / m);
      this.tail[e] = key % m;
      this.perSample[e] = maxW / w; // epochs between two samples of this edge
    });
    this.nextSample = this.perSample.slice();
    this.nextNegative = this.perSample.map((p) => p / NEGATIVE_SAMPLES);
    this.rand = mulberry32(opts.seed ?? 11);
    this.y = new Float64Array(m * opts.dims);
    if (opts.init && opts.init.length === this.y.length) {
      let peak = 0;
      for (const v of opts.init) if (Number.isFinite(v)) peak = Math.max(peak, Math.abs(v));
      for (let i = 0; i < this.y.length; i++) this.y[i] = peak > 0 && Number.isFinite(opts.init[i]) ? (10 * opts.init[i]) / peak : 0;
    } else for (let i = 0; i < this.y.length; i++) this.y[i] = 20 * this.rand() - 10;
  }

  get done(): boolean {
    return this.epoch >= this.epochs;
  }

  /** One epoch of the optimization. */
  step(): void {
    const { y, head, tail, m } = this;
    const dims = this.opts.dims;
    const n = this.epoch;
    const alpha = 1 - n / this.epochs;
    for (let e = 0; e < head.length; e++) {
      if (this.nextSample[e] > n) continue;
      const j = head[e] * dims, kk = tail[e] * dims;
      let d2 = 0;
      for (let t = 0; t < dims; t++) d2 += (y[j + t] - y[kk + t]) ** 2;
      const attract = d2 > 0 ? (-2 * A * B * d2 ** (B - 1)) / (A * d2 ** B + 1) : 0;
      for (let t = 0; t < dims; t++) {
        const g = clip(attract * (y[j + t] - y[kk + t])) * alpha;
        y[j + t] += g;
        y[kk + t] -= g;
      }
      this.nextSample[e] += this.perSample[e];
      const perNeg = this.perSample[e] / NEGATIVE_SAMPLES;
      const negatives = Math.floor((n - this.nextNegative[e]) / perNeg);
      for (let s = 0; s < negatives; s++) {
        const o = Math.floor(this.rand() * m) * dims;
        if (o === j) continue;
        let q2 = 0;
        for (let t = 0; t < dims; t++) q2 += (y[j + t] - y[o + t]) ** 2;
        const repel = q2 > 0 ? (2 * REPULSION * B) / ((0.001 + q2) * (A * q2 ** B + 1)) : 0;
        for (let t = 0; t < dims; t++) y[j + t] += (repel > 0 ? clip(repel * (y[j + t] - y[o + t])) : CLIP) * alpha;
      }
      this.nextNegative[e] += negatives * perNeg;
    }
    this.epoch++;
  }
}

const clip = (v: number) => Math.min(CLIP, Math.max(-CLIP, v));

/**
 * Directed membership strengths exp(-(d - rho_i) / sigma_i) of each kNN edge: rho_i the distance to
 * the nearest other point, sigma_i such that the strengths sum to log2(k) (binary search).
 */
export function memberships(m: number, idx: Int32Array, dist: Float32Array, k: number): Float64Array {
  const out = new Float64Array(m * k);
  const target = Math.log2(k);
  let meanAll = 0;
  for (let i = 0; i < m * k; i++) meanAll += dist[i] / (m * k);
  for (let i = 0; i < m; i++) {
    const base = i * k;
    let rho = Infinity, mean = 0;
    for (let t = 0; t < k; t++) {
      const d = dist[base + t];
      mean += d / k;
      if (idx[base + t] !== i && d > 0 && d < rho) rho = d;
    }
    if (!Number.isFinite(rho)) rho = 0;
    let lo = 0, hi = Infinity, sigma = 1;
    for (let it = 0; it < 64; it++) {
      let sum = 0;
      for (let t = 0; t < k; t++) {
        if (idx[base + t] === i) continue;
        const d = dist[base + t] - rho;
        sum += d > 0 ? Math.exp(-d / sigma) : 1;
      }
      if (Math.abs(sum - target) < 1e-5) break;
      if (sum > target) {
        hi = sigma;
        sigma = (lo + hi) / 2;
      } else {
        lo = sigma;
        sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2;
      }
    }
    sigma = Math.max(sigma, 1e-3 * (mean > 0 ? mean : meanAll));
    for (let t = 0; t < k; t++) {
      if (idx[base + t] === i) continue;
      const d = dist[base + t] - rho;
      out[base + t] = d > 0 ? Math.exp(-d / sigma) : 1;
    }
  }
  return out;
}
