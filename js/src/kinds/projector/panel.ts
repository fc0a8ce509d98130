// The Projector tab: one embedding at a time (picked among every run, tag and step), its points
// laid out by PCA (2D or 3D, at once, from the kernel's components), UMAP or t-SNE (on demand,
// in main-thread slices: jobs.ts), coloured by a metadata column. Hover shows a point's metadata
// and sprite image; a regex search lights the matching labels; a click lists the point's nearest
// neighbours in the original space (cosine or euclidean) and lights them.
// Test hooks on the panel element: data-projector-points (points drawn), -color-by, -method,
// -dims, -matches, -neighbours, -hover (the hovered label), -first-render-ms, -layout-ms.

import { changedKeys } from "../../store-change";
import { h } from "../../ui/dom";
import { fmtInt } from "../../ui/format";
import type { RecordSlice } from "../record-kind";
import type { Dirt, Panel, PanelContext } from "../types";
import { columnScale, cssRgb, categoryRgb, hexRgb, pointColors, rampRgb, type ColorScale } from "./colors";
import { runLayout, type LayoutProgress, type LayoutRun, type Method } from "./jobs";
import { nearest, rowNorms, type Metric, type Neighbour } from "./knn";
import { pcaPositions } from "./layout";
import { embeddingName, type EmbeddingRecord, latestPerStep } from "./record";
import { CHOSEN, FADED, HIDDEN, LIT, NORMAL, Scatter, type SpriteSheet } from "./scatter";
import { searchLabels } from "./search";
import { injectProjectorCss } from "./style";

const NO_COLUMN = "";
/** Point diameter in CSS pixels: smaller as points get denser (100,000 points of 5 px are a blob). */
export const pointSize = (n: number) => (n > 50_000 ? 2.5 : n > 5_000 ? 3.5 : 5);
const DEFAULT_K = 10;

interface Layout {
  positions: Float32Array;
  /** Points laid out (null: all). */
  sample: Int32Array | null;
}

/** Norms of a record's kNN vectors, and finished layouts, computed once per record. */
const norms = new WeakMap<EmbeddingRecord, Float32Array>();
const layouts = new WeakMap<EmbeddingRecord, Map<string, Layout>>();

/** The vectors neighbours are searched in: the original matrix, else the PCA components. */
export function knnSpace(r: EmbeddingRecord): { data: Float32Array; dim: number; original: boolean } {
  return r.matrix ? { data: r.matrix, dim: r.dim, original: true } : { data: r.coords, dim: r.components, original: false };
}

export class ProjectorPanel implements Panel {
  readonly el: HTMLElement;
  private readonly picker = h("select", { class: "cb-input", "aria-label": "Embedding" });
  private readonly methodSel = h("select", { class: "cb-input", "aria-label": "Projection" });
  private readonly dimsSel = h("select", { class: "cb-input", "aria-label": "Dimensions" });
  private readonly colorSel = h("select", { class: "cb-input", "aria-label": "Colour by" });
  private readonly spriteBox = h("input", { type: "checkbox", "aria-label": "Images as points" });
  private readonly spriteLabel: HTMLElement;
  private readonly search = h("input", { class: "cb-input cb-pj-search", type: "search", placeholder: "search labels (regex)", "aria-label": "Search labels (regular expression)" });
  private readonly matchCount = h("span", { class: "cb-muted" });
  private readonly status = h("div", { class: "cb-pj-status" });
  private readonly legend = h("div", { class: "cb-pj-legend" });
  private readonly stage = h("div", { class: "cb-pj-stage" });
  private readonly tip = h("div", { class: "cb-pj-tip" });
  private readonly metricSel = h("select", { class: "cb-input", "aria-label": "Distance" });
  private readonly kSel = h("select", { class: "cb-input", "aria-label": "Neighbours" });
  private readonly nbTitle = h("div", { class: "cb-muted" });
  private readonly nbList = h("ol", { class: "cb-pj-neighbours" });
  private scatter: Scatter | null = null;
  private noWebgl = false;

