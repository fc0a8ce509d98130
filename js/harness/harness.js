// Standalone harness: the built widget (python_pkg/cellboard/static/widget.js) driven by a fake
// anywidget model and a fake "kernel" that streams synthetic deltas as docs/protocol.md
// describes. Serve the repository root and open /js/harness/index.html
//   ?theme=light|dark      JupyterLab theme variables (default: none, the fallbacks)
//   ?mode=bench            only the 1M-point benchmark widget (window.cellboardHarness.bench())
//   ?auto=0                do not stream the demo data automatically
// Everything the tests need is on window.cellboardHarness.
// Type-checked (`npm run typecheck`, harness/tsconfig.json) against the widget's source types.
// @ts-check

/**
 * What src/widget.ts exports, as the harness calls it (a FakeModel where anywidget passes its model).
 * @typedef {{
 *   initialize(props: { model: FakeModel }): () => void,
 *   render(props: { model: FakeModel, el: HTMLElement }): () => void,
 * }} Widget
 */

// The bundle is a build output, absent until `npm run build`: loaded by URL, typed above.
const BUNDLE = "../../python_pkg/cellboard/static/widget.js";
/** @type {Widget} */
const widget = (await import(BUNDLE)).default;

const params = new URLSearchParams(location.search);
const theme = params.get("theme");
if (theme === "light") document.body.classList.add("jp-light");
if (theme === "dark") document.body.classList.add("jp-dark");

/**
 * @typedef {{
 *   phase: string, renders: number, feedStart: number, feedEnd: number, allPainted: number,
 *   longtasks: { start: number, ms: number, phase: string }[],
 *   inputs: { what: string, label: string, phase: string, ms: number }[],
 *   renderMs?: number[], msgMs?: number[], result?: Record<string, unknown>,
 * }} BigBenchState
 */

// ---------------------------------------------------------------- fake anywidget model

export class FakeModel {
  constructor(attrs = {}) {
    this.attrs = { layout: { fake: "layout" }, ...attrs };
    this.listeners = new Map();
    this.sent = [];
    this.saved = [];
    this.onSend = null;
  }
  get(name) { return this.attrs[name]; }
  set(name, value) {
    const old = this.attrs[name];
    this.attrs[name] = value;
    if (old !== value) this.emit(`change:${name}`, this, value);
  }
  save_changes() { this.saved.push({ ...this.attrs, layout: undefined }); }
  on(name, cb) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(cb);
  }
  off(name, cb) {
    if (!name) { this.listeners.clear(); return; }
    if (!cb) { this.listeners.delete(name); return; }
    this.listeners.get(name)?.delete(cb);
  }
  send(content, _callbacks, buffers) {
    this.sent.push(content);
    this.onSend?.(content, buffers);
  }
  emit(name, ...args) {
    for (const cb of [...(this.listeners.get(name) ?? [])]) cb(...args);
  }
  listenerCount() {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}

/** Mount the widget like anywidget does: initialize once per model, render once per view. */
export function mount(model, el) {
  const cleanInit = widget.initialize({ model });
  const cleanRender = widget.render({ model, el });
  return () => { cleanRender?.(); cleanInit?.(); };
}

// ---------------------------------------------------------------- buffers

/** Float64 little-endian values in a DataView at an odd byteOffset (as ipywidgets may hand them over). */
function f64View(arrays, pad = 3) {
  const n = arrays.reduce((a, x) => a + x.length, 0);
  const ab = new ArrayBuffer(pad + n * 8 + 5);
  const dv = new DataView(ab, pad, n * 8);
  let i = 0;
  for (const arr of arrays) for (const v of arr) dv.setFloat64(8 * i++, v, true);
  return dv;
}

function bytesView(bytes, pad = 1) {
  const ab = new ArrayBuffer(pad + bytes.length + 3);
  new Uint8Array(ab, pad, bytes.length).set(bytes);
  return new DataView(ab, pad, bytes.length);
}

// ---------------------------------------------------------------- synthetic training logs

function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (r) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

export const RUNS = ["baseline", "lr_0.01", "lr_0.001"];
const T0 = 1.7e9;
const STEPS = 1000;

/** Full history per series: {run, tag, steps[], walls[], values[]} */
function makeScalars() {
  const out = [];
  RUNS.forEach((run, ri) => {
    const r = rng(100 + ri);
    const rate = [0.004, 0.007, 0.0025][ri];
    const start = T0 + ri * 600;
    const series = (tag, every, f) => {
      const steps = [], walls = [], values = [];
      for (let s = 0; s <= STEPS - (every === 1 ? 1 : 0); s += every) {
        steps.push(s);
        walls.push(start + s * 0.8 + r() * 0.05);
        values.push(f(s));
      }
      out.push({ run, tag, steps, walls, values });
    };
    series("train/loss", 1, (s) => {
      if (run === "lr_0.01" && s === 700) return 9.5; // a one-step spike
      if (run === "lr_0.01" && s === 400) return NaN; // a diverged batch
      return 2.3 * Math.exp(-rate * s) + 0.15 + 0.12 * gauss(r) * Math.exp(-0.001 * s);
    });
    series("train/accuracy", 1, (s) => Math.min(1, 0.1 + 0.85 * (1 - Math.exp(-rate * 1.2 * s)) + 0.03 * gauss(r)));
    series("eval/loss", 50, (s) => 2.3 * Math.exp(-rate * 0.9 * s) + 0.25 + 0.02 * gauss(r));
    series("eval/accuracy", 50, (s) => 0.1 + 0.8 * (1 - Math.exp(-rate * s)) + 0.01 * gauss(r));
    series("learning_rate", 1, (s) => [0.1, 0.01, 0.001][ri] * 0.5 * (1 + Math.cos((Math.PI * s) / STEPS)));
  });
  return out;
}

