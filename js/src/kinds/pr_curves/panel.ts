// The PR CURVES tab: a card per tag, each shown run a line in its colour (precision against
// recall), at the step picked by the card's slider (every step any shown run logged; a run
// shows its latest curve at or before that step). The slider follows new steps while it sits
// on the latest. Hover: per run, the threshold nearest to the pointer with its precision,
// recall and TP/FP/TN/FN.

import { describable } from "../../ui/descriptions";
import { fitCanvas, h, tagGroup } from "../../ui/dom";
import { fmtInt, fmtValue, fmtWall } from "../../ui/format";
import { Sections } from "../../ui/sections";
import { changedKeys } from "../../store-change";
import type { RecordList, RecordSlice } from "../record-kind";
import type { Dirt, Panel, PanelContext } from "../types";
import {
  nearestPoint, prFrame, prPoints, recordAtStep, stepIndex, unionSteps, xPx, yPx,
  type PrCurveRecord, type PrFrame, type PrPoint,
} from "./curve";
import { drawPrChart, type Curve } from "./draw";

const POINTS = new WeakMap<PrCurveRecord, PrPoint[]>();
const pointsOf = (r: PrCurveRecord) => {
  let p = POINTS.get(r);
  if (!p) POINTS.set(r, (p = prPoints(r)));
  return p;
};

const MAX_TIP_ROWS = 12;
const fmtCount = (v: number) => (Number.isInteger(v) ? fmtInt(v) : fmtValue(v));

interface RunCurve extends Curve {
  rec: PrCurveRecord | null;
}

class PrCard {
  readonly el: HTMLElement;
  readonly box: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private readonly note: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly stepLabel: HTMLElement;
  private readonly legend: HTMLElement;
  private lists: RecordList<PrCurveRecord>[] = [];
  private steps: number[] = [];
  private step = NaN;
  private follow = true;
  private curves: RunCurve[] = [];
  private frame: PrFrame | null = null;
  private pointer: { x: number; y: number } | null = null;
  private width = 0;
  private height = 0;

