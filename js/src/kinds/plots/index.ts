// The Visdom tab: cellboard.Visdom's windows, one card per (run = env, win) in a grid.
// Lines are the Scalars tab's chart (ScalarChart, uPlot; no smoothing, x = Visdom's X); image,
// text, audio and mesh windows show the standard summary they name (`spec.source`; a mesh in the
// Mesh tab's 3D view); properties panes are a table of controls whose edits go to the kernel
// (properties.ts); the other plot types are drawn on a canvas (draw.ts). Closed windows are hidden.
// Hooks: data-visdom-windows (open windows), data-visdom-points ("run/win:points,..."); each card
// carries data-win, data-type, data-points and data-render-ms.

import { Sphere, Vector3 } from "three";
import { changedKeys } from "../../store-change";
import type { BoardStore } from "../../store";
import { h, iconButton } from "../../ui/dom";
import { renderMarkdown } from "../../ui/markdown";
import { cardHead, RecordsPanel, type RecordCard } from "../../ui/records-panel";
import { NO_WEBGL_NOTE, ThreeScene } from "../../ui/three-scene";
import { num, str, type Obj } from "../../wire";
import { audio } from "../audio";
import { images } from "../images";
import { mesh } from "../mesh";
import { assembleMeshes, boundingSphere, meshSample, type MeshConfig, type MeshFrame, type MeshSample } from "../mesh/data";
import { meshObject } from "../mesh/objects";
import { recordKind, type RecordKind, type RecordList, type RecordSlice } from "../record-kind";
import { ScalarChart } from "../scalars/chart";
import type { ScalarSlice } from "../scalars/series";
import { text } from "../text";
import { DASHBOARD_ORDER, type Dirt, type PanelContext } from "../types";
import { drawWindow, RENDERERS } from "./draw";
import { lineColor, type Hit } from "./frame";
import { decodePlot, PLOTS, WindowFold, windowPoints, type PlotRecord, type WindowState } from "./model";
import { PropertiesPane } from "./properties";
import { isScatter3d, scatterCloud } from "./scatter3d";

export { applyOp, WindowFold, windowPoints, type PlotRecord, type WindowState } from "./model";

/** Each store's folds, shared by the hooks and every view of that store. */
const folds = new WeakMap<RecordList<PlotRecord>, WindowFold>();
export function windowOf(list: RecordList<PlotRecord>): WindowState | null {
  let f = folds.get(list);
  if (!f) folds.set(list, (f = new WindowFold()));
  return f.update(list);
}

export const plots: RecordKind<PlotRecord> = recordKind<PlotRecord>({
  name: PLOTS,
  label: "Visdom",
  order: DASHBOARD_ORDER.plots,
  decode: decodePlot,
  hasData: (store) => {
    for (const l of store.slice(plots).lists.values()) if (windowOf(l)) return true;
    return false;
  },
  createPanel: (ctx, records) => new PlotsPanel(ctx, records),
  hooks(store) {
    const parts: string[] = [];
    for (const l of store.slice(plots).lists.values()) {
      const st = windowOf(l);
      if (st) parts.push(`${l.run}/${l.tag}:${sourcePoints(store, l.run, st) ?? windowPoints(st)}`);
    }
    parts.sort();
    return { visdomWindows: String(parts.length), visdomPoints: parts.join(",") };
  },
});

function source(st: WindowState): { kind: string; tag: string } | null {
  const s = st.spec.source as Obj | undefined;
  if (!s || typeof s !== "object") return null;
  const kind = str(s.kind), tag = str(s.tag);
  return kind && tag ? { kind, tag } : null;
}

/** Items of the summary a source window shows (null for other windows). */
function sourcePoints(store: BoardStore, run: string, st: WindowState): number | null {
  const src = source(st);
  if (!src) return null;
  if (src.kind === "text") return Math.max(0, (store.slice(text).get(run, src.tag)?.count ?? 0) - num(st.spec.from, 0));
  const held = src.kind === "images" ? store.slice(images).get(run, src.tag)?.count
    : src.kind === "audio" ? store.slice(audio).get(run, src.tag)?.count
    : src.kind === "mesh" ? store.slice(mesh).get(run, `${src.tag}_VERTEX`)?.count : 0;
  return Math.min(1, held ?? 0);
}

/** The last mesh logged under a window's tag (Visdom.mesh writes add_mesh's `<win>_VERTEX`, ...). */
function lastMesh(store: BoardStore, run: string, tag: string): MeshFrame | null {
  const slice = store.slice(mesh);
  const parts = (content: string) => slice.get(run, `${tag}_${content}`)?.list() ?? [];
  const frames = assembleMeshes(parts("VERTEX"), parts("FACE"), parts("COLOR"));
  return frames[frames.length - 1] ?? null;
}

