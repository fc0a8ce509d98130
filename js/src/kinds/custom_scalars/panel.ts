// The Custom Scalars tab: the merged layout's categories as collapsible sections (in layout
// order, `closed` respected), each chart a card:
//   multiline  every scalar series whose tag a chart regex matches (re.match: anchored at the
//              start), in every shown run, on one chart: the Scalars tab's ScalarChart (smoothing,
//              zoom, full-resolution detail, tooltip, legend, CSV), one line per (run, tag) named
//              "run · tag", run colours shaded per tag;
//   margin     per run, the value series with the band between lower and upper shaded (margin.ts).
// Redraws follow the store: a scalar change redraws the charts that draw that (run, tag).

import { changedKeys } from "../../store-change";
import { h } from "../../ui/dom";
import { syncChildren } from "../../ui/sections";
import { mix } from "../../ui/theme";
import type { RecordSlice } from "../record-kind";
import { ScalarChart, type ChartOptions } from "../scalars/chart";
import { ChartControls } from "../scalars/controls";
import { scalars } from "../scalars";
import { SCALARS, type ScalarSeries, type ScalarSlice } from "../scalars/series";
import { seriesKey, type Dirt, type Panel, type PanelContext } from "../types";
import { matchTags, type ChartSpec } from "./layout";
import { MarginChart, type MarginRun } from "./margin";
import { CUSTOM_SCALARS, currentLayout, type CustomScalarsRecord } from "./record";

const CSS_ID = "cellboard-custom-scalars-v1";
const CSS = `
.cellboard .cb-cs-band { display: inline-block; width: 12px; height: 8px; border-radius: 2px; flex: none; margin-left: 4px;
  align-self: center; }
.cellboard .cb-cs-error { font-size: 11px; color: #d32f2f; margin-top: 2px; }
.cellboard .cb-cs-error[hidden] { display: none; }
`;

function injectOwnCss(doc: Document) {
  if (doc.getElementById(CSS_ID)) return;
  const style = doc.createElement("style");
  style.id = CSS_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}

/**
 * Shades of the run colour that tell a chart's tags apart: the first tag in the run's colour, the
 * next ones darker / lighter in turn.
 */
const SHADES = [0, 0.42, -0.45, 0.24, -0.25, 0.58, -0.6];

export function tagShade(color: string, tagIndex: number, dark: boolean): string {
  const t = SHADES[tagIndex % SHADES.length];
  if (t === 0) return color;
  const deep = dark ? "#ffffff" : "#000000", pale = dark ? "#000000" : "#ffffff";
  return t > 0 ? mix(color, deep, t * (dark ? 0.8 : 1)) : mix(color, pale, -t);
}

/** A view of a scalar series under another run name (the chart keys lines by run). */
function relabel(s: ScalarSeries, label: string): ScalarSeries {
  return Object.create(s, { run: { value: label, enumerable: true } }) as ScalarSeries;
}

interface Line {
  label: string;
  run: string;
  tag: string;
  color: string;
  series: ScalarSeries;
}

/** A multiline chart: ScalarChart drawing (run, tag) lines. */
class MultilineCard {
  readonly chart: ScalarChart;
  readonly error = h("div", { class: "cb-cs-error" });
  dirty = true;
  hasData = false;
  private sig = "";
  private lines: Line[] = [];
  /** Tags the chart's regexes match (any run), for the tag filter. */
  tags: string[] = [];
  private readonly byLabel = new Map<string, Line>();
  private matchCache = new Map<string, boolean>();

