// The Scalars tab: a chart per tag in sections by tag prefix, plus the sidebar controls for
// smoothing, x axis, log scale and outliers. Charts are created when their card scrolls into
// view and only changed charts in view are redrawn in the frame; changed charts just out of view
// (within NEAR_PX of the scrolling area) are drawn after it, when the page is idle, so that they
// are ready when scrolled to without delaying what is seen.

import { changedKeys } from "../../store-change";
import { downloadText, h, tagGroup } from "../../ui/dom";
import { PINNED, Sections } from "../../ui/sections";
import type { Dirt, Panel, PanelContext } from "../types";
import { ScalarChart, scalarsCsv, type ChartOptions } from "./chart";
import { ChartControls } from "./controls";
import { SCALARS, type ScalarSeries, type ScalarSlice } from "./series";

/** Charts this close (CSS px) above or below the scrolling area are drawn ahead, in idle time. */
export const NEAR_PX = 300;

export class ScalarsPanel implements Panel {
  readonly el: HTMLElement;
  /** Options shared by this panel's charts (ignoreOutliers follows the synced setting). */
  private readonly opts: ChartOptions;
  private readonly sections: Sections;
  private readonly charts = new Map<string, ScalarChart>();
  private dirtyAll = true;
  private dirtyTags = new Set<string>();
  /** When the first change not yet applied to the charts was marked (performance.now()). */
  private markedAt = Infinity;
  /** See oldestDirty. */
  private oldestInView = Infinity;
  private layoutKey = "";
  /** Cards were measured or placed by the observers at least once (see drawCharts). */
  private placedOnce = false;
  private counts = { shown: 0, total: 0 };
  /** Made once the panel is in the page: their root is the scrolling area the cards are in. One
   * keeps each chart's `visible` (in view or near it), the other its `inView`. */
  private io: IntersectionObserver | null = null;
  private ioView: IntersectionObserver | null = null;
  private scrollerEl: HTMLElement | null = null;
  private nearTimer: (() => void) | null = null;
  private readonly ro: ResizeObserver | null;
  private readonly controls: ChartControls;
  /** A tag pinned by its button, to scroll into view where it moved (at the next layout). */
  private reveal: string | null = null;