// ------------------------------------------------------------------ cards

class WindowCard implements RecordCard<PlotRecord> {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly titleEl: HTMLElement;
  private canvas: HTMLCanvasElement | null = null;
  private chart: ScalarChart | null = null;
  private drawnKey = "";
  private kind = "";
  private state: WindowState | null = null;
  private objectUrl: string | null = null;
  private view: ThreeScene | null = null;
  private props: PropertiesPane | null = null;
  /** What the pointer is over on a canvas window (the renderer's hit test), for the tooltip. */
  private hit: Hit | undefined = undefined;
  /** The window as the user closed it here: hidden until it is set again (a new state). */
  private closed: WindowState | null = null;
  private readonly ro: ResizeObserver | null;

  constructor(private readonly ctx: PanelContext, private readonly list: RecordList<PlotRecord>) {
    this.titleEl = h("span", { class: "cb-muted cb-visdom-title" });
    this.body = h("div", { class: "cb-visdom-body" });
    // tabindex -1: focused by a click (Visdom's windows take keys once clicked), not a Tab stop
    const close = iconButton("close", "Close this window");
    close.classList.add("cb-visdom-close");
    close.addEventListener("click", () => this.close());
    this.el = h("div", { class: "cb-card cb-visdom-card", "data-win": list.tag, "data-run": list.run, tabindex: -1 },
      cardHead(ctx, list.run, list.tag, this.titleEl, close), this.body);
    this.el.addEventListener("keydown", (e) => this.keyPress(e));
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.redraw(false));
    this.ro?.observe(this.body);
  }

  /** Visdom's window event to the kernel's handlers (only while the kernel listens). */
  private report(event: Obj) {
    this.ctx.send({ type: "window_event", run: this.list.run, tag: this.list.tag, event });
  }

  /** Visdom's Close: the window goes here at once; the kernel's Visdom (if any) closes it in the
   * log, for every view, and calls the handlers. A later set shows it again, as in Visdom. */
  private close() {
    this.closed = this.state;
    this.el.hidden = true;
    this.report({ event_type: "Close" });
  }

  /** Visdom's KeyPress: a key pressed while the window (not a field in it) has the focus. */
  private keyPress(e: KeyboardEvent) {
    if (!this.ctx.windowEvents() || e.target !== this.el || ["Shift", "Control", "Alt", "Meta"].includes(e.key)) return;
    e.preventDefault();
    e.stopPropagation(); // the notebook's shortcuts do not see keys typed to a window
    this.report({ event_type: "KeyPress", key: e.key, key_code: e.keyCode });
  }

  /** Visdom's Click on an image window, in the image's pixels (the img is drawn "contain"). */
  private imageClick(e: MouseEvent, img: HTMLImageElement) {
    if (!this.ctx.windowEvents() || !img.naturalWidth || !img.naturalHeight) return;
    const r = img.getBoundingClientRect();
    const scale = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
    const x = (e.clientX - r.left - (r.width - img.naturalWidth * scale) / 2) / scale;
    const y = (e.clientY - r.top - (r.height - img.naturalHeight * scale) / 2) / scale;
    if (x < 0 || y < 0 || x >= img.naturalWidth || y >= img.naturalHeight) return;
    this.report({ event_type: "Click", image_coord: { x: Math.floor(x), y: Math.floor(y) } });
  }

  update(list: RecordList<PlotRecord>, full: boolean) {
    const st = windowOf(list);
    this.state = st;
    this.el.hidden = !st || st === this.closed;
    if (!st) return;
    this.el.dataset.type = st.type;
    const title = str(st.opts.title);
    this.titleEl.textContent = title && title !== list.tag ? title : "";
    this.el.dataset.points = String(sourcePoints(this.ctx.store, list.run, st) ?? windowPoints(st));
    this.redraw(full);
  }

  private setKind(kind: string) {
    if (kind === this.kind) return;
    this.kind = kind;
    this.chart?.destroy();
    this.chart = null;
    this.view?.dispose();
    this.view = null;
    this.props = null;
    this.legendEl = null;
    this.canvas = null;
    this.body.replaceChildren();
    this.drawnKey = "";
    this.body.className = `cb-visdom-body cb-visdom-${kind}`;
  }

  redraw(_force: boolean) {
    const st = this.state;
    if (!st || this.el.hidden) return;
    const src = source(st);
    if (st.type === "line") this.drawLine(st);
    else if (src) this.drawSource(st, src);
    else if (st.type === "svg") this.drawSvg(st);
    else if (st.type === "properties") this.drawProperties(st);
    else if (isScatter3d(st)) this.drawScatter3d(st);
    else if (RENDERERS[st.type]) this.drawCanvas(st);
    else {
      this.setKind("unknown");
      this.body.textContent = `unknown window type ${st.type}`;
    }
  }

  private drawCanvas(st: WindowState) {
    this.setKind("canvas");
    if (!this.canvas) {
      const canvas = (this.canvas = h("canvas", {}));
      const tip = h("div", { class: "cb-visdom-tip", hidden: true });
      canvas.addEventListener("mousemove", (e) => {
        const r = canvas.getBoundingClientRect();
        const x = e.clientX - r.left, y = e.clientY - r.top;
        const text = this.hit?.(x, y) ?? null;
        tip.hidden = text === null;
        if (text === null) return;
        tip.textContent = text;
        // beside the pointer, flipped to its left near the right edge
        const flip = x + 16 + tip.offsetWidth > r.width;
        tip.style.left = `${flip ? Math.max(0, x - 12 - tip.offsetWidth) : x + 12}px`;
        tip.style.top = `${Math.max(0, y - 28)}px`;
      });
      canvas.addEventListener("mouseleave", () => void (tip.hidden = true));
      this.body.append(canvas, tip);
    }
    const W = Math.floor(this.body.clientWidth), H = Math.floor(this.body.clientHeight);
    if (W <= 0 || H <= 0) return;
    const theme = this.ctx.theme();
    const key = `${st.version}|${W}|${H}|${theme.id}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    const { ms, hit } = drawWindow(this.canvas, st, theme, W, H);
    this.hit = hit;
    this.el.dataset.renderMs = ms.toFixed(1);
  }

  private drawLine(st: WindowState) {
    this.setKind("line");
    if (!this.chart) {
      const byName = new Map<string, number>();
      const ctx = this.ctx;
      const self = this;
      const chartCtx: PanelContext = Object.create(ctx, {
        runColor: { value: (name: string) => lineColor(self.state?.opts.linecolor, byName.get(name) ?? 0) },
        settings: {
          get() {
            const o = self.state?.opts ?? {};
            return { ...ctx.settings, smoothing: 0, x_axis: "step", log_y: str(o.ytype) === "log" };
          },
        },
      });
      const data = { requestRange: () => undefined } as unknown as ScalarSlice;
      const axisLabels = (): [string, string] => [str(self.state?.opts.xlabel) ?? "", str(self.state?.opts.ylabel) ?? ""];
      // Visdom's ytickmin / ytickmax fix the y axis (both needed, as plotly's range)
      const yLimits = (): [number | null, number | null] => {
        const o = self.state?.opts ?? {};
        const lo = num(o.ytickmin, NaN), hi = num(o.ytickmax, NaN);
        return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : [null, null];
      };
      this.chart = new ScalarChart(str(st.opts.title) ?? this.list.tag, chartCtx, data, { ignoreOutliers: false, axisLabels, yLimits });
      this.chart.el.classList.remove("cb-card");
      this.body.append(this.chart.el);
      (this.chart as unknown as { byName: Map<string, number> }).byName = byName;
      const plot = this.chart.plotEl;
      const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((es) => {
        for (const e of es) this.chart?.resize(e.contentRect.width, e.contentRect.height);
        if (this.chart?.dirty && this.state) this.drawLine(this.state);
      });
      ro?.observe(plot);
      this.lineRo = ro;
    }
    const byName = (this.chart as unknown as { byName: Map<string, number> }).byName;
    st.traces.forEach((t, i) => void byName.set(t.name, i));
    const t0 = performance.now();
    this.chart.setSeries(st.traces.map((t) => t.series!).filter(Boolean));
    this.chart.draw(new Map());
    this.drawLegend(st);
    this.el.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  private lineRo: ResizeObserver | null = null;
  private legendEl: HTMLElement | null = null;

  /** Several traces: their names in their colours under the chart, as plotly's legend. */
  private drawLegend(st: WindowState) {
    const show = st.traces.length > 1 && st.opts.showlegend !== false;
    const colors = st.traces.map((_, i) => lineColor(st.type === "line" ? st.opts.linecolor : null, i));
    const key = show ? [...st.traces.map((t) => t.name), ...colors].join("\u0000") : "";
    if (this.legendEl?.dataset.key === key) return;
    this.legendEl?.remove();
    this.legendEl = null;
    if (!show) return;
    this.legendEl = h("div", { class: "cb-visdom-legend", "data-key": key },
      ...st.traces.map((t, i) => h("span", {}, h("i", { style: `background:${colors[i]}` }), t.name)));
    this.body.append(this.legendEl);
  }

  private drawSource(st: WindowState, src: { kind: string; tag: string }) {
    const run = this.list.run, store = this.ctx.store;
    if (src.kind === "images") {
      this.setKind("image");
      const recs = store.slice(images).get(run, src.tag)?.list() ?? [];
      const rec = recs[recs.length - 1];
      if (!rec || this.drawnKey === `${rec.index}`) return;
      this.drawnKey = `${rec.index}`;
      if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = URL.createObjectURL(new Blob([rec.bytes as BlobPart], { type: rec.mime }));
      const img = h("img", { class: "cb-visdom-img", alt: this.list.tag, src: this.objectUrl });
      if (rec.width * 2 <= this.body.clientWidth) img.classList.add("cb-pixelated");
      img.addEventListener("click", (e) => this.imageClick(e, img));
      this.body.replaceChildren(img);
    } else if (src.kind === "text") {
      this.setKind("text");
      const l = store.slice(text).get(run, src.tag);
      const from = num(st.spec.from, 0);
      const key = `${l?.version ?? -1}|${from}`;
      if (!l || key === this.drawnKey) return;
      this.drawnKey = key;
      const md = l.list().filter((r) => r.index >= from).map((r) => r.text).join("\n\n");
      const div = h("div", { class: "cb-visdom-text cb-md" });
      div.innerHTML = renderMarkdown(md); // sanitized: ui/markdown escapes what it does not generate
      this.body.replaceChildren(div);
    } else if (src.kind === "audio") {
      this.setKind("audio");
      const recs = store.slice(audio).get(run, src.tag)?.list() ?? [];
      const rec = recs[recs.length - 1];
      if (!rec || this.drawnKey === `${rec.index}`) return;
      this.drawnKey = `${rec.index}`;
      if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = URL.createObjectURL(new Blob([rec.bytes as BlobPart], { type: rec.mime }));
      this.body.replaceChildren(h("audio", { controls: "", src: this.objectUrl, preload: "metadata" }));
    } else if (src.kind === "mesh") {
      this.setKind("mesh");
      const frame = lastMesh(store, run, src.tag);
      const key = frame ? `${frame.vertex.index}|${frame.face?.index ?? "-"}|${frame.color?.index ?? "-"}` : "";
      if (!frame || key === this.drawnKey) return;
      const sample = meshSample(frame, 0);
      Object.assign(this.el.dataset, { meshVertices: String(sample.vertexCount), meshFaces: String(sample.faceCount) });
      this.drawnKey = key;
      this.show3d(sample, frame.vertex.config);
    }
  }

  /** A mesh or point cloud in the Mesh tab's 3D view, framed; false (and a note) without WebGL. */
  private show3d(sample: MeshSample, config: MeshConfig): boolean {
    if (!this.view) {
      this.view = ThreeScene.create(this.body);
      if (!this.view) {
        this.body.replaceChildren(h("div", { class: "cb-muted", text: NO_WEBGL_NOTE }));
        return false;
      }
    }
    this.view.setContent(meshObject(sample, config));
    const b = boundingSphere(sample.positions);
    this.view.fitTo(new Sphere(new Vector3(...b.center), b.radius));
    this.view.requestRender();
    return true;
  }

  private drawScatter3d(st: WindowState) {
    this.setKind("scatter3d");
    const key = String(st.version);
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    const t0 = performance.now();
    if (!this.show3d(scatterCloud(st), {})) return;
    this.drawLegend(st);
    this.el.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  private drawProperties(st: WindowState) {
    this.setKind("properties");
    if (!this.props) {
      this.props = new PropertiesPane((propertyId, value) =>
        this.report({ event_type: "PropertyUpdate", propertyId, value }));
      this.body.append(this.props.el);
    }
    const key = String(st.version);
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    this.props.update(st.spec.properties);
  }

  private drawSvg(st: WindowState) {
    this.setKind("svg");
    const svg = str(st.spec.svg) ?? "";
    const key = String(st.version);
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    // as an <img>: scripts and external loads in the SVG never run
    const img = h("img", { class: "cb-visdom-img", alt: this.list.tag, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` });
    this.body.replaceChildren(img);
  }

  destroy() {
    this.ro?.disconnect();
    this.lineRo?.disconnect();
    this.chart?.destroy();
    this.view?.dispose();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.el.remove();
  }
}