async function png(width, height, draw) {
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  draw(c.getContext("2d"), width, height);
  const blob = await new Promise((res) => c.toBlob(res, "image/png"));
  return new Uint8Array(await blob.arrayBuffer());
}

async function makeImages() {
  const out = [];
  for (const [ri, run] of RUNS.entries()) {
    const r = rng(7 + ri);
    for (let k = 0; k < 10; k++) {
      const step = k * 100;
      const bytes = await png(64, 64, (g, w, hh) => {
        // a blurry blob that sharpens as training goes on
        const img = g.createImageData(w, hh);
        const sharp = 0.2 + k / 10;
        for (let y = 0; y < hh; y++) for (let x = 0; x < w; x++) {
          const dx = (x - 32) / 32, dy = (y - 32) / 32;
          const ring = Math.exp(-((Math.hypot(dx, dy) - 0.5) ** 2) * 40 * sharp);
          const noise = (r() - 0.5) * (1 - sharp) * 0.9;
          const v = Math.max(0, Math.min(1, ring + noise));
          const i = 4 * (y * w + x);
          img.data[i] = 255 * v * [1, 0.3, 0.9][ri];
          img.data[i + 1] = 255 * v * [0.5, 0.8, 0.4][ri];
          img.data[i + 2] = 255 * v * [0.2, 1, 0.9][ri];
          img.data[i + 3] = 255;
        }
        g.putImageData(img, 0, 0);
      });
      out.push({ run, tag: "samples/generated", index: k, step, wall: T0 + ri * 600 + step * 0.8, width: 64, height: 64, bytes });
    }
  }
  // an add_images grid (3x3 tiles of 28px with 2px padding) for one run at three steps
  for (let k = 0; k < 3; k++) {
    const step = k * 450;
    const r = rng(99 + k);
    const bytes = await png(92, 92, (g) => {
      g.fillStyle = "#000";
      g.fillRect(0, 0, 92, 92);
      for (let t = 0; t < 9; t++) {
        const x0 = 2 + (t % 3) * 30, y0 = 2 + Math.floor(t / 3) * 30;
        g.fillStyle = `hsl(${Math.floor(r() * 360)}, 70%, ${40 + k * 10}%)`;
        g.fillRect(x0, y0, 28, 28);
        g.fillStyle = "#fff";
        g.font = "bold 18px sans-serif";
        g.fillText(String((t + k) % 10), x0 + 8, y0 + 21);
      }
    });
    out.push({ run: "baseline", tag: "inputs/batch", index: k, step, wall: T0 + step * 0.8, width: 92, height: 92, bytes });
  }
  return out;
}

// ---------------------------------------------------------------- meshes, a video, boxes (sendMeshVideo)

/** What cellboard's add_video writes for 4 frames of 32x24 (a white bar moving over 4 colours), fps 4. */
const VIDEO_GIF_B64 =
  "R0lGODlhIAAYAAAAACH/C05FVFNDQVBFMi4wAwEAAAAh+QQEGQAAACwAAAAAIAAYAMH////cKCgAAAAAAAAITQADCBxIsKDBgwYBKFwIAKFDhAwXPpxIMKJCihgtNsTIsaPHjxktgjyocWRCkSYrokzJsqXLlyojvizpkmZLmyxxptRpkudInzCDBg0IACH5BAQZAAAALAAAAAAgABgAwf///yi0PAAAAAAAAAhNAAMIHEiwoMGDCAsCWMgQQMKHBhsyhEhRoMSFFSledJixo8ePIBFuDBnxIkmFJk8OHKmypcuXMFm2lKmS5kmbJHGG1AmS50efMIOCDAgAIfkEBBkAAAAsAAAAACAAGADB////KFDcAAAAAAAACE4AAwgcSLCgwYMIEw4EwLAhAIUQCTpsGLHiRIYVI158mLGjx48gEW4MaXAkSYkXT6KcqLKly5cwA5hsOVNlzZM3SeYMuRNkz48/YwpNGBAAIfkEBBkAAAAsAAAAACAAGADB////5sgeAAAAAAAACE4AAwgcSLCgwYMIEyoEwLAhAIUQCTpsGLHiRIYVI158mLGjx48gEW4MaXAkSYkXT6KcqLKly5cwA5hsOVNlzZM3SeYMuRNkz48/YwoVGBAAOw==";

