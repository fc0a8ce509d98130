// The GRAPH tab: one model graph at a time (a run picker when several runs have graphs, a graph
// picker when a run logged several: its latest op graph first; a Keras model's layers, TensorBoard's
// conceptual graph, when the run has no op graph or when picked), drawn as its module tree
// (model.ts), laid out with dagre (layout.ts) and drawn in SVG: boxes show name, type, parameters
// and output shape; edges carry tensor shapes. Click a module to expand it (or its title to collapse it); search expands to the
// matches and lights them; drag pans, the wheel zooms, "Fit" shows everything. The Table view is
// the summary table add_graph logs next to the graph (table.ts).
//
// Test hooks on the panel element: data-graph-nodes (boxes drawn), data-graph-edges,
// data-graph-expanded (expanded modules), data-graph-matches, data-graph-view (graph | table),
// data-graph-run, data-graph-layout-ms (the last layout's time).

import { changedKeys } from "../../store-change";
import { h } from "../../ui/dom";
import { fmtWall } from "../../ui/format";
import type { RecordSlice } from "../record-kind";
import type { Dirt, Panel, PanelContext } from "../types";
import { boxLines, labelOf, layout, NODE_H, TITLE_H, type Layout, type Point } from "./layout";
import {
  allExpanded, buildModel, expandTo, fmtShape, initialExpanded, search, visible,
  type GraphModel, type Group, type OpNode, type VisibleGraph,
} from "./model";
import { GRAPH_TAG, SUMMARY_TAG, type GraphDefRecord, type GraphRecord, type SummaryRecord } from "./record";
import { injectGraphCss } from "./style";
import { SummaryTableView } from "./table";