const CSS_ID = "cellboard-visdom-v1";
const CSS = `
.cellboard .cb-visdom-body { position: relative; width: 100%; height: 260px; overflow: hidden; }
.cellboard .cb-card.cb-wide .cb-visdom-body { height: 380px; }
.cellboard .cb-visdom-body.cb-visdom-line { height: auto; overflow: visible; }
.cellboard .cb-visdom-body.cb-visdom-text { overflow: auto; }
.cellboard .cb-visdom-body.cb-visdom-properties { height: auto; max-height: 380px; overflow: auto; }
.cellboard .cb-visdom-props { border-collapse: collapse; width: 100%; font-size: 12px; }
.cellboard .cb-visdom-props td { border-bottom: 1px solid var(--cb-border); padding: 4px 6px; }
.cellboard .cb-visdom-props td.cb-visdom-prop-name { color: var(--cb-fg2); width: 40%; overflow-wrap: anywhere; }
.cellboard .cb-visdom-props .cb-input, .cellboard .cb-visdom-props select { width: 100%; box-sizing: border-box; }
.cellboard .cb-visdom-props select { background: var(--cb-input); border: 1px solid var(--cb-input-border); border-radius: 4px; padding: 2px 4px; }
.cellboard .cb-visdom-props input[type="checkbox"] { accent-color: var(--cb-accent); margin: 0; }
.cellboard .cb-visdom-props .cb-btn { border: 1px solid var(--cb-input-border); background: var(--cb-bg2); border-radius: 4px; padding: 2px 10px; cursor: pointer; }
.cellboard .cb-visdom-props .cb-btn:hover { border-color: var(--cb-accent); }
.cellboard .cb-visdom-body.cb-visdom-audio { height: auto; padding: 8px 0; }
.cellboard .cb-visdom-body.cb-visdom-audio audio { width: 100%; }
.cellboard .cb-visdom-img { width: 100%; height: 100%; object-fit: contain; }
.cellboard .cb-visdom-img.cb-pixelated { image-rendering: pixelated; }
.cellboard .cb-visdom-text { padding: 4px 2px; font-size: 13px; }
.cellboard .cb-visdom-title { font-size: 12px; }
.cellboard .cb-visdom-card:focus { outline: none; border-color: var(--cb-accent); }
.cellboard .cb-visdom-tip { position: absolute; pointer-events: none; z-index: 2; white-space: nowrap; font-size: 11px;
  padding: 2px 6px; border-radius: 3px; background: var(--cb-bg); color: var(--cb-fg); border: 1px solid var(--cb-border);
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15); }
.cellboard .cb-visdom-card .cb-visdom-close { margin-left: auto; opacity: 0.5; }
.cellboard .cb-visdom-card .cb-visdom-close:hover, .cellboard .cb-visdom-card:focus-within .cb-visdom-close { opacity: 1; }
.cellboard .cb-visdom-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 11px; color: var(--cb-fg2); padding: 2px 4px 0; }
.cellboard .cb-visdom-scatter3d .cb-visdom-legend { position: absolute; top: 4px; left: 4px; background: var(--cb-bg); opacity: 0.85; border-radius: 3px; }
.cellboard .cb-visdom-legend i { display: inline-block; width: 12px; height: 3px; margin: 0 4px 3px 0; vertical-align: middle; }
.cellboard .cb-visdom-card .cb-scalar-card { border: 0; padding: 0; margin: 0; box-shadow: none; }
.cellboard .cb-visdom-card .cb-scalar-card > .cb-card-head { display: none; }
`;

class PlotsPanel extends RecordsPanel<PlotRecord> {
  constructor(ctx: PanelContext, records: RecordSlice<PlotRecord>) {
    super(ctx, records, { kind: PLOTS });
    if (typeof document !== "undefined" && !document.getElementById(CSS_ID)) {
      const style = document.createElement("style");
      style.id = CSS_ID;
      style.textContent = CSS;
      (document.head ?? document.documentElement).appendChild(style);
    }
  }

  override markDirty(d: Dirt) {
    super.markDirty(d);
    // image, text, audio and mesh windows show those kinds' records
    if (d !== "all" && ["images", "text", "audio", "mesh"].some((k) => changedKeys(d, k).size)) {
      const keys = new Set<string>();
      for (const [k, l] of this.records.lists) {
        const st = windowOf(l);
        if (st && source(st)) keys.add(k);
      }
      if (keys.size) super.markDirty({ ...d, kinds: new Map([[PLOTS, keys]]) });
    }
  }

  protected makeCard(list: RecordList<PlotRecord>) {
    return new WindowCard(this.ctx, list);
  }
}