/** A mesh tensor entry (float32 vertices, uint32 faces, uint8 colours, shape [1, N, 3]) and its buffer. */
function meshPart(run, name, content, step, index, data, config = {}) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const entry = { run, tag: `${name}_${content}`, index, step, wall: T0 + step, name, content, shape: [1, data.length / 3, 3], config };
  return { entry, buffer: bytesView([...bytes], 1 + (index % 3)) };
}

/** A delta of: a coloured tetrahedron at two steps, a 2,000-point coloured sphere cloud, a video and an image with boxes. */
export async function meshVideoDelta() {
  const parts = [];
  const tetra = new Float32Array([1, 1, 1, -1, -1, 1, 1, -1, -1, -1, 1, -1]);
  const faces = new Uint32Array([0, 2, 3, 0, 3, 1, 0, 1, 2, 1, 3, 2]);
  const colors = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 0, 255]);
  const cfg = { camera: { cls: "PerspectiveCamera", fov: 60 } };
  for (const [k, step] of [0, 10].entries()) {
    parts.push(meshPart("baseline", "shapes/tetra", "VERTEX", step, k, tetra.map((v) => v * (1 + k)), cfg));
    parts.push(meshPart("baseline", "shapes/tetra", "FACE", step, k, faces, cfg));
    parts.push(meshPart("baseline", "shapes/tetra", "COLOR", step, k, colors, cfg));
  }
  const n = 2000, pts = new Float32Array(3 * n), rgb = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) { // a Fibonacci sphere, coloured by position
    const y = 1 - (2 * (i + 0.5)) / n, r = Math.sqrt(1 - y * y), a = i * 2.399963;
    pts.set([r * Math.cos(a), y, r * Math.sin(a)], 3 * i);
    rgb.set([Math.round(127.5 * (1 + r * Math.cos(a))), Math.round(127.5 * (1 + y)), 200], 3 * i);
  }
  parts.push(meshPart("baseline", "shapes/cloud", "VERTEX", 5, 0, pts));
  parts.push(meshPart("baseline", "shapes/cloud", "COLOR", 5, 0, rgb));
  const buffers = parts.map((p) => p.buffer);
  const mesh = parts.map((p, i) => ({ ...p.entry, buffer: i }));
  const gif = Uint8Array.from(atob(VIDEO_GIF_B64), (c) => c.charCodeAt(0));
  const clean = await png(64, 48, (g, w, hh) => {
    const grad = g.createLinearGradient(0, 0, w, hh);
    grad.addColorStop(0, "#203040");
    grad.addColorStop(1, "#90a0b0");
    g.fillStyle = grad;
    g.fillRect(0, 0, w, hh);
  });
  const images = [
    { run: "baseline", tag: "media/video", index: 0, step: 3, wall: T0 + 3, width: 32, height: 24, mime: "image/gif", buffer: buffers.length },
    { run: "baseline", tag: "media/boxes", index: 0, step: 3, wall: T0 + 3, width: 64, height: 48, mime: "image/png",
      boxes: [[4, 4, 30, 30], [28, 10, 60, 44]], labels: ["cat", "dog"], buffer: buffers.length + 1 },
  ];
  buffers.push(bytesView([...gif]), bytesView([...clean]));
  return { entries: { mesh, images }, buffers };
}

// ---------------------------------------------------------------- an embedding (sendProjector)