const SVG_NS = "http://www.w3.org/2000/svg";
const MIN_K = 0.05, MAX_K = 3;
/** Search opens modules to show its matches only up to this many (more: the matches are only lit). */
const EXPAND_MATCHES = 60;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A polyline as a smooth path: straight ends, quadratic corners. */
function pathD(pts: readonly Point[]): string {
  if (pts.length === 0) return "";
  if (pts.length <= 2) return `M${pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join("L")}`;
  let d = `M${pts[0].x.toFixed(1)},${pts[0].y.toFixed(1)}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const m = { x: (pts[i].x + pts[i + 1].x) / 2, y: (pts[i].y + pts[i + 1].y) / 2 };
    d += `Q${pts[i].x.toFixed(1)},${pts[i].y.toFixed(1)} ${m.x.toFixed(1)},${m.y.toFixed(1)}`;
  }
  const last = pts[pts.length - 1];
  return `${d}L${last.x.toFixed(1)},${last.y.toFixed(1)}`;
}

function midpoint(pts: readonly Point[]): Point | null {
  if (pts.length === 0) return null;
  if (pts.length % 2 === 1) return pts[(pts.length - 1) / 2];
  const a = pts[pts.length / 2 - 1], b = pts[pts.length / 2];
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** A graph picker option: "graph 2 of 3 (time)", or "Keras model (time)" for a Keras config. */
function graphLabel(g: GraphDefRecord, i: number, n: number): string {
  return `${g.source === "keras" ? "Keras model" : `graph ${i + 1} of ${n}`} (${fmtWall(g.wall)})`;
}

/** The graph shown first: the latest op graph (TensorBoard's default), else the latest graph. */
function defaultGraph(graphs: readonly GraphDefRecord[]): number {
  for (let i = graphs.length - 1; i >= 0; i--) if (graphs[i].source !== "keras") return i;
  return graphs.length - 1;
}

export class GraphPanel implements Panel {
  readonly el: HTMLElement;
  private readonly runSelect = h("select", { class: "cb-input", "aria-label": "Run" });
  private readonly graphSelect = h("select", { class: "cb-input", "aria-label": "Graph" });
  private readonly searchInput = h("input", { class: "cb-input cb-graph-search", type: "search", placeholder: "Search nodes by name", "aria-label": "Search nodes" });
  private readonly matchNote = h("span", { class: "cb-muted cb-graph-matches" });
  private readonly graphBtn = h("button", { class: "cb-graph-mode", type: "button", text: "Graph", "aria-pressed": "true" });
  private readonly tableBtn = h("button", { class: "cb-graph-mode", type: "button", text: "Table", "aria-pressed": "false" });
  private readonly expandBtn = h("button", { class: "cb-linkbtn", type: "button", text: "expand all" });
  private readonly collapseBtn = h("button", { class: "cb-linkbtn", type: "button", text: "collapse" });
  private readonly fitBtn = h("button", { class: "cb-graph-fit", type: "button", text: "Fit", title: "Fit the graph to the view" });
  private readonly status = h("span", { class: "cb-muted cb-graph-status" });
  private readonly view = h("div", { class: "cb-graph-view" });
  private readonly svgEl = svg("svg", { class: "cb-graph-svg" });
  private readonly viewport = svg("g");
  /** Holds the SVG at layout size; pan and zoom are its CSS transform (composited while they last). */
  private readonly canvas = h("div", { class: "cb-graph-canvas" });
  private movingTimer = 0;
  private readonly tableView = new SummaryTableView();
  private readonly empty = h("p", { class: "cb-muted", text: "No graph is shown: the runs that have one are filtered out." });

  private run: string | null = null;
  private graphIndex = -1; // -1: the run's latest graph
  private mode: "graph" | "table" = "graph";
  private record: GraphDefRecord | null = null;
  private table: SummaryRecord | null = null;
  private model: GraphModel | null = null;
  private expanded = new Set<string>();
  private query = "";
  private matches: (OpNode | Group)[] = [];
  private vis: VisibleGraph | null = null;
  private lay: Layout | null = null;
  private k = 1;
  private tx = 0;
  private ty = 0;
  private fitPending = true;
  private dataDirty = true;
  private layoutDirty = true;
  private searchTimer = 0;
  private readonly ro: ResizeObserver | null;

  constructor(private readonly ctx: PanelContext, private readonly records: RecordSlice<GraphRecord>) {
    injectGraphCss();
    const defs = svg("defs");
    const marker = svg("marker", { id: "cb-graph-arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M0,0.5L8,4L0,7.5z", class: "cb-graph-arrowhead" }));
    defs.append(marker);
    this.svgEl.append(defs, this.viewport);
    this.canvas.append(this.svgEl);
    this.view.append(this.canvas);
    const modes = h("span", { class: "cb-graph-modes", role: "group", "aria-label": "View" }, this.graphBtn, this.tableBtn);
    const bar = h("div", { class: "cb-graph-bar" }, this.runSelect, this.graphSelect, this.searchInput, this.matchNote,
      this.expandBtn, this.collapseBtn, this.fitBtn, modes, this.status);
    this.el = h("div", { class: "cb-panel cb-panel-graph" }, bar, this.empty, this.view, this.tableView.el);
    this.tableView.el.hidden = true;
    this.empty.hidden = true;

    // a picked graph is drawn on the next flush (reload only marks its layout dirty)
    this.runSelect.addEventListener("change", () => { this.run = this.runSelect.value; this.graphIndex = -1; this.reload(); ctx.requestFlush(); });
    this.graphSelect.addEventListener("change", () => { this.graphIndex = Number(this.graphSelect.value); this.reload(); ctx.requestFlush(); });
    this.searchInput.addEventListener("input", () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.setQuery(this.searchInput.value), 200);
    });
    this.searchInput.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      window.clearTimeout(this.searchTimer);
      this.setQuery(this.searchInput.value);
      this.focusMatch();
    });
    this.graphBtn.addEventListener("click", () => this.setMode("graph"));
    this.tableBtn.addEventListener("click", () => this.setMode("table"));
    this.expandBtn.addEventListener("click", () => { if (this.model) this.setExpanded(allExpanded(this.model), true); });
    this.collapseBtn.addEventListener("click", () => { if (this.model) this.setExpanded(initialExpanded(this.model), true); });
    this.fitBtn.addEventListener("click", () => this.fit());
    this.bindPanZoom();
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => { if (this.fitPending) ctx.requestFlush(); });
    this.ro?.observe(this.view);
    this.hooks();
  }

  // ------------------------------------------------------------------ Panel

  settingsEl(): HTMLElement | null {
    return null;
  }

  syncControls() {}

  tagCounts() {
    const n = this.graphRuns().length;
    return { shown: n, total: n };
  }

  markDirty(d: Dirt) {
    if (d === "all" || changedKeys(d, "graph").size) this.dataDirty = true;
  }

  shown() {
    this.layoutDirty = true;
  }

  flush() {
    if (this.dataDirty) this.reload();
    if (this.layoutDirty && this.mode === "graph") this.relayout();
    if (this.fitPending && this.lay && this.view.clientWidth > 0) this.fit();
  }

  destroy() {
    window.clearTimeout(this.searchTimer);
    window.clearTimeout(this.movingTimer);
    this.ro?.disconnect();
    this.el.remove();
  }

  // ------------------------------------------------------------------ data

  /** Runs shown that hold a graph, sorted. */
  private graphRuns(): string[] {
    const runs = new Set<string>();
    for (const l of this.records.lists.values()) if (l.tag === GRAPH_TAG && l.count > 0 && this.ctx.runShown(l.run)) runs.add(l.run);
    return [...runs].sort();
  }

  private graphsOf(run: string): GraphDefRecord[] {
    return (this.records.get(run, GRAPH_TAG)?.list() ?? []).filter((r): r is GraphDefRecord => r.what === "graph");
  }

  /** The summary table logged with this graph: same run, same wall time. */
  private summaryOf(g: GraphDefRecord): SummaryRecord | null {
    const tables = (this.records.get(g.run, SUMMARY_TAG)?.list() ?? []).filter((r): r is SummaryRecord => r.what === "summary");
    return tables.find((t) => Math.abs(t.wall - g.wall) < 1e-6) ?? null;
  }

  private reload() {
    this.dataDirty = false;
    const runs = this.graphRuns();
    if (this.run === null || !runs.includes(this.run)) this.run = runs[0] ?? null;
    this.runSelect.replaceChildren(...runs.map((r) => h("option", { value: r, text: r })));
    this.runSelect.value = this.run ?? "";
    this.runSelect.hidden = runs.length < 2;
    const graphs = this.run === null ? [] : this.graphsOf(this.run);
    this.graphSelect.replaceChildren(...graphs.map((g, i) => h("option", { value: String(i), text: graphLabel(g, i, graphs.length) })));
    this.graphSelect.hidden = graphs.length < 2;
    const index = this.graphIndex >= 0 && this.graphIndex < graphs.length ? this.graphIndex : defaultGraph(graphs);
    this.graphSelect.value = String(index);
    const rec = graphs[index] ?? null;
    this.empty.hidden = rec !== null;
    this.view.hidden = rec === null || this.mode !== "graph";
    const table = rec ? this.summaryOf(rec) : null;
    this.tableView.set(table?.table ?? null);
    if (rec !== this.record) {
      this.record = rec;
      this.table = table;
      this.model = rec ? buildModel(rec.nodes, table?.table ?? null, rec.groups) : null;
      this.expanded = this.model ? initialExpanded(this.model) : new Set();
      this.matches = this.model ? search(this.model, this.query) : [];
      this.fitPending = true;
      this.layoutDirty = true;
    } else if (rec && table !== this.table) {
      // the table arrived after its graph (a later message): the modules' parameters are known now
      this.table = table;
      this.model = buildModel(rec.nodes, table?.table ?? null, rec.groups);
      this.matches = search(this.model, this.query);
      this.layoutDirty = true;
    }
    this.hooks();
  }

  // ------------------------------------------------------------------ interaction

  private setMode(mode: "graph" | "table") {
    this.mode = mode;
    this.graphBtn.setAttribute("aria-pressed", String(mode === "graph"));
    this.tableBtn.setAttribute("aria-pressed", String(mode === "table"));
    this.view.hidden = mode !== "graph" || this.record === null;
    this.tableView.el.hidden = mode !== "table";
    for (const b of [this.expandBtn, this.collapseBtn, this.fitBtn, this.searchInput]) b.hidden = mode !== "graph";
    this.matchNote.hidden = this.status.hidden = mode !== "graph";
    if (mode === "graph") this.ctx.requestFlush();
    this.hooks();
  }

  private setQuery(q: string) {
    if (!this.model || q === this.query) return;
    this.query = q;
    this.matches = search(this.model, q);
    if (this.matches.length && this.matches.length <= EXPAND_MATCHES) this.expanded = expandTo(this.expanded, this.matches);
    this.fitPending = this.matches.length > 0;
    this.layoutDirty = true;
    this.ctx.requestFlush();
  }

  private matchIndex = -1;

  /** Enter in the search box: centre the next match. */
  private focusMatch() {
    if (!this.lay || !this.vis || this.matches.length === 0) return;
    this.matchIndex = (this.matchIndex + 1) % this.matches.length;
    const id = this.repOf(this.matches[this.matchIndex]);
    const b = id ? this.lay.nodes.get(id) : null;
    if (!b) return;
    const W = this.view.clientWidth, H = this.view.clientHeight;
    this.k = Math.max(this.k, 0.8);
    this.tx = W / 2 - (b.x + b.w / 2) * this.k;
    this.ty = H / 2 - (b.y + b.h / 2) * this.k;
    this.fitPending = false;
    this.applyTransform();
  }

  /** The box drawn for an item: itself, or its outermost collapsed module. */
  private repOf(item: OpNode | Group): string | null {
    let rep: OpNode | Group = item;
    const chain: Group[] = [];
    for (let g = item.parent; g && g.path !== ""; g = g.parent) chain.push(g);
    for (const g of chain.reverse()) {
      if (!this.expanded.has(g.path)) {
        rep = g;
        break;
      }
    }
    return rep.id;
  }

  private setExpanded(expanded: Set<string>, fit: boolean, anchor?: { id: string; sx: number; sy: number }) {
    this.expanded = expanded;
    this.fitPending = fit;
    this.relayout(anchor);
  }

  private toggle(g: Group, ev: MouseEvent) {
    const next = new Set(this.expanded);
    if (next.has(g.path)) {
      for (const p of [...next]) if (p === g.path || p.startsWith(`${g.path}/`)) next.delete(p);
    } else next.add(g.path);
    const r = this.view.getBoundingClientRect();
    this.setExpanded(next, false, { id: g.id, sx: ev.clientX - r.left, sy: ev.clientY - r.top });
  }

  private bindPanZoom() {
    let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    this.view.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    this.view.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        this.view.setPointerCapture?.(ev.pointerId);
        this.view.classList.add("cb-graph-dragging");
      }
      this.tx = drag.tx + dx;
      this.ty = drag.ty + dy;
      this.fitPending = false;
      this.applyTransform();
    });
    const end = (ev: PointerEvent) => {
      if (drag?.moved) {
        // a drag is not a click on what it started on
        const stop = (e: Event) => e.stopPropagation();
        this.view.addEventListener("click", stop, { capture: true, once: true });
        window.setTimeout(() => this.view.removeEventListener("click", stop, { capture: true }), 0);
      }
      drag = null;
      this.view.classList.remove("cb-graph-dragging");
      if (this.view.hasPointerCapture?.(ev.pointerId)) this.view.releasePointerCapture(ev.pointerId);
    };
    this.view.addEventListener("pointerup", end);
    this.view.addEventListener("pointercancel", end);
    this.view.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = this.view.getBoundingClientRect();
      const sx = ev.clientX - r.left, sy = ev.clientY - r.top;
      const k = Math.min(MAX_K, Math.max(MIN_K, this.k * Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.002))));
      this.tx = sx - ((sx - this.tx) * k) / this.k;
      this.ty = sy - ((sy - this.ty) * k) / this.k;
      this.k = k;
      this.fitPending = false;
      this.applyTransform();
    }, { passive: false });
  }

  private applyTransform() {
    this.canvas.style.transform = `translate(${this.tx.toFixed(1)}px,${this.ty.toFixed(1)}px) scale(${this.k.toFixed(4)})`;
    // a composited layer while moving (each frame only recomposites); dropped when still, so the
    // drawing is rasterised again at its new scale (sharp text)
    this.canvas.classList.add("cb-graph-moving");
    window.clearTimeout(this.movingTimer);
    this.movingTimer = window.setTimeout(() => this.canvas.classList.remove("cb-graph-moving"), 200);
    this.view.dataset.graphZoom = this.k.toFixed(3);
  }

  private fit() {
    if (!this.lay) return;
    const W = this.view.clientWidth, H = this.view.clientHeight;
    if (W <= 0 || H <= 0) return;
    const { width, height } = this.lay;
    this.k = Math.min(MAX_K, Math.max(MIN_K, Math.min(W / width, H / height, 1.25) * 0.96));
    // a tall graph fitted whole would be unreadable: fit its width, start at its top
    if (height * this.k < H * 0.5 && width / height < 0.2) this.k = Math.min(1, W / width);
    if (this.k < 0.35 && width < W * 2) this.k = Math.min(1, (W / width) * 0.96);
    this.tx = (W - width * this.k) / 2;
    this.ty = height * this.k <= H ? (H - height * this.k) / 2 : 8;
    this.fitPending = false;
    this.applyTransform();
  }

  // ------------------------------------------------------------------ drawing

  private relayout(anchor?: { id: string; sx: number; sy: number }) {
    this.layoutDirty = false;
    if (!this.model || this.mode !== "graph") {
      this.viewport.replaceChildren();
      this.vis = this.lay = null;
      this.hooks();
      return;
    }
    this.vis = visible(this.model, this.expanded);
    this.lay = layout(this.vis);
    this.draw();
    if (anchor) {
      // keep what was clicked (or what replaced it) under the pointer
      const b = this.lay.nodes.get(anchor.id) ?? this.lay.clusters.get(anchor.id);
      if (b) {
        this.tx = anchor.sx - (b.x + b.w / 2) * this.k;
        this.ty = anchor.sy - (b.y + Math.min(b.h, NODE_H) / 2) * this.k;
      }
    }
    if (this.fitPending) this.fit();
    else this.applyTransform();
    this.hooks();
  }

  private draw() {
    const vis = this.vis as VisibleGraph, lay = this.lay as Layout;
    const lit = new Set(this.matches.map((m) => m.id));
    const holdsMatch = new Set<string>();
    for (const m of this.matches) for (let g = m.parent; g; g = g.parent) holdsMatch.add(g.id);
    const clusters = svg("g", { class: "cb-graph-clusters" });
    const sorted = [...vis.clusters].sort((a, b) => a.group.depth - b.group.depth);
    for (const c of sorted) {
      const b = lay.clusters.get(c.id);
      if (!b) continue;
      const g = svg("g", { class: `cb-graph-cluster${lit.has(c.id) ? " cb-graph-lit" : ""}`, "data-path": c.group.path });
      g.append(svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }));
      const title = svg("text", { x: b.x + 8, y: b.y + TITLE_H - 7, class: "cb-graph-cluster-title" },
        `\u2212 ${labelOf(c.group)}${c.group.type ? ` \u00B7 ${c.group.type}` : ""}`);
      title.append(svg("title", {}, `${c.group.path}\nclick to collapse`));
      title.addEventListener("click", (ev) => this.toggle(c.group, ev));
      g.append(title);
      clusters.append(g);
    }
    const edges = svg("g", { class: "cb-graph-edges" });
    const labels = svg("g", { class: "cb-graph-edge-labels" });
    vis.edges.forEach((e, i) => {
      const pts = lay.edges[i];
      if (!pts || pts.length < 2) return;
      edges.append(svg("path", { d: pathD(pts), "marker-end": "url(#cb-graph-arrow)", class: e.count > 1 ? "cb-graph-edge cb-graph-multi" : "cb-graph-edge" }));
      const mid = midpoint(pts);
      const text = fmtShape(e.shape);
      if (mid && text) labels.append(svg("text", { x: mid.x + 4, y: mid.y + 3, class: "cb-graph-edge-label" }, e.count > 1 ? `${text} \u00D7${e.count}` : text));
    });
    const nodes = svg("g", { class: "cb-graph-nodes" });
    for (const n of vis.nodes) {
      const b = lay.nodes.get(n.id);
      if (!b) continue;
      const item = n.item;
      const isGroup = item.kind === "group";
      const cls = ["cb-graph-node", isGroup ? "cb-graph-module" : "cb-graph-op"];
      if (lit.has(n.id)) cls.push("cb-graph-lit");
      else if (isGroup && holdsMatch.has(n.id)) cls.push("cb-graph-holds");
      const g = svg("g", { class: cls.join(" "), transform: `translate(${b.x.toFixed(1)},${b.y.toFixed(1)})`, "data-id": n.id,
        "data-name": isGroup ? item.path : item.name });
      const [name, type, facts] = boxLines(item);
      g.append(svg("rect", { width: b.w, height: b.h, rx: isGroup ? 6 : 3 }));
      g.append(svg("text", { x: 8, y: 15, class: "cb-graph-name" }, isGroup ? `+ ${name}` : name));
      g.append(svg("text", { x: 8, y: 28, class: "cb-graph-type" }, type));
      if (facts) g.append(svg("text", { x: 8, y: 40, class: "cb-graph-facts" }, facts));
      g.append(svg("title", {}, this.tooltip(item)));
      if (isGroup) g.addEventListener("click", (ev) => this.toggle(item, ev));
      nodes.append(g);
    }
    this.svgEl.setAttribute("width", String(Math.ceil(lay.width)));
    this.svgEl.setAttribute("height", String(Math.ceil(lay.height)));
    this.viewport.replaceChildren(clusters, edges, labels, nodes);
  }

  private tooltip(item: OpNode | Group): string {
    if (item.kind === "group") {
      const lines = [item.path, item.type ? `module ${item.type}${item.module ? ` (${item.module})` : ""}` : "scope",
        `${item.size} ops inside`];
      if (item.params !== null) lines.push(`${item.params.toLocaleString("en-US")} parameters`);
      if (item.shape) lines.push(`output ${fmtShape(item.shape)}`);
      lines.push("click to expand");
      return lines.join("\n");
    }
    const lines = [item.name, `op ${item.op}`];
    if (item.shape) lines.push(`output ${fmtShape(item.shape)}`);
    if (item.attr) lines.push(item.attr);
    if (item.consts.length) lines.push(`constants: ${item.consts.join(", ")}`);
    return lines.join("\n");
  }

  private hooks() {
    const d = this.el.dataset;
    d.graphNodes = String(this.vis?.nodes.length ?? 0);
    d.graphEdges = String(this.vis?.edges.length ?? 0);
    d.graphExpanded = String(this.expanded.size);
    d.graphMatches = String(this.matches.length);
    d.graphView = this.mode;
    d.graphRun = this.run ?? "";
    d.graphLayoutMs = this.lay ? this.lay.ms.toFixed(1) : "";
    d.graphTotal = String(this.model?.drawn ?? 0);
    this.matchNote.textContent = this.query.trim() ? `${this.matches.length} match${this.matches.length === 1 ? "" : "es"}` : "";
    const m = this.model;
    this.status.textContent = m && this.vis && this.lay
      ? `${this.vis.nodes.length} of ${m.drawn} nodes shown · layout ${Math.round(this.lay.ms)} ms`
      : "";
  }
}