  constructor(private readonly ctx: PanelContext, readonly tag: string) {
    this.canvas = h("canvas");
    this.canvas.style.display = "block";
    this.box = h("div", { class: "cb-pr-plot", style: "position:relative;width:100%;height:270px" }, this.canvas);
    this.tip = h("div", { class: "cb-tooltip" });
    this.note = h("span", { class: "cb-card-note" });
    this.slider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "Step" });
    this.stepLabel = h("span", { class: "cb-step" });
    this.legend = h("div", { class: "cb-pr-legend", style: "margin-top:4px;max-height:112px;overflow:auto;font-size:11.5px" });
    this.el = h("div", { class: "cb-card cb-pr-card", "data-tag": tag },
      h("div", { class: "cb-card-head" }, h("span", { class: "cb-card-title", title: tag, text: tag, ...describable(tag) }), this.note),
      this.box,
      h("div", { class: "cb-slider-row" }, this.slider, this.stepLabel),
      this.legend,
      this.tip);
    this.slider.addEventListener("input", this.onSlide);
    this.canvas.addEventListener("mousemove", this.onMove);
    this.canvas.addEventListener("mouseleave", this.onLeave);
  }

  resize(w: number, hgt: number) {
    if (w <= 0 || hgt <= 0 || (Math.abs(w - this.width) < 1 && Math.abs(hgt - this.height) < 1)) return false;
    this.width = w;
    this.height = hgt;
    return true;
  }

  /** The shown runs' lists of this tag (sorted by run). */
  update(lists: RecordList<PrCurveRecord>[]) {
    this.lists = lists;
    this.steps = unionSteps(lists.map((l) => l.list()));
    const n = this.steps.length;
    if (this.follow || Number.isNaN(this.step)) this.step = n ? this.steps[n - 1] : NaN;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(Math.max(0, stepIndex(this.steps, this.step)));
    this.slider.disabled = n <= 1;
    this.note.textContent = `${lists.length} run${lists.length === 1 ? "" : "s"} · ${n} step${n === 1 ? "" : "s"}`;
    this.pick();
  }

  private onSlide = () => {
    const i = Number(this.slider.value);
    this.step = this.steps[i] ?? this.step;
    this.follow = i >= this.steps.length - 1;
    this.pick();
  };

  /** The record each run shows at the selected step; legend and chart. */
  private pick() {
    const step = this.step;
    this.stepLabel.textContent = Number.isNaN(step) ? "" : `step ${fmtInt(step)}`;
    this.stepLabel.title = `${Math.max(0, stepIndex(this.steps, step)) + 1} of ${this.steps.length} steps`;
    this.curves = this.lists.map((l) => {
      const rec = Number.isNaN(step) ? null : recordAtStep(l.list(), step);
      return { run: l.run, color: this.ctx.runColor(l.run), rec, points: rec ? pointsOf(rec) : [] };
    });
    this.legend.replaceChildren(...this.curves.map((c) => this.legendRow(c)));
    this.draw();
  }

  private legendRow(c: RunCurve): HTMLElement {
    const sw = h("span", { class: "cb-swatch" });
    sw.style.cssText = `display:inline-block;flex:none;width:10px;height:3px;border-radius:1px;background:${c.color}`;
    let info: string, title = "";
    if (!c.rec) info = `no curve at or before step ${fmtInt(this.step)}`;
    else {
      const at = `step ${fmtInt(c.rec.step)} · `;
      info = c.points.length ? `${at}${c.points.length} of ${c.rec.n} thresholds` : `${at}nothing predicted positive`;
      title = `step ${fmtInt(c.rec.step)} · ${fmtWall(c.rec.wall)}`;
    }
    const row = h("div", { class: "cb-pr-legend-row", title, style: "display:flex;align-items:center;gap:6px;min-width:0;line-height:1.6" },
      sw,
      h("span", { text: c.run, style: "overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0;color:var(--cb-fg2)" }),
      h("span", { class: "cb-muted", text: info, style: "margin-left:auto;white-space:nowrap;flex:none" }));
    if (c.rec) row.append(h("span", { class: "cb-muted", text: fmtWall(c.rec.wall).slice(11), style: "white-space:nowrap;flex:none" }));
    return row;
  }

  draw() {
    const w = Math.floor(this.width || this.box.clientWidth || 330);
    const hgt = Math.floor(this.height || this.box.clientHeight || 270);
    if (w <= 0 || hgt <= 0) return;
    const dpr = fitCanvas(this.canvas, w, hgt);
    const g = this.canvas.getContext("2d");
    if (!g) return;
    const f = (this.frame = prFrame(w, hgt));
    const hovered = this.hovered();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawPrChart(g, f, w, hgt, this.ctx.theme(), this.curves.filter((c) => c.points.length), hovered.map((x) => ({ color: x.c.color, point: x.p, nearest: x.nearest })));
    this.showTip(hovered);
  }

  /** Per run, the point nearest to the pointer (screen distance). */
  private hovered(): { c: RunCurve; p: PrPoint; d: number; nearest: boolean }[] {
    const f = this.frame, ptr = this.pointer;
    if (!f || !ptr) return [];
    const out: { c: RunCurve; p: PrPoint; d: number; nearest: boolean }[] = [];
    for (const c of this.curves) {
      const hit = nearestPoint(c.points, ptr.x, ptr.y, (p) => xPx(f, p.recall), (p) => yPx(f, p.precision));
      if (hit) out.push({ c, p: c.points[hit.index], d: hit.dist, nearest: false });
    }
    if (out.length) out.reduce((a, b) => (b.d < a.d ? b : a)).nearest = true;
    return out;
  }

  private showTip(all: { c: RunCurve; p: PrPoint; d: number; nearest: boolean }[]) {
    const ptr = this.pointer;
    if (!ptr || !all.length) {
      this.tip.style.display = "none";
      return;
    }
    // many runs: the closest ones, still in run order
    const keep = new Set(all.slice().sort((a, b) => a.d - b.d).slice(0, MAX_TIP_ROWS));
    const rows = all.filter((r) => keep.has(r));
    const cell = (t: string) => h("td", { text: t });
    const head = h("tr", {}, ...["run", "threshold", "precision", "recall", "TP", "FP", "TN", "FN"].map((t) => h("th", { text: t })));
    const body = rows.map(({ c, p, nearest }) => {
      const sw = h("span", { class: "cb-swatch" });
      sw.style.background = c.color;
      const tr = h("tr", {},
        h("td", { class: "cb-tip-run" }, sw, c.run),
        cell(fmtValue(p.threshold)), cell(fmtValue(p.precision)), cell(fmtValue(p.recall)),
        cell(fmtCount(p.tp)), cell(fmtCount(p.fp)), cell(fmtCount(p.tn)), cell(fmtCount(p.fn)));
      if (nearest && rows.length > 1) tr.style.fontWeight = "600";
      return tr;
    });
    if (all.length > rows.length) {
      body.push(h("tr", {}, h("td", { class: "cb-tip-run", colspan: 8, text: `+${all.length - rows.length} more runs` })));
    }
    this.tip.replaceChildren(h("table", {}, head, ...body));
    this.tip.style.display = "block";
    const card = this.el.getBoundingClientRect(), r = this.canvas.getBoundingClientRect();
    const cx = r.left - card.left + ptr.x, cy = r.top - card.top + ptr.y;
    const tw = this.tip.offsetWidth;
    this.tip.style.left = `${cx + 16 + tw > card.width - 4 ? Math.max(4, cx - tw - 16) : cx + 16}px`;
    this.tip.style.top = `${Math.max(4, cy + 14)}px`;
  }

  private onMove = (e: MouseEvent) => {
    const r = this.canvas.getBoundingClientRect();
    this.pointer = { x: e.clientX - r.left, y: e.clientY - r.top };
    this.draw();
  };

  private onLeave = () => {
    this.pointer = null;
    this.draw();
  };

  destroy() {
    this.slider.removeEventListener("input", this.onSlide);
    this.canvas.removeEventListener("mousemove", this.onMove);
    this.canvas.removeEventListener("mouseleave", this.onLeave);
    this.el.remove();
  }
}