  constructor(readonly spec: Extract<ChartSpec, { multiline: string[] }>, ctx: PanelContext, data: ScalarSlice, opts: ChartOptions) {
    // the chart asks the context for a line's colour and the slice for detail by its (label) run
    const chartCtx: PanelContext = Object.create(ctx, {
      runColor: { value: (label: string) => this.byLabel.get(label)?.color ?? ctx.runColor(label) },
    });
    const chartData: ScalarSlice = Object.create(data, {
      requestRange: {
        value: (label: string, tag: string, x0: number, x1: number, points?: number) =>
          data.requestRange(this.byLabel.get(label)?.run ?? label, tag, x0, x1, points),
      },
    });
    this.chart = new ScalarChart(spec.title, chartCtx, chartData, opts);
    this.chart.el.classList.add("cb-cs-card");
    this.chart.el.dataset.chart = spec.title;
    this.chart.el.insertBefore(this.error, this.chart.plotEl.nextSibling);
    const bad = matchTags(spec.multiline, []).invalid;
    this.error.textContent = spec.multiline.length === 0 ? "no tag regexes" : bad.length ? `invalid regex: ${bad.join(", ")}` : "";
    this.error.hidden = !this.error.textContent;
  }

  get el() {
    return this.chart.el;
  }

  /** Does any of the chart's regexes match this tag (cached per tag). */
  matches(tag: string): boolean {
    let m = this.matchCache.get(tag);
    if (m === undefined) this.matchCache.set(tag, (m = matchTags(this.spec.multiline, [tag]).tags.length > 0));
    return m;
  }

  /** The lines to draw now; marks the card dirty when they changed. */
  update(byTag: Map<string, ScalarSeries[]>, ctx: PanelContext, dirtyKeys: ReadonlySet<string>) {
    const tags = [...byTag.keys()].filter((t) => this.matches(t)).sort();
    this.tags = tags;
    const lines: Line[] = [];
    const dark = ctx.theme().dark;
    tags.forEach((tag, j) => {
      for (const s of byTag.get(tag)!) {
        if (!ctx.runShown(s.run)) continue;
        const label = `${s.run} · ${tag}`;
        lines.push({ label, run: s.run, tag, color: tagShade(ctx.runColor(s.run), j, dark), series: s });
      }
    });
    lines.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    const sig = lines.map((l) => `${l.label}\u0001${l.color}`).join("\u0002");
    if (sig !== this.sig) {
      this.sig = sig;
      this.dirty = true;
      this.byLabel.clear();
      for (const l of lines) this.byLabel.set(l.label, l);
    }
    if (!this.dirty) for (const l of lines) if (dirtyKeys.has(seriesKey(l.run, l.tag))) { this.dirty = true; break; }
    this.lines = lines;
    this.hasData = lines.some((l) => l.series.length > 0);
  }

  draw(runStarts: Map<string, number>) {
    this.dirty = false;
    const starts = new Map<string, number>();
    for (const l of this.lines) {
      const t = runStarts.get(l.run);
      if (t !== undefined) starts.set(l.label, t);
    }
    this.chart.setSeries(this.lines.map((l) => relabel(l.series, l.label)));
    this.chart.draw(starts);
  }

  destroy() {
    this.chart.destroy();
  }
}

class MarginCard {
  readonly chart: MarginChart;
  dirty = true;
  hasData = false;
  private sig = "";

  constructor(readonly spec: Extract<ChartSpec, { margin: unknown }>, private readonly ctx: PanelContext) {
    this.chart = new MarginChart(spec.title, ctx);
  }

  get tags(): string[] {
    return this.spec.margin.flatMap((m) => [m.value, m.lower, m.upper]).filter((t) => t);
  }

  get el() {
    return this.chart.el;
  }