/** float32 -> IEEE half bits (round to nearest), for a float16 matrix as the kernel sends big ones. */
function toHalf(v) {
  const f = new Float32Array([v]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, exp = ((u >>> 23) & 0xff) - 127 + 15, man = u & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((man + 0x1000) >>> 13);
}

/**
 * An `embeddings` entry as the kernel sends it (docs/protocol.md): `n` points of `dim` dimensions in
 * `classes` Gaussian clusters (labels "c0".., a numeric "size" column), PCA coordinates (here: the
 * first dimensions, which hold the clusters), the matrix (float32 or float16) and, with `sprites`,
 * a sprite sheet of `cell`-pixel images (each cluster its own colour).
 */
export async function projectorDelta({ n = 600, dim = 16, classes = 6, sprites = true, cell = 12, encoding = "float32",
  run = "baseline", tag = "features", step = 0, index = 0 } = {}) {
  const r = rng(900 + n + dim);
  const components = Math.min(50, dim, n);
  const centres = Array.from({ length: classes }, () => Float64Array.from({ length: dim }, (_, j) => (j < 3 ? 6 : 1) * gauss(r)));
  const mat = new Float32Array(n * dim);
  const labels = [], sizes = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    for (let j = 0; j < dim; j++) mat[i * dim + j] = centres[c][j] + gauss(r);
    labels.push(`c${c}`);
    sizes.push(String((i * 7) % 101));
  }
  const coords = new Float32Array(n * components);
  for (let i = 0; i < n; i++) for (let k = 0; k < components; k++) coords[i * components + k] = mat[i * dim + k];
  const variance = Float64Array.from({ length: components }, (_, k) => 0.5 / (k + 1) ** 1.5);
  let matBytes;
  if (encoding === "float16") {
    let peak = 0;
    for (const v of mat) peak = Math.max(peak, Math.abs(v));
    const half = new Uint16Array(n * dim);
    for (let i = 0; i < half.length; i++) half[i] = toHalf(mat[i] / peak);
    matBytes = { bytes: new Uint8Array(half.buffer), scale: peak };
  } else if (encoding === "none") matBytes = { bytes: new Uint8Array(0), scale: 1 };  // over the kernel's budget
  else matBytes = { bytes: new Uint8Array(mat.buffer), scale: 1 };
  let sprite = new Uint8Array(0);
  if (sprites) {
    const cols = Math.ceil(Math.sqrt(n)), side = cols * cell;
    sprite = await png(side, side, (g) => {
      g.font = `bold ${Math.floor(cell * 0.8)}px sans-serif`;
      g.textAlign = "center";
      g.textBaseline = "middle";
      for (let i = 0; i < n; i++) {
        const x = (i % cols) * cell, y = Math.floor(i / cols) * cell, c = i % classes;
        g.fillStyle = `hsl(${(c * 360) / classes}, 70%, 45%)`;
        g.fillRect(x, y, cell, cell);
        g.fillStyle = "#fff";
        g.fillText(String(c), x + cell / 2, y + cell / 2 + 1);
      }
    });
  }
  const parts = [new Uint8Array(variance.buffer), new Uint8Array(coords.buffer), matBytes.bytes, sprite];
  const total = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { buf.set(p, at); at += p.length; }
  const entry = {
    run, tag, index, step, wall: T0 + step, n, dim, components, matrix: encoding, scale: matBytes.scale,
    sprite_bytes: sprite.length, sprite_dim: sprites ? [cell, cell] : null,
    columns: ["label", "size"], metadata: [labels, sizes], buffer: 0,
  };
  return { entries: { embeddings: [entry] }, buffers: [new DataView(buf.buffer)] };
}

function makeHistograms() {
  const out = [];
  RUNS.forEach((run, ri) => {
    const r = rng(300 + ri);
    for (let k = 0; k < 20; k++) {
      const step = k * 50;
      const mean = 0.3 * Math.sin(k / 6) * (ri + 1) * 0.5;
      const sd = 0.5 + k * 0.02 * (ri + 1);
      const nb = 40, lo = -3, hi = 3;
      const edges = Array.from({ length: nb + 1 }, (_, i) => lo + ((hi - lo) * i) / nb);
      const counts = new Array(nb).fill(0);
      for (let i = 0; i < 4000; i++) {
        const v = mean + sd * gauss(r);
        const b = Math.floor(((v - lo) / (hi - lo)) * nb);
        if (b >= 0 && b < nb) counts[b]++;
      }
      out.push({ run, tag: "weights/fc1", index: k, step, wall: T0 + ri * 600 + step * 0.8, edges, counts });
    }
  });
  // TensorFlow-style exponential buckets (torch's default bins="tensorflow"), non-uniform
  const pos = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  const tf = [...pos.map((v) => -v).reverse(), 0, ...pos];
  const tfHistogram = (values) => {
    const counts = new Array(tf.length - 1).fill(0);
    for (const v of values) {
      let b = 0, e = tf.length - 1;
      while (e - b > 1) { const m = (b + e) >> 1; if (tf[m] <= v) b = m; else e = m; }
      counts[b]++;
    }
    // keep the non-empty range (plus one empty bucket on the left), as cellboard's writer does
    let a = counts.findIndex((c) => c > 0), z = counts.length - 1;
    while (counts[z] === 0) z--;
    a = Math.max(0, a - 1);
    return { edges: tf.slice(a, z + 2), counts: counts.slice(a, z + 1) };
  };
  // a small layer's weights (512 values) in TF buckets: hundreds of mostly empty bins
  const rw = rng(11);
  for (let k = 0; k < 20; k++) {
    const step = k * 50;
    const values = Array.from({ length: 512 }, () => 0.15 * (1 + k / 40) * gauss(rw) + 0.02 * k / 20);
    out.push({ run: "baseline", tag: "weights/fc2", index: k, step, wall: T0 + step * 0.8, ...tfHistogram(values) });
  }
  const r = rng(5);
  for (let k = 0; k < 20; k++) {
    const step = k * 50;
    const counts = new Array(tf.length - 1).fill(0);
    for (let i = 0; i < 3000; i++) {
      const v = Math.max(0, 0.2 + 0.6 * gauss(r) * (1 + k / 20)) + 1e-9;
      let b = 0, e = tf.length - 1;
      while (e - b > 1) { const m = (b + e) >> 1; if (tf[m] <= v) b = m; else e = m; }
      counts[b]++;
    }
    // keep the non-empty range (plus one empty bucket on the left), as cellboard's writer does
    let a = counts.findIndex((c) => c > 0), z = counts.length - 1;
    while (counts[z] === 0) z--;
    a = Math.max(0, a - 1);
    out.push({ run: "lr_0.01", tag: "activations/relu", index: k, step, wall: T0 + 600 + step * 0.8,
      edges: tf.slice(a, z + 2), counts: counts.slice(a, z + 1) });
  }
  return out;
}

