// The Histograms tab: a canvas per (run, tag) with TensorBoard's "offset" (ridgeline) and
// "overlay" views, drawn from the stored bins (histogram-draw.ts). Hover shows the step and the
// stored bin under the pointer.

import { h } from "./dom";
import { fmtInt, fmtValue } from "./format";
import {
  binAt, drawHistograms, hitRow, layoutHistograms, pxToX, type HistLayout, type Row,
} from "./histogram-draw";
import type { PanelContext } from "./panel";
import type { HistogramRecord } from "./protocol";
import { cardHead, RecordsPanel, type RecordCard } from "./records-panel";
import type { HistMode } from "./settings";
import type { RecordList } from "./store";

class HistogramCard implements RecordCard<HistogramRecord> {
  readonly el: HTMLElement;
  readonly box: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private readonly note: HTMLElement;
  private recs: HistogramRecord[] = [];
  private layout: HistLayout | null = null;
  private hover: Row | null = null;
  private width = 0;
  private height = 0;

  constructor(private readonly ctx: PanelContext, readonly list: RecordList<HistogramRecord>) {
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
    this.recs = list.list();
    this.draw();
  }

  draw() {
    const w = Math.floor(this.width || this.box.clientWidth || 320);
    const hgt = Math.floor(this.height || this.box.clientHeight || 250);
    if (w <= 0 || hgt <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(hgt * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(hgt * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${hgt}px`;
    }
    const g = this.canvas.getContext("2d");
    if (!g) return;
    const theme = this.ctx.theme();
    const mode: HistMode = this.ctx.settings.histMode;
    this.layout = layoutHistograms(this.recs, w, hgt, mode, this.ctx.runColor(this.list.run), theme);
    if (this.hover && !this.layout.rows.some((r) => r.rec === this.hover!.rec)) this.hover = null;
    const hover = this.hover ? this.layout.rows.find((r) => r.rec === this.hover!.rec) ?? null : null;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawHistograms(g, this.layout, w, hgt, theme, hover);
    const n = this.recs.length, drawn = this.layout.rows.length;
    const first = this.recs[0]?.step, last = this.recs[n - 1]?.step;
    this.note.textContent = n ? `${n} step${n > 1 ? "s" : ""}${n > 1 ? ` · ${fmtInt(first)}–${fmtInt(last)}` : ` · ${fmtInt(first)}`}` : "";
    this.note.title = drawn < n ? `${drawn} of ${n} steps drawn (evenly spaced); all are held` : "";
  }

  private onMove = (e: MouseEvent) => {
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

  private onLeave = () => {
    this.tip.style.display = "none";
    if (this.hover) {
      this.hover = null;
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
  readonly kind = "histograms" as const;
  private readonly ro: ResizeObserver | null;
  private readonly controls: HTMLElement;
  private readonly radios: Record<HistMode, HTMLInputElement>;
  private resized = new Set<HistogramCard>();

  constructor(ctx: PanelContext) {
    super(ctx, "");
    this.el.classList.add("cb-panel-histograms");
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      for (const e of entries) {
        const card = [...this.cards.values()].find((c) => (c as HistogramCard).box === e.target) as HistogramCard | undefined;
        if (card?.resize(e.contentRect.width, e.contentRect.height)) this.resized.add(card);
      }
      if (this.resized.size) ctx.requestFlush();
    });
    const radio = (mode: HistMode) => {
      const r = h("input", { type: "radio", name: `cb-hist-mode-${Math.random().toString(36).slice(2)}`, value: mode });
      r.addEventListener("change", () => r.checked && ctx.setSetting("histMode", mode));
      return r;
    };
    this.radios = { offset: radio("offset"), overlay: radio("overlay") };
    this.radios.overlay.name = this.radios.offset.name;
    this.controls = h("div", { class: "cb-side-section" },
      h("div", { class: "cb-side-title", text: "Histograms" }),
      h("label", { class: "cb-field" }, this.radios.offset, h("span", { text: "Offset (steps stacked)" })),
      h("label", { class: "cb-field" }, this.radios.overlay, h("span", { text: "Overlay" })),
      h("div", { class: "cb-muted", text: "Heights are densities of the stored bins (bins finer than the data supports are merged). Older steps are lighter." }));
    this.syncControls();
  }

  override settingsEl() {
    return this.controls;
  }

  override syncControls() {
    this.radios[this.ctx.settings.histMode].checked = true;
  }

  protected lists() {
    return this.ctx.store.histograms;
  }

  protected makeCard(list: RecordList<HistogramRecord>) {
    const card = new HistogramCard(this.ctx, list);
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
