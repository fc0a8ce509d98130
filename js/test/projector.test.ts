// The Projector's logic that needs no WebGL: entry decoding (float32/float16 matrices, sprite,
// metadata), colour mapping, regex search, nearest neighbours (cosine and euclidean), sampling
// and normalizing layouts, and that UMAP and t-SNE separate clusters.
import { describe, expect, it } from "vitest";
import { categoryRgb, columnScale, naturalCompare, pointColors, rampRgb } from "../src/kinds/projector/colors";
import { runLayout } from "../src/kinds/projector/jobs";
import { nearest, rowNorms } from "../src/kinds/projector/knn";
import { KnnGraph, mulberry32, normalize, pcaPositions, sampleIndices, selectSmallest } from "../src/kinds/projector/layout";
import { expand, knnSpace } from "../src/kinds/projector/panel";
import { decodeEmbedding, decodeHalf, halfTable, latestPerStep } from "../src/kinds/projector/record";
import { searchLabels } from "../src/kinds/projector/search";
import { Tsne } from "../src/kinds/projector/tsne";
import { memberships, Umap } from "../src/kinds/projector/umap";
import { Buffers } from "../src/wire";

const BASE = { run: "r", tag: "t", index: 0, step: 3, wall: 1.7e9 };

/** The wire buffer of an embedding entry (as kinds/embeddings.py packs it), at an odd byteOffset. */
function packed(parts: ArrayBufferView[], pad = 3): DataView {
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const ab = new ArrayBuffer(pad + total + 1);
  let at = pad;
  for (const p of parts) {
    new Uint8Array(ab, at, p.byteLength).set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
    at += p.byteLength;
  }
  return new DataView(ab, pad, total);
}

describe("embedding entries", () => {
  const variance = new Float64Array([0.6, 0.3]);
  const coords = new Float32Array([1, 2, 3, 4, 5, 6]);
  const entry = (fields: Record<string, unknown>) => ({
    ...BASE, n: 3, dim: 2, components: 2, matrix: "none", scale: 1, sprite_bytes: 0, sprite_dim: null,
    columns: ["label"], metadata: [["a", "b", "c"]], buffer: 0, ...fields,
  });

  it("decodes PCA, a float32 matrix, metadata and the sprite", () => {
    const mat = new Float32Array([0.5, -1, 2, 0, 1e-3, 7]);
    const sprite = new Uint8Array([137, 80, 78, 71]);
    const e = entry({ matrix: "float32", sprite_bytes: 4, sprite_dim: [8, 6] });
    const r = decodeEmbedding(e, new Buffers([packed([variance, coords, mat, sprite])]), BASE);
    expect(Array.from(r.variance)).toEqual([0.6, 0.3]);
    expect(Array.from(r.coords)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(r.matrix ?? [])).toEqual(Array.from(mat));
    expect(Array.from(r.sprite ?? [])).toEqual([137, 80, 78, 71]);
    expect(r.spriteDim).toEqual([8, 6]);
    expect(r.columns).toEqual(["label"]);
    expect(r.values).toEqual([["a", "b", "c"]]);
    expect(r.note).toBe("");
  });

  it("keeps the kernel's note on what it left out", () => {
    const note = "labels not shown: the metadata has 4 rows for 3 points";
    const r = decodeEmbedding(entry({ columns: [], metadata: [], note }), new Buffers([packed([variance, coords])]), BASE);
    expect(r.note).toBe(note);
    expect(r.columns).toEqual([]);
    expect(decodeEmbedding(entry({ note: 7 }), new Buffers([packed([variance, coords])]), BASE).note).toBe("");
  });

  it("decodes a float16 matrix times its scale, and no matrix", () => {
    const half = new Uint16Array([0x3c00, 0xb800, 0x0000, 0x3800, 0x4000, 0xc000]); // 1, -0.5, 0, 0.5, 2, -2
    const r = decodeEmbedding(entry({ matrix: "float16", scale: 4 }), new Buffers([packed([variance, coords, half])]), BASE);
    expect(Array.from(r.matrix ?? [])).toEqual([4, -2, 0, 2, 8, -8]);
    const none = decodeEmbedding(entry({}), new Buffers([packed([variance, coords])]), BASE);
    expect(none.matrix).toBeNull();
    expect(knnSpace(none)).toMatchObject({ dim: 2, original: false });
  });

  it("throws on a buffer or metadata that disagrees with n, dim and components", () => {
    const buf = new Buffers([packed([variance, coords])]);
    expect(() => decodeEmbedding(entry({ n: 4 }), buf, BASE)).toThrow(/expected/);
    expect(() => decodeEmbedding(entry({ metadata: [["a"]] }), buf, BASE)).toThrow(/needs 3 values/);
    expect(() => decodeEmbedding(entry({ columns: [] }), buf, BASE)).toThrow(/columns/);
    expect(() => decodeEmbedding(entry({ matrix: "int8" }), buf, BASE)).toThrow(/matrix/);
    expect(() => decodeEmbedding(entry({ buffer: 5 }), buf, BASE)).toThrow(/missing buffer/);
  });

  it("reads every half-precision bit pattern class", () => {
    const t = halfTable();
    expect(t[0x3c00]).toBe(1);
    expect(t[0xc000]).toBe(-2);
    expect(t[0x7bff]).toBe(65504);
    expect(t[0x0001]).toBe(2 ** -24);
    expect(t[0x7c00]).toBe(Infinity);
    expect(Number.isNaN(t[0x7e00])).toBe(true);
    expect(Array.from(decodeHalf(new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), 0.5))).toEqual([0.5, -1]);
  });
});