function makeText() {
  const out = [];
  RUNS.forEach((run, ri) => {
    const docs = [
      `## Run **${run}** started\n\n| hparam | value |\n|:--|--:|\n| lr | ${[0.1, 0.01, 0.001][ri]} |\n| batch | 64 |\n| optimizer | \`adam\` |`,
      `Epoch 5: val accuracy *${(0.7 + ri * 0.05).toFixed(2)}* — see [the docs](https://example.com/docs).\n\n- checkpoint saved\n- lr decayed\n\n\`\`\`\nloss = 0.4123\n\`\`\``,
      ri === 1
        ? `Sanitizer check: <script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2"> [click](javascript:window.__xss=3) **done**`
        : `> Finished in ${12 + ri} min. Final loss ${(0.2 + ri * 0.03).toFixed(3)}.`,
    ];
    docs.forEach((text, k) => void out.push({ run, tag: "notes/text_summary", index: k, step: k * 450, wall: T0 + k * 360, text }));
  });
  return out;
}

// ---------------------------------------------------------------- a model graph (sendGraph)

/** The graph kind's two entries for the PyTorch tutorial's CNN, as add_graph logs it: the graph and its summary table. */
export function graphDelta({ run = "baseline", wall = T0 + 5 } = {}) {
  /** @type {unknown[][]} */
  const nodes = [];
  /** @type {(name: string, op: string, inputs?: number[], shape?: number[] | null, attr?: string) => number} */
  const add = (name, op, inputs = [], shape = null, attr = "") => nodes.push([name, op, inputs, shape && [shape], attr]) - 1;
  const param = (scope, p) => add(`${scope}/${p}/${p}.${nodes.length}`, "prim::GetAttr", [], null, `name: ${p}`);
  const layer = (scope, op, x, out, extra = []) => add(`${scope}/${nodes.length}`, op, [x, param(scope, "weight"), param(scope, "bias"), ...extra], out);
  const two = add("CNN/2", "prim::Constant", [], null, "value: 2");
  const pair = add("CNN/22", "prim::ListConstruct", [two, two]);
  let x = add("input/x.1", "IO Node", [], [4, 1, 28, 28]);
  x = add("CNN/input.1", "aten::relu", [layer("CNN/Conv2d[conv1]", "aten::_convolution", x, [4, 6, 24, 24])], [4, 6, 24, 24]);
  x = add("CNN/MaxPool2d[pool]/input.3", "aten::max_pool2d", [x, pair], [4, 6, 12, 12]);
  x = add("CNN/input.5", "aten::relu", [layer("CNN/Conv2d[conv2]", "aten::_convolution", x, [4, 16, 8, 8])], [4, 16, 8, 8]);
  x = add("CNN/MaxPool2d[pool]/x", "aten::max_pool2d", [x, pair], [4, 16, 4, 4]);
  x = add("CNN/input.7", "aten::view", [x], [4, 256]);
  x = add("CNN/input.9", "aten::relu", [layer("CNN/Linear[fc1]", "aten::linear", x, [4, 120])], [4, 120]);
  x = add("CNN/input", "aten::relu", [layer("CNN/Linear[fc2]", "aten::linear", x, [4, 84])], [4, 84]);
  x = layer("CNN/Linear[fc3]", "aten::linear", x, [4, 10]);
  add("output/output.1", "IO Node", [x], [4, 10]);
  const row = (name, type, inp, out, kernel, params, mult_adds, leaf = true, shared = false) => ({
    name, type, depth: name ? 1 : 0, input_shapes: inp, output_shapes: out, kernel_shape: kernel, params, trainable: params,
    frozen: 0, mult_adds, leaf, shared, output_bytes: 0 });
  const table = { model: "CNN", total_params: 44426, trainable_params: 44426, mult_adds: 1145336, param_bytes: 177704,
    activation_bytes: 152832, input_bytes: 12544, rows: [
      row("", "CNN", [4, 1, 28, 28], [4, 10], null, 0, 0, false),
      row("conv1", "Conv2d", [4, 1, 28, 28], [4, 6, 24, 24], [1, 6, 5, 5], 156, 359424),
      row("pool", "MaxPool2d", [4, 6, 24, 24], [4, 6, 12, 12], null, 0, 0),
      row("conv2", "Conv2d", [4, 6, 12, 12], [4, 16, 8, 8], [6, 16, 5, 5], 2416, 618496),
      row("pool", "MaxPool2d", [4, 16, 8, 8], [4, 16, 4, 4], null, 0, 0, true, true),
      row("fc1", "Linear", [4, 256], [4, 120], [256, 120], 30840, 123360),
      row("fc2", "Linear", [4, 120], [4, 84], [120, 84], 10164, 40656),
      row("fc3", "Linear", [4, 84], [4, 10], [84, 10], 850, 3400)] };
  const json = (x) => bytesView([...new TextEncoder().encode(JSON.stringify(x))], 3);
  const base = { run, index: 0, step: 0, wall };
  return {
    entries: { graph: [{ ...base, tag: "__graph__", what: "graph", nodes: nodes.length, buffer: 0 },
      { ...base, tag: "_cellboard_/model_summary", what: "summary", buffer: 1 }] },
    buffers: [json({ nodes }), json(table)],
  };
}