  private records: EmbeddingRecord[] = [];
  private current: EmbeddingRecord | null = null;
  /** Order in which records reached this view (the one that came last is shown until the user picks one). */
  private readonly arrival = new WeakMap<EmbeddingRecord, number>();
  private arrivals = 0;
  /** The user chose the embedding shown (else the latest is). */
  private picked = false;
  private method: Method = "pca";
  private dims: 2 | 3 = 2;
  private colorBy = NO_COLUMN;
  private scale: ColorScale = { kind: "none" };
  private layout: Layout | null = null;
  private job: LayoutRun | null = null;
  private jobState: LayoutProgress | null = null;
  private matches: number[] | null = null;
  private chosen = -1;
  private neighbours: Neighbour[] = [];
  private metric: Metric = "cosine";
  private sheet: SpriteSheet | null = null;
  private spriteUrl: string | null = null;
  private dataDirty = true;
  private viewDirty = true;
  private hoverFrame = 0;
  private shownAt = 0;
  private firstRenderMs = -1;
  private down: { x: number; y: number } | null = null;

  constructor(private readonly ctx: PanelContext, private readonly slice: RecordSlice<EmbeddingRecord>) {
    injectProjectorCss();
    for (const [v, t] of [["pca", "PCA"], ["umap", "UMAP"], ["tsne", "t-SNE"]]) this.methodSel.append(h("option", { value: v, text: t }));
    for (const d of ["2", "3"]) this.dimsSel.append(h("option", { value: d, text: `${d}D` }));
    for (const [v, t] of [["cosine", "cosine"], ["euclidean", "euclidean"]]) this.metricSel.append(h("option", { value: v, text: t }));
    for (const k of [5, 10, 20, 50, 100]) this.kSel.append(h("option", { value: String(k), text: String(k), selected: k === DEFAULT_K }));
    this.spriteLabel = h("label", { title: "Draw each point as its image (label_img)" }, this.spriteBox, "images");
    const bar = h("div", { class: "cb-pj-bar" },
      this.picker,
      h("label", {}, "projection", this.methodSel, this.dimsSel),
      h("label", {}, "colour by", this.colorSel),
      this.spriteLabel,
      h("label", {}, this.search, this.matchCount));
    const side = h("div", { class: "cb-pj-side" },
      h("div", { class: "cb-pj-bar" }, h("label", {}, "neighbours", this.kSel), h("label", {}, this.metricSel)),
      this.nbTitle, this.nbList);
    this.stage.append(this.tip);
    this.el = h("div", { class: "cb-projector cb-panel-embeddings" }, bar, this.legend, this.status,
      h("div", { class: "cb-pj-body" }, this.stage, side));
    this.picker.addEventListener("change", () => {
      this.picked = true;
      this.select(this.picker.value);
    });
    this.methodSel.addEventListener("change", () => this.setLayout(this.methodSel.value as Method, this.dims));
    this.dimsSel.addEventListener("change", () => this.setLayout(this.method, this.dimsSel.value === "3" ? 3 : 2));
    this.colorSel.addEventListener("change", () => {
      this.colorBy = this.colorSel.value;
      this.recolor();
      this.runSearch();
    });
    this.spriteBox.addEventListener("change", () => this.applySprites());
    this.search.addEventListener("input", () => this.runSearch());
    this.metricSel.addEventListener("change", () => {
      this.metric = this.metricSel.value as Metric;
      this.choose(this.chosen);
    });
    this.kSel.addEventListener("change", () => this.choose(this.chosen));
    this.stage.addEventListener("pointermove", (e) => this.onMove(e));
    this.stage.addEventListener("pointerleave", () => this.hover(-1, 0, 0));
    this.stage.addEventListener("pointerdown", (e) => {
      this.down = { x: e.clientX, y: e.clientY };
    });
    this.stage.addEventListener("pointerup", (e) => {
      const d = this.down;
      this.down = null;
      if (!d || Math.hypot(e.clientX - d.x, e.clientY - d.y) > 4 || !this.scatter) return; // a drag, not a click
      const r = this.stage.getBoundingClientRect();
      this.choose(this.scatter.pick(e.clientX - r.left, e.clientY - r.top));
    });
    this.hooks();
  }

  // ------------------------------------------------------------------ Panel
  markDirty(d: Dirt): void {
    if (d === "all" || changedKeys(d, "embeddings").size > 0) this.dataDirty = true;
    if (d === "all") this.viewDirty = true;
  }