  update(data: ScalarSlice, runs: readonly string[], dirtyKeys: ReadonlySet<string>) {
    const out: MarginRun[] = [];
    const keys = new Set<string>();
    for (const spec of this.spec.margin) {
      for (const run of runs) {
        if (!this.ctx.runShown(run)) continue;
        const value = data.get(run, spec.value);
        if (!value || value.length === 0) continue;
        const get = (tag: string) => {
          const s = tag ? data.get(run, tag) : undefined;
          return s && s.length > 0 ? s : null;
        };
        out.push({ run, spec, value, lower: get(spec.lower), upper: get(spec.upper) });
        for (const t of [spec.value, spec.lower, spec.upper]) keys.add(seriesKey(run, t));
      }
    }
    const sig = out.map((r) => `${r.run}\u0001${r.spec.value}\u0001${!!r.lower}\u0001${!!r.upper}`).join("\u0002");
    if (sig !== this.sig) {
      this.sig = sig;
      this.dirty = true;
    }
    if (!this.dirty) for (const k of keys) if (dirtyKeys.has(k)) { this.dirty = true; break; }
    this.hasData = out.length > 0;
    this.chart.setRuns(out);
  }

  draw(runStarts: Map<string, number>) {
    this.dirty = false;
    this.chart.draw(runStarts);
  }

  destroy() {
    this.chart.destroy();
  }
}

type Card = MultilineCard | MarginCard;

interface Section {
  title: string;
  el: HTMLElement;
  grid: HTMLElement;
  count: HTMLElement;
  closed: boolean;
}

export class CustomScalarsPanel implements Panel {
  readonly el: HTMLElement;
  private readonly opts: ChartOptions = { ignoreOutliers: true }; // follows the synced setting
  private readonly sectionsEl = h("div", { class: "cb-sections" });
  private readonly sections = new Map<string, Section>();
  private readonly cards = new Map<string, Card>();
  private layoutKey = "";
  private dirtyAll = true;
  private readonly dirtyKeys = new Set<string>();
  private counts = { shown: 0, total: 0 };
  private readonly ro: ResizeObserver | null;
  private readonly controls: ChartControls;

