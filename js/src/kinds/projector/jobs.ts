// UMAP (umap.ts) and t-SNE (tsne.ts) run on the page's main thread in slices of at most SLICE_MS (setTimeout between
// them), so the notebook stays responsive; positions update live as they converge. The longest
// slice is kept (`longestSliceMs`) for the measurements in docs/decisions.md.

import { KnnGraph, normalize, sampleIndices, takeRows } from "./layout";
import { Tsne } from "./tsne";
import { Umap } from "./umap";

export type Method = "pca" | "umap" | "tsne";

/** Points a layout runs on (TensorBoard samples too: t-SNE 10,000 with its GPU, UMAP 5,000). */
export const TSNE_SAMPLE = 2_500;
export const UMAP_SAMPLE = 5_000;
export const SLICE_MS = 12;

export interface LayoutProgress {
  phase: "neighbours" | "optimizing" | "done";
  /** 0..1 within the phase. */
  fraction: number;
  /** Positions so far (sample x 3, normalized), once there are any. */
  positions: Float32Array | null;
}

/** A layout computed in steps: `step(deadline)` works until performance.now() passes it. */
interface SlicedLayout {
  step(deadline: number): LayoutProgress;
}

/** What a running layout reports; `cancel()` stops it. */
export interface LayoutRun {
  /** Indices of the points laid out (the sample), ascending. */
  sample: Int32Array;
  cancel(): void;
  longestSliceMs(): number;
}

/**
 * Run UMAP or t-SNE on `input` (n x c: the PCA components), on a sample; `onProgress` gets the
 * positions of the sample as they converge, the last call with phase "done".
 */
export function runLayout(method: "umap" | "tsne", input: Float32Array, n: number, c: number, dims: 2 | 3,
  onProgress: (p: LayoutProgress) => void): LayoutRun {
  const sample = sampleIndices(n, method === "tsne" ? TSNE_SAMPLE : UMAP_SAMPLE);
  const data = takeRows(input, c, sample);
  const layout = method === "umap" ? new UmapLayout(data, sample.length, c, dims) : new TsneLayout(data, sample.length, c, dims);
  let cancelled = false;
  let longest = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const slice = () => {
    timer = null;
    if (cancelled) return;
    const t0 = performance.now();
    let p: LayoutProgress;
    try {
      p = layout.step(t0 + SLICE_MS);
    } catch (err) {
      console.error("cellboard: the layout failed", err);
      cancelled = true;
      onProgress({ phase: "done", fraction: 1, positions: null });
      return;
    }
    longest = Math.max(longest, performance.now() - t0);
    onProgress(p);
    if (p.phase !== "done") timer = setTimeout(slice, 0);
  };
  timer = setTimeout(slice, 0);
  return {
    sample,
    cancel() {
      cancelled = true;
      if (timer !== null) clearTimeout(timer);
    },
    longestSliceMs: () => longest,
  };
}

function toPositions(y: ArrayLike<number>, m: number, dims: number): Float32Array {
  const pos = new Float32Array(m * 3);
  for (let i = 0; i < m; i++) for (let k = 0; k < dims; k++) pos[i * 3 + k] = y[i * dims + k];
  return normalize(pos);
}

class UmapLayout implements SlicedLayout {
  private readonly knn: KnnGraph;
  private umap: Umap | null = null;

  constructor(private readonly data: Float32Array, private readonly m: number, private readonly c: number, private readonly dims: 2 | 3) {
    this.knn = new KnnGraph(data, m, c, Math.min(15, Math.max(2, m - 1)));
  }

  step(deadline: number): LayoutProgress {
    if (this.m < 3) return { phase: "done", fraction: 1, positions: toPositions(new Float64Array(this.m * this.dims), this.m, this.dims) };
    if (!this.umap) {
      if (!this.knn.step(deadline)) return { phase: "neighbours", fraction: this.knn.progress, positions: null };
      // start from the PCA picture (the input's first components): global structure kept, deterministic
      const init = new Float64Array(this.m * this.dims);
      for (let i = 0; i < this.m; i++) for (let k = 0; k < Math.min(this.dims, this.c); k++) init[i * this.dims + k] = this.data[i * this.c + k];
      this.umap = new Umap(this.m, this.knn.indices, this.knn.distances, this.knn.k, { dims: this.dims, init });
      return { phase: "optimizing", fraction: 0, positions: toPositions(this.umap.y, this.m, this.dims) };
    }
    const u = this.umap;
    do u.step();
    while (!u.done && performance.now() < deadline);
    return { phase: u.done ? "done" : "optimizing", fraction: u.epoch / u.epochs, positions: toPositions(u.y, this.m, this.dims) };
  }
}

class TsneLayout implements SlicedLayout {
  private readonly knn: KnnGraph;
  private tsne: Tsne | null = null;

  constructor(data: Float32Array, private readonly m: number, c: number, private readonly dims: 2 | 3) {
    const perplexity = Math.max(2, Math.min(30, (m - 1) / 3));
    this.knn = new KnnGraph(data, m, c, Math.min(m, Math.floor(3 * perplexity) + 1));
  }

  step(deadline: number): LayoutProgress {
    if (this.m < 4) return { phase: "done", fraction: 1, positions: toPositions(new Float64Array(this.m * this.dims), this.m, this.dims) };
    if (!this.tsne) {
      if (!this.knn.step(deadline)) return { phase: "neighbours", fraction: this.knn.progress, positions: null };
      this.tsne = new Tsne(this.m, this.knn.indices, this.knn.distances, this.knn.k, { dims: this.dims });
      return { phase: "optimizing", fraction: 0, positions: null };
    }
    const t = this.tsne;
    do t.step();
    while (!t.done && performance.now() < deadline);
    return { phase: t.done ? "done" : "optimizing", fraction: t.iter / t.iterations, positions: toPositions(t.y, this.m, this.dims) };
  }
}