describe("colour by a metadata column", () => {
  it("takes digit classes as categories, in natural order", () => {
    const s = columnScale(["10", "2", "1", "2"]);
    expect(s.kind).toBe("categorical");
    if (s.kind !== "categorical") return;
    expect(s.categories).toEqual(["1", "2", "10"]);
    expect(Array.from(s.index)).toEqual([2, 1, 0, 1]);
    const rgb = pointColors(s, 4, [0, 0, 0]);
    expect(Array.from(rgb.subarray(3, 6))).toEqual(Array.from(rgb.subarray(9, 12))); // same class, same colour
    expect(Array.from(rgb.subarray(0, 3))).not.toEqual(Array.from(rgb.subarray(3, 6)));
    expect(naturalCompare("b", "a")).toBeGreaterThan(0);
  });

  it("puts many distinct numbers on a gradient, low to high", () => {
    const values = Array.from({ length: 50 }, (_, i) => String(i * 2));
    const s = columnScale(values);
    expect(s).toMatchObject({ kind: "numeric", min: 0, max: 98 });
    const rgb = pointColors(s, 50, [0, 0, 0]);
    expect(Array.from(rgb.subarray(0, 3))).toEqual(rampRgb(0).map((v) => Math.fround(v)));
    expect(Array.from(rgb.subarray(147, 150))).toEqual(rampRgb(1).map((v) => Math.fround(v)));
    expect(rampRgb(Number.NaN)).toEqual([0.6, 0.6, 0.6]);
  });

  it("keeps text with many values categorical, with distinct colours beyond the palette", () => {
    const s = columnScale(Array.from({ length: 30 }, (_, i) => `w${i}`));
    expect(s.kind).toBe("categorical");
    expect(categoryRgb(25)).not.toEqual(categoryRgb(26));
    expect(columnScale(undefined)).toEqual({ kind: "none" });
    expect(Array.from(pointColors({ kind: "none" }, 1, [0.25, 0.5, 0.75]))).toEqual([0.25, 0.5, 0.75]);
  });
});

describe("search by label", () => {
  const labels = ["cat", "Dog", "catfish", "bird"];
  it("matches a case-insensitive regular expression", () => {
    expect(searchLabels(labels, 4, "^cat")).toEqual({ matches: [0, 2], valid: true });
    expect(searchLabels(labels, 4, "dog|bird")).toEqual({ matches: [1, 3], valid: true });
    expect(searchLabels(labels, 4, "")).toEqual({ matches: [], valid: true });
  });
  it("selects nothing for an invalid pattern, and searches indices without labels", () => {
    expect(searchLabels(labels, 4, "([")).toEqual({ matches: [], valid: false });
    expect(searchLabels(null, 12, "^1")).toEqual({ matches: [1, 10, 11], valid: true });
  });
});

describe("nearest neighbours", () => {
  // row 0 = (1, 0); row 1 = (10, 1): same direction-ish, far; row 2 = (0, 1.2): near, orthogonal
  const data = new Float32Array([1, 0, 10, 1, 0, 1.2, -1, 0, 0, 0]);
  it("ranks by cosine distance (direction) or euclidean (position), itself excluded", () => {
    const cos = nearest(data, 5, 2, 0, 4, "cosine", rowNorms(data, 5, 2));
    expect(cos.map((nb) => nb.index)).toEqual([1, 2, 4, 3]); // zero vector: distance 1, ties by index
    expect(cos[0].distance).toBeCloseTo(1 - 10 / Math.hypot(10, 1), 6);
    expect(cos[3].distance).toBeCloseTo(2, 6);
    const euc = nearest(data, 5, 2, 0, 2, "euclidean");
    expect(euc.map((nb) => nb.index)).toEqual([4, 2]);
    expect(euc[0].distance).toBeCloseTo(1, 6);
    expect(nearest(data, 5, 2, 0, 10, "euclidean")).toHaveLength(4);
    expect(nearest(data, 5, 2, 7, 3, "cosine")).toEqual([]);
  });
  it("agrees with a sort over every distance on random data", () => {
    const rand = mulberry32(5);
    const n = 300, dim = 7;
    const x = Float32Array.from({ length: n * dim }, () => rand() - 0.5);
    const got = nearest(x, n, dim, 17, 15, "euclidean").map((nb) => nb.index);
    const all = Array.from({ length: n }, (_, i) => i).filter((i) => i !== 17);
    const d = (i: number) => Math.hypot(...Array.from({ length: dim }, (_, j) => x[i * dim + j] - x[17 * dim + j]));
    expect(got).toEqual(all.sort((a, b) => d(a) - d(b)).slice(0, 15));
  });
});