  flush(): void {
    if (this.dataDirty) {
      this.dataDirty = false;
      this.refreshRecords();
    }
    if (this.viewDirty) {
      this.viewDirty = false;
      this.render();
    }
  }

  settingsEl(): HTMLElement | null {
    return null;
  }

  syncControls(): void {}

  tagCounts(): { shown: number; total: number } {
    const shown = this.records.filter((r) => this.ctx.runShown(r.run) && this.ctx.tagShown(r.tag)).length;
    return { shown, total: this.records.length };
  }

  shown(): void {
    this.scatter?.view.resize();
  }

  destroy(): void {
    this.job?.cancel();
    cancelAnimationFrame(this.hoverFrame);
    this.scatter?.dispose();
    if (this.spriteUrl) URL.revokeObjectURL(this.spriteUrl);
  }

  // ------------------------------------------------------------------ data
  private refreshRecords(): void {
    const recs: EmbeddingRecord[] = [];
    for (const list of this.slice.lists.values()) recs.push(...list.list());
    const shown = latestPerStep(recs.filter((r) => this.ctx.runShown(r.run) && this.ctx.tagShown(r.tag)));
    this.records = shown;
    this.picker.replaceChildren(...shown.map((r) => h("option", { value: keyOf(r), text: `${embeddingName(r)} (${fmtInt(r.n)} × ${r.dim})` })));
    for (const r of shown) if (!this.arrival.has(r)) this.arrival.set(r, this.arrivals++);
    // the user's pick, or what replaced it (the same run, tag and step, arrived later)
    const picked = this.picked ? this.current : undefined;
    const keep = picked ? shown.find((r) => r.run === picked.run && r.tag === picked.tag && r.step === picked.step) : undefined;
    // until the user picks one, the embedding that arrived last is shown (as the images tab follows the last step)
    let latest: EmbeddingRecord | undefined;
    for (const r of shown) if (!latest || (this.arrival.get(r) ?? 0) > (this.arrival.get(latest) ?? 0)) latest = r;
    const next = keep ?? latest;
    if (next) this.picker.value = keyOf(next);
    if (next !== this.current) this.select(next ? keyOf(next) : "");
    else this.hooks();
  }

  private select(key: string): void {
    const rec = this.records.find((r) => keyOf(r) === key) ?? null;
    this.current = rec;
    this.job?.cancel();
    this.job = null;
    this.jobState = null;
    this.chosen = -1;
    this.neighbours = [];
    this.matches = null;
    this.loadSprite(rec);
    this.colorSel.replaceChildren(h("option", { value: NO_COLUMN, text: "(none)" }),
      ...(rec?.columns ?? []).map((c) => h("option", { value: c, text: c })));
    this.colorBy = rec?.columns.length ? rec.columns[0] : NO_COLUMN;
    this.colorSel.value = this.colorBy;
    this.shownAt = performance.now();
    this.firstRenderMs = -1;
    this.setLayout(this.method, this.dims);
  }

  // ------------------------------------------------------------------ layout
  private setLayout(method: Method, dims: 2 | 3): void {
    const refit = dims !== this.dims || method !== this.method;
    this.method = method;
    this.dims = dims;
    this.methodSel.value = method;
    this.dimsSel.value = String(dims);
    this.job?.cancel();
    this.job = null;
    this.jobState = null;
    const rec = this.current;
    if (!rec) {
      this.layout = null;
      this.render();
      return;
    }
    const cacheKey = `${method}${dims}`;
    let cache = layouts.get(rec);
    if (!cache) layouts.set(rec, (cache = new Map()));
    const done = cache.get(cacheKey);
    if (method === "pca") {
      this.layout = done ?? { positions: pcaPositions(rec.coords, rec.n, rec.components, dims), sample: null };
      cache.set(cacheKey, this.layout);
    } else if (done) this.layout = done;
    else {
      this.layout = null;
      const started = rec;
      this.job = runLayout(method, rec.coords, rec.n, rec.components, dims, (p) => {
        if (this.current !== started || this.method !== method || this.dims !== dims) return;
        this.jobState = p;
        if (p.positions && this.job) {
          this.layout = { positions: expand(p.positions, this.job.sample, rec.n), sample: this.job.sample };
          if (p.phase === "done") cache?.set(cacheKey, this.layout);
          this.draw(false);
        }
        this.updateStatus();
        if (p.phase === "done") this.hooks();
      });
    }
    this.draw(refit);
    this.updateStatus();
  }