// ---------------------------------------------------------------- fake kernel

/** Holds the logged history; streams it in chunks like a training loop; answers hello. */
export class FakeKernel {
  constructor(model, data) {
    this.model = model;
    this.data = data;
    this.logged = { scalars: new Map(), images: 0, histograms: 0, text: 0 };
    this.seq = 0;
    this.hellos = 0;
    model.onSend = (msg) => {
      if (msg?.type === "hello") {
        this.hellos++;
        setTimeout(() => this.snapshot(), 0); // a kernel answers later, never re-entrantly
      }
    };
  }

  /** A protocol v2 delta: `entries` by kind; `extra` may add `reset` or `notices`. */
  send(entries, buffers, extra = {}) {
    this.model.emit("msg:custom", { type: "delta", seq: ++this.seq, runs: [...RUNS], ...extra, entries }, buffers);
  }

  /** Points [from, to) of a series as a protocol entry + buffer. */
  scalarEntry(s, offset, to, buffers) {
    const entry = { run: s.run, tag: s.tag, epoch: 0, offset, count: to - offset, decimated: false, total: to, buffer: buffers.length };
    buffers.push(f64View([s.steps.slice(offset, to), s.walls.slice(offset, to), s.values.slice(offset, to)], 1 + (buffers.length % 7)));
    return entry;
  }

  recordEntries(kind, upto) {
    const buffers = [];
    const list = this.data[kind].slice(0, upto).map((rec) => {
      if (kind === "images") {
        buffers.push(bytesView(rec.bytes, 1 + (buffers.length % 5)));
        return { run: rec.run, tag: rec.tag, index: rec.index, step: rec.step, wall: rec.wall, width: rec.width, height: rec.height, mime: "image/png", buffer: -1 };
      }
      if (kind === "histograms") {
        buffers.push(f64View([rec.edges, rec.counts], 3));
        return { run: rec.run, tag: rec.tag, index: rec.index, step: rec.step, wall: rec.wall, k: rec.counts.length, buffer: -1 };
      }
      return { ...rec };
    });
    return { list, buffers };
  }

  /** Resend everything logged so far from offset 0 (answer to hello). */
  snapshot() {
    const buffers = [];
    const scalars = [];
    for (const s of this.data.scalars) {
      const n = this.logged.scalars.get(s) ?? 0;
      if (n > 0) scalars.push(this.scalarEntry(s, 0, n, buffers));
    }
    const entries = { scalars, images: [], histograms: [], text: [] };
    for (const kind of ["images", "histograms", "text"]) {
      const { list, buffers: b } = this.recordEntries(kind, this.logged[kind]);
      if (kind !== "text") list.forEach((e, j) => { e.buffer = buffers.length + j; });
      buffers.push(...b);
      entries[kind] = list;
    }
    if (Object.values(entries).some((l) => l.length)) this.send(entries, buffers);
  }

  /** Stream the history in `chunks` deltas, like a training loop flushing ~10 times a second. */
  async stream(chunks = 10, delayMs = 0) {
    const { scalars } = this.data;
    for (let c = 1; c <= chunks; c++) {
      const buffers = [];
      const entries = [];
      for (const s of scalars) {
        const have = this.logged.scalars.get(s) ?? 0;
        const want = Math.round((s.steps.length * c) / chunks);
        if (want <= have) continue;
        // one series resends its last 5 points (truncate-then-append), as a decimated tail would
        const offset = s.run === "baseline" && s.tag === "train/loss" && have >= 5 ? have - 5 : have;
        entries.push(this.scalarEntry(s, offset, want, buffers));
        this.logged.scalars.set(s, want);
      }
      const content = { scalars: entries, images: [], histograms: [], text: [] };
      for (const kind of ["images", "histograms", "text"]) {
        const have = this.logged[kind];
        const want = Math.round((this.data[kind].length * c) / chunks);
        const { list, buffers: b } = this.recordEntries(kind, want);
        const fresh = list.slice(have);
        const freshBufs = kind === "text" ? [] : b.slice(have);
        fresh.forEach((e, j) => { if (kind !== "text") e.buffer = buffers.length + j; });
        buffers.push(...freshBufs);
        content[kind] = fresh;
        this.logged[kind] = want;
      }
      this.send(content, buffers);
      await new Promise((res) => setTimeout(res, delayMs));
    }
  }
}

