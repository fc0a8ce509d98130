// The Histograms tab: a canvas per (run, tag) with TensorBoard's "offset" (ridgeline) and
// "overlay" views, drawn from the stored bins (draw.ts), and its DISTRIBUTIONS view
// ("distribution": percentile bands over steps, distribution.ts). Hover shows the step and the
// stored bin under the pointer (the step's percentiles in the distribution view).

import { fitCanvas, h } from "../../ui/dom";
import { fmtInt, fmtValue } from "../../ui/format";
import { escapeHtml } from "../../ui/markdown";
import { cardHead, RecordsPanel, type RecordCard } from "../../ui/records-panel";
import type { RecordList, RecordSlice } from "../record-kind";
import { xAxisSelect } from "../scalars/controls";
import type { PanelContext } from "../types";
import {
  binAt, drawHistograms, hitRow, layoutHistograms, pxToX, type HistLayout, type HistMode, type Row,
} from "./draw";
import {
  drawDistribution, hitColumn, layoutDistribution, PERCENTILE_LABELS, type DistColumn, type DistLayout,
} from "./distribution";
import type { HistogramRecord } from "./record";

/** The card's views: TensorBoard's two histogram modes and its distributions view. */
export type ViewMode = HistMode | "distribution";

class HistogramCard implements RecordCard<HistogramRecord> {
  readonly el: HTMLElement;
  readonly box: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private readonly note: HTMLElement;
  private recs: HistogramRecord[] = [];
  private layout: HistLayout | null = null;
  private hover: Row | null = null;
  private dist: DistLayout | null = null;
  private distHover: DistColumn | null = null;
  private width = 0;
  private height = 0;

  constructor(
    private readonly ctx: PanelContext,
    readonly list: RecordList<HistogramRecord>,
    private readonly mode: () => ViewMode,
  ) {
    this.canvas = h("canvas");
    this.tip = h("div", { class: "cb-tooltip" });
    this.note = h("span", { class: "cb-card-note" });
    this.box = h("div", { class: "cb-hist" }, this.canvas);
    this.el = h("div", { class: "cb-card cb-hist-card" }, cardHead(ctx, list.run, list.tag, this.note), this.box, this.tip);
    this.canvas.addEventListener("mousemove", this.onMove);
    this.canvas.addEventListener("mouseleave", this.onLeave);
  }

  resize(w: number, hgt: number) {
    if (w <= 0 || hgt <= 0 || (Math.abs(w - this.width) < 1 && Math.abs(hgt - this.height) < 1)) return false;
    this.width = w;
    this.height = hgt;
    return true;
  }

  update(list: RecordList<HistogramRecord>) {
    this.recs = list.list().filter((r) => r.k > 0); // a step without buckets has nothing to draw (as TensorBoard)
    this.draw();
  }

  draw() {
    const w = Math.floor(this.width || this.box.clientWidth || 320);
    const hgt = Math.floor(this.height || this.box.clientHeight || 250);
    if (w <= 0 || hgt <= 0) return;
    const dpr = fitCanvas(this.canvas, w, hgt);
    const g = this.canvas.getContext("2d");
    if (!g) return;
    const theme = this.ctx.theme();
    const mode = this.mode();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (mode === "distribution") {
      this.layout = null;
      this.hover = null;
      this.dist = layoutDistribution(this.recs, w, hgt, 2, this.ctx.settings.x_axis);
      const cols = this.dist.columns;
      if (this.distHover) this.distHover = cols.find((c) => c.rec === this.distHover!.rec) ?? null;
      drawDistribution(g, this.dist, w, hgt, theme, this.ctx.runColor(this.list.run), this.distHover);
      this.box.dataset.distributionColumns = String(cols.length);
      this.drawNote(cols.length);
      return;
    }
    this.dist = null;
    this.distHover = null;
    delete this.box.dataset.distributionColumns;
    this.layout = layoutHistograms(this.recs, w, hgt, mode, this.ctx.runColor(this.list.run), theme, this.ctx.settings.x_axis);
    if (this.hover && !this.layout.rows.some((r) => r.rec === this.hover!.rec)) this.hover = null;
    const hover = this.hover ? this.layout.rows.find((r) => r.rec === this.hover!.rec) ?? null : null;
    drawHistograms(g, this.layout, w, hgt, theme, hover);
    this.drawNote(this.layout.rows.length);
  }

  private drawNote(drawn: number) {
    const n = this.recs.length;
    const first = this.recs[0]?.step, last = this.recs[n - 1]?.step;
    this.note.textContent = n ? `${n} step${n > 1 ? "s" : ""}${n > 1 ? ` · ${fmtInt(first)}–${fmtInt(last)}` : ` · ${fmtInt(first)}`}` : "";
    this.note.title = drawn >= n ? ""
      : this.dist ? `${n} steps in ${drawn} pixel columns: each column spans its steps' lowest and highest percentiles`
      : `${drawn} of ${n} steps drawn (evenly spaced); all are held`;
  }

  private onMove = (e: MouseEvent) => {
    if (this.dist) return this.onMoveDistribution(e, this.dist);
    const L = this.layout;
    if (!L) return;
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    const row = hitRow(L, px, py);
    if (row?.rec !== this.hover?.rec) {
      this.hover = row;
      this.draw();
    }
    if (!row) return this.onLeave();
    const x = pxToX(L, px);
    const bin = binAt(row.rec, x);
    this.tip.innerHTML = "";
    this.tip.append(
      h("div", { text: `step ${fmtInt(row.rec.step)}` }),
      h("div", { class: "cb-muted", text: bin ? `[${fmtValue(bin[0])}, ${fmtValue(bin[1])}): ${fmtValue(bin[2])}` : `x = ${fmtValue(x)}` }));
    this.tip.style.display = "block";
    const card = this.el.getBoundingClientRect();
    const cx = r.left - card.left + px, cy = r.top - card.top + py;
    const tw = this.tip.offsetWidth;
    this.tip.style.left = `${cx + 14 + tw > card.width - 4 ? Math.max(4, cx - tw - 14) : cx + 14}px`;
    this.tip.style.top = `${Math.max(4, cy - 36)}px`;
  };