  // ------------------------------------------------------------------ drawing
  private ensureScatter(): Scatter | null {
    if (this.scatter || this.noWebgl || !this.el.isConnected) return this.scatter;
    this.scatter = Scatter.create(this.stage);
    if (!this.scatter) this.noWebgl = true;
    else {
      this.scatter.view.onRender = () => {
        if (this.firstRenderMs < 0 && this.scatter?.pointCount) {
          this.firstRenderMs = performance.now() - this.shownAt;
          this.hooks();
        }
      };
    }
    return this.scatter;
  }

  private render(): void {
    this.draw(true);
    this.updateStatus();
  }

  private draw(refit: boolean): void {
    const sc = this.ensureScatter();
    const rec = this.current;
    if (!sc || !rec || !this.layout) {
      this.hooks();
      return;
    }
    const fresh = sc.pointCount !== rec.n;
    if (fresh) sc.setPointSize(pointSize(rec.n));
    this.scale = columnScale(this.colorBy ? rec.values[rec.columns.indexOf(this.colorBy)] : undefined);
    sc.setPoints(this.layout.positions, pointColors(this.scale, rec.n, hexRgb("#1f77b4")), this.dims, refit || fresh);
    if (fresh) this.applySprites();
    this.updateStates();
    this.updateLegend();
  }

  private recolor(): void {
    const rec = this.current;
    if (!rec || !this.scatter) return;
    this.scale = columnScale(this.colorBy ? rec.values[rec.columns.indexOf(this.colorBy)] : undefined);
    this.scatter.setColors(pointColors(this.scale, rec.n, hexRgb("#1f77b4")));
    this.updateLegend();
    this.hooks();
  }