export function expectedTotals(data) {
  return {
    runs: RUNS.slice().sort().join(","),
    scalarTags: new Set(data.scalars.map((s) => s.tag)).size,
    scalarPoints: data.scalars.reduce((a, s) => a + s.steps.length, 0),
    imageCount: data.images.length,
    histogramSteps: data.histograms.length,
    text: data.text.length,
  };
}

// ---------------------------------------------------------------- benchmark

const nextEvent = (el, name) => new Promise((res) => el.addEventListener(name, (e) => res(e), { once: true }));

/** 10 runs x 100k steps of one tag as one delta; then live appends of 10 points to each series. */
export async function bench({ runs = 10, steps = 100_000, updates = 40 } = {}) {
  const host = byId("out");
  const el = document.createElement("div");
  host.replaceChildren(el);
  const model = new FakeModel({ smoothing: 0.6, x_axis: "step", log_y: false, tag_filter: "", run_filter: "", height: 520, title: "1M points" });
  const cleanup = mount(model, el);
  await new Promise((r) => requestAnimationFrame(() => r(undefined))); // mounted, empty board drawn
  const names = Array.from({ length: runs }, (_, i) => `run_${String(i).padStart(2, "0")}`);
  const r = rng(1);
  const cols = names.map((_, ri) => {
    const st = new Float64Array(steps), wa = new Float64Array(steps), va = new Float64Array(steps);
    let v = 0;
    for (let i = 0; i < steps; i++) {
      st[i] = i;
      wa[i] = T0 + i * 0.05;
      v += gauss(r) * 0.01;
      va[i] = Math.exp(-i / 30000) * (1 + ri * 0.1) + v * 0.1 + 0.05 * gauss(r);
    }
    return [st, wa, va];
  });
  const buffers = cols.map((c) => f64View(c, 3));
  const content = {
    type: "delta", seq: 1, runs: names,
    entries: {
      scalars: names.map((run, i) => ({ run, tag: "train/loss", epoch: 0, offset: 0, count: steps, decimated: false, total: steps, buffer: i })),
    },
  };
  const rendered = nextEvent(el, "cellboard:render");
  const t0 = performance.now();
  model.emit("msg:custom", content, buffers);
  const tMsg = performance.now() - t0;
  const ev = await rendered;
  const firstRender = performance.now() - t0;
  const firstWork = tMsg + ev.detail.ms;

  const live = [], liveWork = [];
  let n = steps;
  for (let u = 0; u < updates; u++) {
    const bufs = [];
    const entries = names.map((run, i) => {
      const st = [], wa = [], va = [];
      for (let j = 0; j < 10; j++) {
        st.push(n + j);
        wa.push(T0 + (n + j) * 0.05);
        va.push(cols[i][2][steps - 1] + 0.05 * gauss(r));
      }
      bufs.push(f64View([st, wa, va], 5));
      return { run, tag: "train/loss", epoch: 0, offset: n, count: 10, decimated: false, total: n + 10, buffer: i };
    });
    n += 10;
    const done = nextEvent(el, "cellboard:render");
    const t1 = performance.now();
    model.emit("msg:custom", { type: "delta", seq: 2 + u, runs: names, entries: { scalars: entries } }, bufs);
    const msgMs = performance.now() - t1;
    const e = await done;
    live.push(performance.now() - t1);
    liveWork.push(msgMs + e.detail.ms);
  }
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const p95 = (a) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * 0.95))];
  const result = {
    points: runs * steps,
    firstRenderMs: firstRender, firstRenderWorkMs: firstWork, firstRenderDecodeMs: tMsg,
    liveUpdateMedianMs: med(live), liveUpdateP95Ms: p95(live),
    liveUpdateWorkMedianMs: med(liveWork), liveUpdateWorkP95Ms: p95(liveWork),
    heldPoints: Number(el.dataset.scalarPoints),
  };
  window.__benchCleanup = cleanup;
  return result;
}

// ---------------------------------------------------------------- big-directory benchmark

/**
 * Parse a captured message stream (benchmarks/bench_browser.py): per message a little-endian u32
 * JSON length, the JSON content, a u32 buffer count, then per buffer a u32 length and its bytes.
 * Each buffer gets its own ArrayBuffer, handed over as a DataView (as ipywidgets does).
 */
export function parseStream(ab) {
  const dv = new DataView(ab);
  const dec = new TextDecoder();
  const out = [];
  let p = 0;
  while (p < ab.byteLength) {
    const n = dv.getUint32(p, true); p += 4;
    const content = JSON.parse(dec.decode(new Uint8Array(ab, p, n))); p += n;
    const nb = dv.getUint32(p, true); p += 4;
    const buffers = [];
    for (let i = 0; i < nb; i++) {
      const m = dv.getUint32(p, true); p += 4;
      buffers.push(new DataView(ab.slice(p, p + m)));
      p += m;
    }
    out.push({ content, buffers });
  }
  return out;
}