  constructor(private readonly ctx: PanelContext, private readonly data: ScalarSlice) {
    this.opts = {
      ignoreOutliers: true,
      pins: {
        isPinned: (tag) => ctx.settings.pinned.includes(tag),
        toggle: (tag) => {
          const pinned = ctx.settings.pinned, was = pinned.includes(tag);
          if (!was) this.reveal = tag;
          ctx.setSetting("pinned", was ? pinned.filter((t) => t !== tag) : [...pinned, tag]);
        },
      },
    };
    this.sections = new Sections("", () => this.shown());
    this.el = h("div", { class: "cb-panel cb-panel-scalars" }, this.sections.el);

    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      let need = false;
      for (const e of entries) {
        const card = (e.target as HTMLElement).parentElement;
        const c = this.charts.get(card?.dataset.tag ?? "");
        if (!c) continue;
        c.resize(e.contentRect.width, e.contentRect.height);
        need ||= c.dirty;
      }
      if (need) this.ctx.requestFlush();
    });

    this.controls = new ChartControls(ctx, {
      title: "Scalars",
      prefix: "",
      className: "cb-scalar-settings",
      smoothingTip: "TensorBoard's debiased exponential moving average (0 = off)",
      outliersTip: "Fit the y axis to the 5th-95th percentile of the values drawn and the values near it (series under 20 values whole)",
      hint: "Drag on a chart to zoom, double-click to reset.",
    }, this.opts);
    const all = h("button", {
      class: "cb-linkbtn", type: "button", text: "download every scalar shown (CSV)",
      title: "Every point the board holds of the runs and tags shown: run, tag, step, wall_time, value",
    });
    all.addEventListener("click", () => downloadText("scalars.csv", scalarsCsv(this.shownSeries(), true)));
    this.controls.el.append(h("div", { class: "cb-field" }, all));
  }

  /** The series of the runs and tags shown, with points, by tag then run. */
  private shownSeries(): ScalarSeries[] {
    return [...this.data.series.values()]
      .filter((s) => s.length > 0 && this.ctx.runShown(s.run) && this.ctx.tagShown(s.tag))
      .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
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
    this.markedAt = Math.min(this.markedAt, performance.now());
    if (d === "all") {
      this.dirtyAll = true;
      return;
    }
    for (const key of changedKeys(d, SCALARS)) this.dirtyTags.add(key.slice(key.indexOf("\u0000") + 1));
  }

  /** When the oldest change still not drawn in a chart in view was marked (Infinity: none). */
  oldestDirty(): number {
    return this.oldestInView;
  }

  /** Visibility may have changed without a scroll (section toggled, tab shown). */
  shown() {
    this.forgetVisibility();
    this.ctx.requestFlush();
  }

  private forgetVisibility() {
    for (const c of this.charts.values()) c.visible = c.inView = undefined;
  }

  /** Starts the IntersectionObservers that keep charts' `visible` and `inView`, once the panel is
   * attached (measuring the cards instead, at each redraw, forced a layout of the page before
   * drawing), and has them watch every chart. */
  private observe() {
    if (this.io || typeof IntersectionObserver === "undefined" || !this.el.isConnected) return;
    const watch = (key: "visible" | "inView", margin: number) => new IntersectionObserver((entries) => {
      let need = false;
      for (const e of entries) {
        const c = this.charts.get((e.target as HTMLElement).dataset.tag ?? "");
        if (!c) continue;
        c[key] = e.isIntersecting;
        need ||= e.isIntersecting && c.dirty;
      }
      if (need) this.ctx.requestFlush();
    }, { root: this.scroller(), rootMargin: `${margin}px 0px` });
    this.io = watch("visible", NEAR_PX);
    this.ioView = watch("inView", 0);
    for (const c of this.charts.values()) {
      this.io.observe(c.el);
      this.ioView.observe(c.el);
    }
  }

  private chart(tag: string): ScalarChart {
    let c = this.charts.get(tag);
    if (!c) {
      c = new ScalarChart(tag, this.ctx, this.data, this.opts);
      this.charts.set(tag, c);
      this.io?.observe(c.el);
      this.ioView?.observe(c.el);
      this.ro?.observe(c.plotEl);
    }
    return c;
  }

  flush() {
    this.drawCharts(false);
  }

  /**
   * Draw the changed charts in view, the longest-waiting first, within the frame's drawing budget
   * (ctx.drawBudgetMs; the view asks for another frame for the rest); then, once none in view is
   * left, those near the view from an idle task (`near`: that task), so that they never delay a frame.
   */
  private drawCharts(near: boolean) {
    this.observe();
    const byTag = new Map<string, ScalarSeries[]>();
    const runStarts = new Map<string, number>();
    for (const s of this.data.series.values()) {
      if (s.length === 0) continue;
      let l = byTag.get(s.tag);
      if (!l) byTag.set(s.tag, (l = []));
      l.push(s);
      let w0 = s.walls[0];
      if (!s.wallsAscending) for (let i = 1; i < s.length; i++) if (s.walls[i] < w0) w0 = s.walls[i];
      const cur = runStarts.get(s.run);
      if (cur === undefined || w0 < cur) runStarts.set(s.run, w0);
    }
    const tags = [...byTag.keys()].sort();
    // pinned charts first, in the order pinned, whatever the tag filter (pinning keeps a chart in
    // view); each is moved out of its group's section, not copied
    const pinned = this.ctx.settings.pinned.filter((t) => byTag.has(t));
    const isPinned = new Set(pinned);
    const shown = [...pinned, ...tags.filter((t) => !isPinned.has(t) && this.ctx.tagShown(t))];
    this.counts = { shown: shown.length, total: tags.length };

    const key = `${pinned.join("\u0001")}\u0002${shown.join("\u0001")}`;
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      this.sections.layout(shown.map((t) => ({ group: isPinned.has(t) ? PINNED : tagGroup(t), el: this.chart(t).el })));
      for (const t of shown) this.chart(t).syncPin();
      this.forgetVisibility();
    }
    if (this.reveal !== null) {
      // a chart just pinned has moved to the top: follow it there, or it would vanish from under
      // the pointer
      if (isPinned.has(this.reveal)) this.charts.get(this.reveal)?.el.scrollIntoView({ block: "nearest" });
      this.reveal = null;
    }

    // mark, then draw the dirty charts in view within a time budget per frame: the rest are drawn
    // in the next frames (the view asks for them), so one task stays short however many changed
    const since = Math.min(this.markedAt, performance.now());
    this.markedAt = Infinity;
    const inView: ScalarChart[] = [], nearView: ScalarChart[] = [];
    let clip: { top: number; bottom: number } | null = null;
    // The board's first cards are laid out in the frame that builds the board: measuring them
    // here would lay the whole page out in the middle of it, and drawing them too made that frame
    // the one task over 100 ms of a big directory's load. The observers report their places once
    // this frame is painted and ask for the next one, which draws them.
    const waitForObservers = this.io !== null && !this.placedOnce;
    let waitingSince = Infinity;
    for (const tag of shown) {
      const c = this.chart(tag);
      if (this.dirtyAll || this.dirtyTags.has(tag)) {
        if (!c.dirty) c.dirtySince = since;
        c.dirty = true;
      }
      if (!c.dirty || c.visible === false) continue;
      if (c.visible === undefined || c.inView === undefined) {
        if (waitForObservers) {
          waitingSince = Math.min(waitingSince, c.dirtySince);
          continue;
        }
        // not known yet (or forgotten: see forgetVisibility): measured once, then the observers
        // keep both
        clip ??= this.viewport();
        const r = c.el.getBoundingClientRect();
        c.visible ??= r.width > 0 && r.bottom > clip.top - NEAR_PX && r.top < clip.bottom + NEAR_PX;
        c.inView ??= r.width > 0 && r.bottom > clip.top && r.top < clip.bottom;
        if (!c.visible) continue;
      }
      (c.inView ? inView : nearView).push(c);
    }
    this.dirtyAll = false;
    this.dirtyTags.clear();
    if (shown.length) this.placedOnce = true;
    const todo = inView.length || !near ? inView : nearView;
    todo.sort((a, b) => a.dirtySince - b.dirtySince);
    const t0 = performance.now(), budget = this.ctx.drawBudgetMs();
    let more = false;
    this.oldestInView = Infinity;
    for (let i = 0; i < todo.length; i++) {
      if (i > 0 && performance.now() - t0 > budget) {
        more = true;
        // (sorted oldest first: the first left is the oldest change still not on screen)
        if (todo === inView) this.oldestInView = todo[i].dirtySince;
        break;
      }
      const c = todo[i];
      // every run's series: a run toggled off stays in the chart, hidden (no rebuild)
      const series = byTag.get(c.tag) ?? [];
      series.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
      c.setSeries(series, this.ctx.runShown);
      try {
        c.draw(runStarts);
      } catch (err) {
        console.error("[cellboard] chart", c.tag, err);
      }
    }
    // (cards left to the observers count as not drawn in view: the render event must not say done)
    if (waitingSince < this.oldestInView) this.oldestInView = waitingSince;
    if (more && todo === inView) this.ctx.requestFlush();
    else if ((todo === inView ? nearView.length > 0 : more) && !this.nearTimer) {
      this.nearTimer = whenIdle(() => {
        this.nearTimer = null;
        this.drawCharts(true);
      });
    }
  }

  /** The element this panel's charts scroll in (null: the window). Kept while it still holds the
   * panel: each look-up reads the computed style of every ancestor (a notebook's page is deep),
   * and on a board that streams in it cost as much as drawing the axes. */
  private scroller(): HTMLElement | null {
    if (this.scrollerEl?.contains(this.el)) return this.scrollerEl;
    this.scrollerEl = null;
    for (let p = this.el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowY;
      if (o === "auto" || o === "scroll" || o === "hidden") return (this.scrollerEl = p);
    }
    return null;
  }

  /** The part of the window where this panel's charts can be seen (its scrolling container's box). */
  private viewport(): { top: number; bottom: number } {
    let top = 0, bottom = window.innerHeight || 800;
    const p = this.scroller();
    if (p) {
      const r = p.getBoundingClientRect();
      top = Math.max(top, r.top);
      bottom = Math.min(bottom, r.bottom);
    }
    return { top, bottom };
  }

  destroy() {
    this.nearTimer?.();
    this.io?.disconnect();
    this.ioView?.disconnect();
    this.ro?.disconnect();
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
    this.sections.destroy();
    this.el.remove();
  }
}

/** Run `fn` once the page is idle (after the frame being made is painted); returns a cancel. */
function whenIdle(fn: () => void): () => void {
  if (typeof requestIdleCallback === "function") {
    const id = requestIdleCallback(fn, { timeout: 500 });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(fn, 50);
  return () => clearTimeout(id);
}