  private updateLegend(): void {
    const s = this.scale;
    if (s.kind === "categorical") {
      const shown = s.categories.slice(0, 30);
      this.legend.replaceChildren(...shown.map((c, i) => {
        const dot = h("i");
        dot.style.background = cssRgb(categoryRgb(i));
        return h("span", { title: c }, dot, c.length > 24 ? `${c.slice(0, 23)}…` : c);
      }), s.categories.length > shown.length ? h("span", { text: `+${s.categories.length - shown.length} more` }) : "");
    } else if (s.kind === "numeric") {
      const ramp = h("span", { class: "cb-pj-ramp" });
      ramp.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => cssRgb(rampRgb(t))).join(",")})`;
      this.legend.replaceChildren(h("span", {}, String(+s.min.toPrecision(4)), ramp, String(+s.max.toPrecision(4))));
    } else this.legend.replaceChildren();
  }

  /** Point states from the sample, the search and the chosen point's neighbours. */
  private updateStates(): void {
    const rec = this.current;
    if (!rec || !this.scatter) return;
    const st = new Float32Array(rec.n);
    const lit = this.chosen >= 0 ? this.neighbours.map((nb) => nb.index) : this.matches;
    if (lit) {
      st.fill(FADED);
      for (const i of lit) st[i] = LIT;
    } else st.fill(NORMAL);
    if (this.chosen >= 0) st[this.chosen] = CHOSEN;
    const sample = this.layout?.sample;
    if (sample) {
      const keep = new Uint8Array(rec.n);
      for (const i of sample) keep[i] = 1;
      for (let i = 0; i < rec.n; i++) if (!keep[i]) st[i] = HIDDEN;
    }
    this.scatter.setStates(st);
    this.hooks();
  }

  private updateStatus(): void {
    const rec = this.current;
    if (this.noWebgl) {
      this.status.textContent = "The projector needs WebGL, which this browser does not offer.";
      return;
    }
    if (!rec) {
      this.status.textContent = this.records.length ? "" : "No embedding is shown by the run and tag filters.";
      return;
    }
    const parts = [`${fmtInt(rec.n)} points × ${fmtInt(rec.dim)} dims`];
    if (this.method === "pca") {
      const used = Math.min(this.dims, rec.components);
      let v = 0;
      for (let i = 0; i < used; i++) v += rec.variance[i] ?? 0;
      parts.push(`PCA: ${used} components explain ${(v * 100).toFixed(1)}% of the variance`);
    } else {
      const name = this.method === "umap" ? "UMAP" : "t-SNE";
      const m = this.job?.sample.length ?? this.layout?.sample?.length ?? rec.n;
      const of = m < rec.n ? ` on a sample of ${fmtInt(m)}` : "";
      const p = this.jobState;
      const phase = !p ? "" : p.phase === "neighbours" ? ` · neighbours ${Math.round(p.fraction * 100)}%`
        : p.phase === "optimizing" ? ` · optimizing ${Math.round(p.fraction * 100)}%` : "";
      parts.push(`${name}${of} (of the first ${rec.components} PCA components)${phase}`);
    }
    if (!knnSpace(rec).original) parts.push(`neighbours among ${rec.components} PCA components (matrix over the kernel's budget)`);
    if (rec.note) parts.push(rec.note);
    this.status.textContent = parts.join("  ·  ");
  }

  // ------------------------------------------------------------------ sprites
  private loadSprite(rec: EmbeddingRecord | null): void {
    if (this.spriteUrl) URL.revokeObjectURL(this.spriteUrl);
    this.spriteUrl = null;
    this.sheet = null;
    this.spriteBox.checked = false;
    this.spriteLabel.style.display = rec?.sprite ? "" : "none";
    if (!rec?.sprite || !rec.spriteDim) return;
    const url = (this.spriteUrl = URL.createObjectURL(new Blob([rec.sprite as BlobPart], { type: "image/png" })));
    const img = new Image();
    img.onload = () => {
      if (this.spriteUrl !== url || !rec.spriteDim) return;
      const [cw, ch] = rec.spriteDim;
      this.sheet = { image: img, cellW: cw, cellH: ch, cols: Math.max(1, Math.floor(img.width / cw)) };
      const max = this.scatter?.view.renderer.capabilities.maxTextureSize ?? 0;
      if (max && Math.max(img.width, img.height) > max) {
        this.spriteBox.disabled = true;
        this.spriteLabel.title = `The sprite (${img.width}×${img.height}) is larger than this GPU's textures (${max}): images show on hover only`;
      }
    };
    img.src = url;
  }

  private applySprites(): void {
    this.scatter?.setSprites(this.spriteBox.checked && this.sheet && !this.spriteBox.disabled ? this.sheet : null);
    this.hooks();
  }

  // ------------------------------------------------------------------ search, hover, neighbours
  private labelsOf(rec: EmbeddingRecord): string[] | null {
    const j = rec.columns.indexOf(this.colorBy);
    return j >= 0 ? rec.values[j] : rec.values[0] ?? null;
  }

  private runSearch(): void {
    const rec = this.current;
    const q = this.search.value;
    if (q !== "" && this.chosen >= 0) this.choose(-1); // a search lights its matches, not the last neighbours
    if (!rec || q === "") {
      this.matches = null;
      this.search.classList.remove("cb-invalid");
      this.matchCount.textContent = "";
    } else {
      const res = searchLabels(this.labelsOf(rec), rec.n, q);
      this.search.classList.toggle("cb-invalid", !res.valid);
      this.matches = res.valid ? res.matches : [];
      this.matchCount.textContent = res.valid ? `${fmtInt(res.matches.length)} match${res.matches.length === 1 ? "" : "es"}` : "invalid regex";
    }
    this.updateStates();
  }

  private onMove(e: PointerEvent): void {
    if (this.hoverFrame || e.buttons) return; // one pick per frame; none while dragging
    const x = e.clientX, y = e.clientY;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      if (!this.scatter) return;
      const r = this.stage.getBoundingClientRect();
      this.hover(this.scatter.pick(x - r.left, y - r.top), x - r.left, y - r.top);
    });
  }

  private hover(i: number, x: number, y: number): void {
    const rec = this.current;
    if (i < 0 || !rec) {
      this.tip.style.display = "none";
      this.el.dataset.projectorHover = "";
      return;
    }
    const rows: HTMLElement[] = [];
    const thumb = this.thumbnail(i);
    if (thumb) rows.push(thumb);
    if (rec.columns.length === 0) rows.push(h("div", { text: `#${i}` }));
    for (let j = 0; j < rec.columns.length; j++) {
      rows.push(h("div", {}, rec.columns.length > 1 ? h("span", { class: "cb-pj-k", text: `${rec.columns[j]}: ` }) : "", rec.values[j][i]));
    }
    this.tip.replaceChildren(...rows);
    this.tip.style.display = "block";
    const w = this.stage.clientWidth;
    this.tip.style.left = `${Math.min(x + 12, Math.max(0, w - 200))}px`;
    this.tip.style.top = `${y + 12}px`;
    this.el.dataset.projectorHover = this.labelsOf(rec)?.[i] ?? `#${i}`;
  }

  private thumbnail(i: number): HTMLCanvasElement | null {
    const s = this.sheet;
    if (!s) return null;
    const scale = Math.max(1, Math.floor(64 / Math.max(s.cellW, s.cellH)));
    const c = h("canvas", { width: s.cellW * scale, height: s.cellH * scale });
    const g = c.getContext("2d");
    if (!g) return null;
    g.imageSmoothingEnabled = false;
    g.drawImage(s.image, (i % s.cols) * s.cellW, Math.floor(i / s.cols) * s.cellH, s.cellW, s.cellH, 0, 0, c.width, c.height);
    return c;
  }

  private choose(i: number): void {
    const rec = this.current;
    this.chosen = rec && i >= 0 && i < rec.n ? i : -1;
    this.neighbours = [];
    if (rec && this.chosen >= 0) {
      const space = knnSpace(rec);
      let nr = norms.get(rec);
      if (!nr && this.metric === "cosine") norms.set(rec, (nr = rowNorms(space.data, rec.n, space.dim)));
      this.neighbours = nearest(space.data, rec.n, space.dim, this.chosen, Number(this.kSel.value) || DEFAULT_K, this.metric, nr);
      const labels = this.labelsOf(rec);
      const name = (j: number) => labels?.[j] ?? `#${j}`;
      this.nbTitle.textContent = `nearest to “${name(this.chosen)}” (#${this.chosen}), ${this.metric}, ${space.original ? "original space" : "PCA space"}`;
      this.nbList.replaceChildren(...this.neighbours.map((nb) => {
        const li = h("li", { "data-index": nb.index }, h("span", { class: "cb-pj-name", text: name(nb.index) }),
          h("span", { class: "cb-pj-dist", text: nb.distance.toPrecision(3) }));
        li.addEventListener("click", () => this.choose(nb.index));
        return li;
      }));
    } else {
      this.nbTitle.textContent = rec ? "Click a point to list its nearest neighbours." : "";
      this.nbList.replaceChildren();
    }
    this.updateStates();
  }

  private hooks(): void {
    const d = this.el.dataset;
    const rec = this.current;
    const drawn = rec && this.layout && this.scatter ? (this.layout.sample ? this.layout.sample.length : rec.n) : 0;
    d.projectorPoints = String(drawn);
    d.projectorColorBy = this.colorBy;
    d.projectorMethod = this.method;
    d.projectorDims = String(this.dims);
    d.projectorMatches = this.matches ? String(this.matches.length) : "";
    d.projectorNeighbours = String(this.neighbours.length);
    d.projectorSprites = this.spriteBox.checked && this.sheet ? "1" : "0";
    d.projectorLayout = this.method === "pca" || this.jobState?.phase === "done" ? "done" : this.jobState?.phase ?? "";
    d.projectorFirstRenderMs = this.firstRenderMs >= 0 ? this.firstRenderMs.toFixed(1) : "";
    d.projectorLayoutMs = this.job ? this.job.longestSliceMs().toFixed(1) : "";
    if (this.noWebgl) d.projectorWebgl = "0";
  }
}

const keyOf = (r: { run: string; tag: string; index: number }) => `${r.run}\u0000${r.tag}\u0000${r.index}`;

/** Sample positions (m x 3) into an n x 3 array at the sample's indices (the rest at 0, hidden). */
export function expand(pos: Float32Array, sample: Int32Array, n: number): Float32Array {
  if (sample.length === n) return pos;
  const out = new Float32Array(n * 3);
  for (let s = 0; s < sample.length; s++) out.set(pos.subarray(s * 3, s * 3 + 3), sample[s] * 3);
  return out;
}