/**
 * Feed a Board's captured message stream to a fresh widget, one message per task `intervalMs`
 * apart, and measure: long tasks (PerformanceObserver "longtask"), the time until every message
 * is applied and painted, and input-to-paint of user input (a keystroke or click that changed
 * something on the board: from the event's timestamp to the first paint in which every chart in
 * view shows it; see below). Interactions are driven from outside (Playwright) while this runs;
 * `window.__bigBench.phase` says whether data is still arriving.
 * @param {{ url: string, intervalMs?: number, height?: number, smoothing?: number }} options
 */
export async function bigBench({ url, intervalMs = 0, height = 560, smoothing = 0.6 }) {
  /** @type {BigBenchState} */
  const state = { phase: "loading", longtasks: [], inputs: [], renders: 0, feedStart: 0, feedEnd: 0, allPainted: 0 };
  window.__bigBench = state;
  const messages = parseStream(await (await fetch(url)).arrayBuffer());
  const host = byId("out");
  const el = document.createElement("div");
  host.replaceChildren(el);
  const model = new FakeModel({ smoothing, x_axis: "step", log_y: false, tag_filter: "", run_filter: "", height, title: "big directory" });
  const cleanup = mount(model, el);
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

  const po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) state.longtasks.push({ start: e.startTime, ms: e.duration, phase: state.phase });
  });
  po.observe({ type: "longtask", buffered: false });

  // input-to-paint of the inputs that changed something (input-to-paint.js says how it is timed)
  const untrack = cellboardTrackInputToPaint(el, () => state.phase, (input) => state.inputs.push(input));
  el.addEventListener("cellboard:render", (/** @type {Event} */ ev) => {
    const e = /** @type {CustomEvent<{ ms?: number } | undefined>} */ (ev);
    state.renders++;
    (state.renderMs ??= []).push(Math.round(e.detail?.ms ?? 0));
  });

  state.phase = "arriving";
  state.feedStart = performance.now();
  let points = 0;
  // everything applied and painted: the first finished redraw after the last message
  let painted = null;
  const allPainted = new Promise((resolve) => { painted = resolve; });
  for (const [i, m] of messages.entries()) {
    if (i === messages.length - 1) {
      const check = (e) => {
        if (e.detail?.pending) return;
        el.removeEventListener("cellboard:render", check);
        setTimeout(painted, 0);
      };
      el.addEventListener("cellboard:render", check);
    }
    const tm = performance.now();
    model.emit("msg:custom", m.content, m.buffers);
    (state.msgMs ??= []).push(Math.round(performance.now() - tm));
    for (const e of m.content.entries?.scalars ?? []) points += e.count;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  state.feedEnd = performance.now();
  await allPainted;
  state.allPainted = performance.now();
  state.phase = "idle";
  state.result = {
    messages: messages.length,
    pointsSent: points,
    heldPoints: Number(el.dataset.scalarPoints),
    scalarTags: Number(el.dataset.scalarTags),
    runs: (el.dataset.runs ?? "").split(",").filter(Boolean).length,
    feedMs: state.feedEnd - state.feedStart,
    allDataMs: state.allPainted - state.feedStart,
  };
  window.__bigBenchCleanup = () => { po.disconnect(); untrack(); cleanup(); };
  return state.result;
}

// ---------------------------------------------------------------- page setup

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`harness: #${id} is missing from the page`);
  return el;
}

async function main() {
  const log = (s) => { byId("log").textContent += `${s}\n`; };
  const api = { FakeModel, FakeKernel, mount, bench, bigBench, expectedTotals, ready: false };
  window.cellboardHarness = api;
  if (params.get("mode") === "bench") {
    api.ready = true;
    return;
  }
  const data = { scalars: makeScalars(), images: await makeImages(), histograms: makeHistograms(), text: makeText() };
  const el = byId("out");
  const model = new FakeModel({ smoothing: 0.6, x_axis: "step", log_y: false, tag_filter: "", run_filter: "", height: 640, title: "cellboard harness" });
  const kernel = new FakeKernel(model, data);
  api.model = model;
  api.kernel = kernel;
  api.el = el;
  api.data = data;
  api.expected = expectedTotals(data);
  api.cleanup = mount(model, el);
  api.projectorDelta = projectorDelta;
  api.sendProjector = async (opts = {}) => {
    const { entries, buffers } = await projectorDelta(opts);
    kernel.send(entries, buffers);
  };
  api.graphDelta = graphDelta;
  api.sendGraph = (opts = {}) => {
    const { entries, buffers } = graphDelta(opts);
    kernel.send(entries, buffers);
  };
  api.sendMeshVideo = async () => {
    const { entries, buffers } = await meshVideoDelta();
    kernel.send(entries, buffers);
  };
  api.ready = true;
  if (params.get("auto") !== "0") {
    await kernel.stream(10, 30);
    api.streamed = true;
    log(`streamed: ${JSON.stringify(api.expected)}`);
  }
}

main().catch((err) => {
  console.error(err);
  byId("log").textContent = `harness failed: ${err?.stack ?? err}`;
});