  /** Distribution view: the step under the pointer and its nine percentile values. */
  private onMoveDistribution(e: MouseEvent, L: DistLayout) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    const col = hitColumn(L, px);
    if (col?.rec !== this.distHover?.rec) {
      this.distHover = col;
      this.draw();
    }
    if (!col) return this.onLeave();
    const steps = col.count > 1 ? `steps ${fmtInt(col.step)}–${fmtInt(col.lastStep)} (${col.count})` : `step ${fmtInt(col.step)}`;
    let html = `<div>${escapeHtml(steps)}</div><table>`;
    for (const [label, i] of PERCENTILE_LABELS) html += `<tr><th>${label}</th><td>${fmtValue(col.v[i])}</td></tr>`;
    this.tip.innerHTML = `${html}</table>`;
    this.tip.style.display = "block";
    const card = this.el.getBoundingClientRect();
    const cx = r.left - card.left + col.x, cy = r.top - card.top + py;
    const tw = this.tip.offsetWidth, th = this.tip.offsetHeight;
    this.tip.style.left = `${cx + 14 + tw > card.width - 4 ? Math.max(4, cx - tw - 14) : cx + 14}px`;
    this.tip.style.top = `${Math.max(4, Math.min(cy - th / 2, card.height - th - 4))}px`;
  }

  private onLeave = () => {
    this.tip.style.display = "none";
    if (this.hover || this.distHover) {
      this.hover = null;
      this.distHover = null;
      this.draw();
    }
  };

  destroy() {
    this.canvas.removeEventListener("mousemove", this.onMove);
    this.canvas.removeEventListener("mouseleave", this.onLeave);
    this.el.remove();
  }
}

export class HistogramsPanel extends RecordsPanel<HistogramRecord> {
  /** Per view, not synced: TensorBoard's default is offset. */
  private mode: ViewMode = "offset";
  private readonly ro: ResizeObserver | null;
  private readonly controls: HTMLElement;
  private readonly radios: Record<ViewMode, HTMLInputElement>;
  private readonly xSelect: HTMLSelectElement;
  private resized = new Set<HistogramCard>();

  constructor(ctx: PanelContext, records: RecordSlice<HistogramRecord>) {
    super(ctx, records, { kind: "histograms" });
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      for (const e of entries) {
        const card = [...this.cards.values()].find((c) => (c as HistogramCard).box === e.target) as HistogramCard | undefined;
        if (card?.resize(e.contentRect.width, e.contentRect.height)) this.resized.add(card);
      }
      if (this.resized.size) ctx.requestFlush();
    });
    const radio = (mode: ViewMode) => {
      const r = h("input", { type: "radio", name: `cb-hist-mode-${Math.random().toString(36).slice(2)}`, value: mode });
      r.addEventListener("change", () => {
        if (!r.checked || this.mode === mode) return;
        this.mode = mode;
        this.markDirty("all");
        ctx.requestFlush();
      });
      return r;
    };
    this.radios = { offset: radio("offset"), overlay: radio("overlay"), distribution: radio("distribution") };
    this.radios.overlay.name = this.radios.distribution.name = this.radios.offset.name;
    // the board's x axis setting (the Scalars tab's too): the distribution view's horizontal axis
    // and the offset view's row labels
    this.xSelect = xAxisSelect(ctx, "Distribution horizontal axis");
    this.controls = h("div", { class: "cb-side-section" },
      h("div", { class: "cb-side-title", text: "Histograms" }),
      h("label", { class: "cb-field" }, this.radios.offset, h("span", { text: "Offset (steps stacked)" })),
      h("label", { class: "cb-field" }, this.radios.overlay, h("span", { text: "Overlay" })),
      h("label", { class: "cb-field", title: "TensorBoard's DISTRIBUTIONS: min, ±1.5σ, ±1σ, ±0.5σ percentiles and the median over steps" },
        this.radios.distribution, h("span", { text: "Distribution (percentiles over steps)" })),
      h("label", { class: "cb-field", title: "Steps or times: the distribution view's horizontal axis and the offset view's row labels (the board's x axis setting, shared with Scalars)" },
        h("span", { class: "cb-label", text: "X axis" }), this.xSelect),
      h("div", { class: "cb-muted", text: "Heights are densities of the stored bins (bins finer than the data support are merged). Older steps are lighter. Distribution: bands from min to max, ±1.5σ, ±1σ and ±0.5σ percentiles; the line is the median." }));
    this.syncControls();
  }

  override settingsEl() {
    return this.controls;
  }

  override syncControls() {
    this.radios[this.mode].checked = true;
    this.xSelect.value = this.ctx.settings.x_axis;
  }

  protected makeCard(list: RecordList<HistogramRecord>) {
    const card = new HistogramCard(this.ctx, list, () => this.mode);
    this.ro?.observe(card.box);
    return card;
  }

  override flush() {
    super.flush();
    for (const c of this.resized) c.draw();
    this.resized.clear();
  }

  override destroy() {
    this.ro?.disconnect();
    super.destroy();
  }
}