  constructor(private readonly ctx: PanelContext, private readonly layouts: RecordSlice<CustomScalarsRecord>) {
    if (typeof document !== "undefined") injectOwnCss(document);
    this.el = h("div", { class: `cb-panel cb-panel-${CUSTOM_SCALARS}` }, this.sectionsEl);
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      let need = false;
      for (const e of entries) {
        for (const c of this.cards.values()) {
          if (c.chart.plotEl !== e.target) continue;
          c.chart.resize(e.contentRect.width, e.contentRect.height);
          if (c.chart.dirty) c.dirty = true;
          need ||= c.dirty;
        }
      }
      if (need) this.ctx.requestFlush();
    });

    // sidebar: the synced scalar settings (TensorBoard's custom scalars dashboard has its own)
    this.controls = new ChartControls(ctx, {
      title: "Custom scalars",
      prefix: "Custom scalars",
      smoothingTip: "Multiline charts: TensorBoard's debiased exponential moving average (0 = off); shared with Scalars",
      outliersTip: "Multiline charts: fit the y axis to the 5th-95th percentile of the values drawn and the values near it",
      hint: "Multiline: every tag a regex matches (from the start of the tag). Margin: the band between lower and upper.",
    }, this.opts);
  }

  syncControls() {
    this.controls.sync(this.ctx.settings);
  }

  settingsEl() {
    return this.controls.el;
  }

  tagCounts() {
    return this.counts;
  }

  markDirty(d: Dirt) {
    if (d === "all") {
      this.dirtyAll = true;
      return;
    }
    if (changedKeys(d, CUSTOM_SCALARS).size || d.runs) this.dirtyAll = true;
    for (const k of changedKeys(d, SCALARS)) this.dirtyKeys.add(k);
  }

  shown() {
    for (const c of this.cards.values()) c.dirty = true;
    this.ctx.requestFlush();
  }

  private section(title: string, closed: boolean): Section {
    const s = this.sections.get(title);
    if (s) return s;
    const name = h("span", { class: "cb-section-name", text: title || "(untitled)" });
    const count = h("span", { class: "cb-muted" });
    const head = h("button", { class: "cb-section-head", type: "button", "aria-expanded": String(!closed) },
      h("span", { class: "cb-caret", text: "▼" }), name, count);
    const grid = h("div", { class: "cb-grid" });
    const el = h("div", { class: `cb-section${closed ? " cb-closed" : ""}`, "data-category": title }, head, grid);
    const sec: Section = { title, el, grid, count, closed };
    head.addEventListener("click", () => {
      sec.closed = !sec.closed;
      el.classList.toggle("cb-closed", sec.closed);
      head.setAttribute("aria-expanded", String(!sec.closed));
      this.shown();
    });
    this.sections.set(title, sec);
    return sec;
  }

  /** Build sections and cards for the merged layout (cards are kept across layout changes). */
  private syncLayout() {
    const slice = this.ctx.store.slice(scalars);
    const { layout, key } = currentLayout(this.layouts);
    if (key === this.layoutKey) return;
    this.layoutKey = key;
    const wantedSections: HTMLElement[] = [];
    const keep = new Set<string>();
    for (const cat of layout) {
      const sec = this.section(cat.title, cat.closed);
      const els: HTMLElement[] = [];
      for (const spec of cat.charts) {
        const k = `${cat.title}\u0001${JSON.stringify(spec)}`;
        if (keep.has(k)) continue;
        keep.add(k);
        let card = this.cards.get(k);
        if (!card) {
          card = "multiline" in spec ? new MultilineCard(spec, this.ctx, slice, this.opts) : new MarginCard(spec, this.ctx);
          this.cards.set(k, card);
          this.ro?.observe(card.chart.plotEl);
        }
        els.push(card.el);
      }
      syncChildren(sec.grid, els);
      sec.count.textContent = String(els.length);
      wantedSections.push(sec.el);
    }
    for (const [k, c] of this.cards) {
      if (keep.has(k)) continue;
      this.ro?.unobserve(c.chart.plotEl);
      c.destroy();
      this.cards.delete(k);
    }
    syncChildren(this.sectionsEl, wantedSections);
  }

  flush() {
    this.syncLayout();
    const data = this.ctx.store.slice(scalars);
    const byTag = new Map<string, ScalarSeries[]>();
    const runStarts = new Map<string, number>();
    const runs = new Set<string>();
    for (const s of data.series.values()) {
      if (s.length === 0) continue;
      runs.add(s.run);
      let l = byTag.get(s.tag);
      if (!l) byTag.set(s.tag, (l = []));
      l.push(s);
      let w0 = s.walls[0];
      if (!s.wallsAscending) for (let i = 1; i < s.length; i++) if (s.walls[i] < w0) w0 = s.walls[i];
      const cur = runStarts.get(s.run);
      if (cur === undefined || w0 < cur) runStarts.set(s.run, w0);
    }
    const runList = [...runs].sort();
    let withData = 0, shown = 0;
    for (const [k, card] of this.cards) {
      if (this.dirtyAll) card.dirty = true;
      if (card instanceof MultilineCard) card.update(byTag, this.ctx, this.dirtyKeys);
      else card.update(data, runList, this.dirtyKeys);
      if (card.hasData) withData++;
      // the tag filter: a chart shows when its title or one of its tags matches
      const pass = this.ctx.tagShown(card.spec.title) || card.tags.some((t) => this.ctx.tagShown(t));
      if (card.el.hidden === pass) card.el.hidden = !pass;
      if (pass) shown++;
      const sec = this.sections.get(k.slice(0, k.indexOf("\u0001")));
      if (!pass || !card.dirty || sec?.closed) continue;
      try {
        card.draw(runStarts);
      } catch (err) {
        console.error("[cellboard] custom scalars chart", card.spec.title, err);
      }
    }
    this.counts = { shown, total: this.cards.size };
    this.el.dataset.chartsDrawn = String(withData);
    this.dirtyAll = false;
    this.dirtyKeys.clear();
  }

  destroy() {
    this.ro?.disconnect();
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.sections.clear();
    this.el.remove();
  }
}