describe("layouts", () => {
  it("samples deterministically, ascending, all when small", () => {
    expect(Array.from(sampleIndices(4, 10))).toEqual([0, 1, 2, 3]);
    const s = sampleIndices(1000, 100);
    expect(s.length).toBe(100);
    expect(new Set(s).size).toBe(100);
    expect(Array.from(s)).toEqual(Array.from(s).sort((a, b) => a - b));
    expect(Array.from(sampleIndices(1000, 100))).toEqual(Array.from(s));
  });

  it("normalizes the bounding box to [-1, 1] around 0, and takes PCA's first components", () => {
    const pos = normalize(new Float32Array([0, 0, 0, 4, 2, 0, 2, 1, 0]));
    expect(Array.from(pos)).toEqual([-1, -0.5, 0, 1, 0.5, 0, 0, 0, 0]);
    const pca = pcaPositions(new Float32Array([1, 5, 9, 3, 7, 9]), 2, 3, 2);
    expect(Array.from(pca)).toEqual([-1, -1, 0, 1, 1, 0]);
    expect(Array.from(expand(new Float32Array([1, 2, 3]), Int32Array.from([1]), 2))).toEqual([0, 0, 0, 1, 2, 3]);
  });

  it("selects the k smallest values in order", () => {
    expect(selectSmallest(Float64Array.from([5, 1, 4, 1.5, 0.5, 9]), 3)).toEqual([4, 1, 3]);
    expect(selectSmallest(Float64Array.from([2, 1]), 5)).toEqual([1, 0]);
  });

  /** Two well separated clusters of `m` points each in 5 dimensions. */
  function clusters(m: number) {
    const rand = mulberry32(9);
    const x = new Float32Array(2 * m * 5);
    for (let i = 0; i < 2 * m; i++) for (let j = 0; j < 5; j++) x[i * 5 + j] = (i < m ? 0 : 8) + rand();
    const knn = new KnnGraph(x, 2 * m, 5, 10);
    while (!knn.step(Infinity));
    return { x, knn };
  }

  /** Every point's nearest other point in the 2-D layout `y` is in its own cluster (the first m, the rest). */
  function separated(y: Float64Array, m: number) {
    const ys = new Float32Array(y);
    for (let i = 0; i < 2 * m; i++) {
      const [nb] = nearest(ys, 2 * m, 2, i, 1, "euclidean");
      if ((nb.index < m) !== (i < m)) return false;
    }
    return true;
  }

  it("kNN graphs list each point first, then its neighbours by distance", () => {
    const { knn } = clusters(20);
    for (let i = 0; i < 40; i++) {
      expect(knn.indices[i * 10]).toBe(i);
      for (let t = 1; t < 10; t++) expect(knn.indices[i * 10 + t] < 20).toBe(i < 20);
    }
    const w = memberships(40, knn.indices, knn.distances, 10);
    let sum = 0;
    for (let t = 1; t < 10; t++) sum += w[t];
    expect(sum).toBeCloseTo(Math.log2(10), 3);
  });

  it("UMAP separates two clusters", () => {
    const { knn } = clusters(40);
    const u = new Umap(80, knn.indices, knn.distances, 10, { dims: 2, epochs: 150 });
    while (!u.done) u.step();
    expect(separated(u.y, 40)).toBe(true);
  });

  it("t-SNE separates two clusters", () => {
    const { knn } = clusters(60);
    const t = new Tsne(120, knn.indices, knn.distances, 10, { dims: 2, perplexity: 3, iterations: 400 });
    while (!t.done) t.step();
    expect(separated(t.y, 60)).toBe(true);
  });

  it("runs a layout in slices to the end, reporting the sample's positions", async () => {
    const { x } = clusters(25);
    const done = await new Promise<Float32Array | null>((resolve) => {
      runLayout("umap", x, 50, 5, 3, (p) => {
        if (p.phase === "done") resolve(p.positions);
      });
    });
    expect(done?.length).toBe(150);
    expect(Math.max(...Array.from(done ?? []).map(Math.abs))).toBeCloseTo(1, 5);
  });
});

describe("latestPerStep", () => {
  it("keeps the embedding that arrived last for each run, tag and step, sorted", () => {
    const r = (run: string, tag: string, step: number, index: number) => ({ run, tag, step, index });
    const got = latestPerStep([r("b", "x", 1, 0), r("a", "y", 2, 0), r("a", "y", 1, 1), r("a", "y", 2, 3), r("a", "y", 1, 2), r("a", "x", 1, 0)]);
    expect(got).toEqual([r("a", "x", 1, 0), r("a", "y", 1, 2), r("a", "y", 2, 3), r("b", "x", 1, 0)]);
    expect(latestPerStep([])).toEqual([]);
  });
});