export class PrCurvesPanel implements Panel {
  readonly el: HTMLElement;
  private readonly sections: Sections;
  private readonly cards = new Map<string, PrCard>();
  private readonly ro: ResizeObserver | null;
  private readonly resized = new Set<PrCard>();
  private dirtyAll = true;
  private readonly dirtyTags = new Set<string>();
  private layoutKey = "";
  private counts = { shown: 0, total: 0 };

  constructor(private readonly ctx: PanelContext, private readonly records: RecordSlice<PrCurveRecord>) {
    this.sections = new Sections("", () => ctx.requestFlush());
    this.el = h("div", { class: "cb-panel cb-panel-pr_curves" }, this.sections.el);
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      for (const e of entries) {
        const card = [...this.cards.values()].find((c) => c.box === e.target);
        if (card?.resize(e.contentRect.width, e.contentRect.height)) this.resized.add(card);
      }
      if (this.resized.size) ctx.requestFlush();
    });
  }

  settingsEl(): HTMLElement | null {
    return null;
  }

  syncControls() {}

  tagCounts() {
    return this.counts;
  }

  markDirty(d: Dirt) {
    if (d === "all") this.dirtyAll = true;
    else for (const k of changedKeys(d, "pr_curves")) this.dirtyTags.add(k.slice(k.indexOf("\u0000") + 1));
  }

  flush() {
    const all = new Set<string>();
    const byTag = new Map<string, RecordList<PrCurveRecord>[]>();
    for (const l of this.records.lists.values()) {
      if (l.count === 0) continue;
      all.add(l.tag);
      if (!this.ctx.tagShown(l.tag) || !this.ctx.runShown(l.run)) continue;
      let v = byTag.get(l.tag);
      if (!v) byTag.set(l.tag, (v = []));
      v.push(l);
    }
    this.counts = { shown: byTag.size, total: all.size };
    const tags = [...byTag.keys()].sort();
    const fresh = new Set<string>();
    for (const t of tags) {
      if (this.cards.has(t)) continue;
      const card = new PrCard(this.ctx, t);
      this.cards.set(t, card);
      this.ro?.observe(card.box);
      fresh.add(t);
    }
    const layoutKey = tags.join("\u0001");
    if (layoutKey !== this.layoutKey) {
      this.layoutKey = layoutKey;
      this.sections.layout(tags.map((t) => ({ group: tagGroup(t), el: this.cards.get(t)!.el })));
    }
    for (const t of tags) {
      const card = this.cards.get(t)!;
      if (fresh.has(t) || this.dirtyAll || this.dirtyTags.has(t)) {
        const lists = byTag.get(t)!.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
        try {
          card.update(lists);
        } catch (err) {
          console.error("[cellboard] pr_curves", t, err);
        }
        this.resized.delete(card);
      }
    }
    for (const c of this.resized) if (c.el.isConnected) c.draw();
    this.resized.clear();
    this.dirtyAll = false;
    this.dirtyTags.clear();
  }

  destroy() {
    this.ro?.disconnect();
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.sections.destroy();
    this.el.remove();
  }
}
