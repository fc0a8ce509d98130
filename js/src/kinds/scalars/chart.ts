// One scalar card: a uPlot chart of one tag, one coloured line per run (faint raw line behind
// the smoothed one), drag to zoom / double-click to reset, a nearest-point tooltip and CSV export.
// A legend under the chart names its runs in full (unless the board has one run); with several,
// the run nearest the cursor (or under the pointer in the legend) is highlighted, others dimmed. A point with no
// neighbour to join (a one-point series, or one between NaNs) is drawn as a dot.
//
// Drawing cost is bounded by the chart's width: every series is reduced to min/max per pixel
// bucket (downsample.ts) on a grid shared by the chart, so a live update is one O(points) pass
// plus a uPlot setData on the existing instance. The uPlot instance holds a line for every run
// with points for the tag, shown or not: a run toggled off or on (checkbox, run filter) only
// flips its lines' visibility, and the log-scale toggle switches the y transform in place; a run
// that gets its first points adds its lines. It is rebuilt only when the configuration changes
// (a run gone, colours, smoothing on/off, axis type, theme).

import uPlot from "uplot";
import { describable } from "../../ui/descriptions";
import { downloadText, h, iconButton } from "../../ui/dom";
import { fmtDuration, fmtInt, fmtTick, fmtValue, fmtWall, replacedNote } from "../../ui/format";
import { escapeHtml } from "../../ui/markdown";
import { breakable } from "../../ui/run-list";
import { type Theme, withAlpha } from "../../ui/theme";
import type { PanelContext } from "../types";
import { syncChildren } from "../../ui/sections";
import {
  fillSlots, IDENTITY, lowerBound, niceStep, select, SlotCache, slotXs, type Slot, type SlotReduce, type XMap,
} from "./downsample";
import { slotLinePaths } from "./paths";
import { evenRange, labelStep, linearSplits, logSplits, logTicks, type SplitsFn, tooNarrow, Y_INCRS } from "./ticks";
import { xAxis } from "./xaxis";
import { needsDetail, type ScalarSeries, type ScalarSlice } from "./series";
import { clampWeight, smooth, SmoothedColumn } from "./smoothing";

/** Opacity of the other runs' lines while one run is highlighted. */
export const DIM_ALPHA = 0.18;
/**
 * Points one chart draws at most, all lines together (two per bucket and line): canvas stroking
 * is what a chart of 100 runs spends its time on, and beyond this the lines overlap anyway.
 */
export const CHART_POINT_BUDGET = 20_000;
/**
 * Buckets per line when `lines` share CHART_POINT_BUDGET (two points per bucket), on a ladder of
 * steps of 2^(1/4) (~19%) below it: a new grid makes every line of the chart be bucketed anew, and
 * as 100 runs arrive one by one, or runs are toggled, the exact share changed with every run.
 */
export function budgetBuckets(lines: number): number {
  const share = CHART_POINT_BUDGET / (2 * Math.max(1, lines));
  return Math.max(1, Math.floor(2 ** (Math.floor(4 * Math.log2(share) + 1e-9) / 4) + 1e-9));
}
/** Buckets at least this many CSS pixels wide are drawn a value per half bucket (see `draw`). */
export const WIDE_BUCKET_PX = 2;
/**
 * Slots per half of such a bucket, at most: each half's value is drawn at the one nearest its own x.
 * A 100-run chart of series held as min/max pairs (every value on the band's edges) drew a regular
 * lattice with all vertices at the half's centre (bench_jupyter.py's screenshot).
 */
export const WIDE_SUB_SLOTS = 5;
/** From this many runs on a chart, lines are drawn 1px wide (thin strokes rasterize much faster). */
export const MANY_RUNS = 12;
/** The cursor highlights the nearest run when its line is at most this far (CSS px). */
const HIGHLIGHT_PX = 24;
/** The most points a zoom asks the kernel for per series (the kernel's MAX_RAW_POINTS). */
export const MAX_DETAIL_POINTS = 100_000;

/**
 * Points per series a zoom asks for: what a plot `plotPx` CSS px wide can show usefully, min and
 * max per pixel column at both ends of it (4 per column), at least 1000, at most the kernel's cap.
 */
export function detailPoints(plotPx: number): number {
  return Math.min(MAX_DETAIL_POINTS, Math.max(1000, Math.round(4 * plotPx)));
}

/** A run's line(s) in the plot; `d` is null while the run is hidden. */
interface Line {
  run: string;
  color: string;
  d: Drawn | null;
}

/** What each uPlot series (index >= 1) draws: run, colour, and whether it is the top (solid) line. */
interface SeriesMeta {
  run: string;
  color: string;
  top: boolean;
}

/**
 * Indices of the values to draw as dots: maximal runs of consecutive drawable values (`undefined`
 * is skipped: uPlot joins across it; `null` breaks the line) that span less than `minPx` in x and
 * in y, i.e. where the line would draw nothing visible. Each such run gives its first index.
 */
export function isolatedPoints(
  xs: ArrayLike<number>, ys: ArrayLike<number | null | undefined>,
  xPos: (x: number) => number, yPos: (y: number) => number, minPx = 1.5,
): number[] {
  const out: number[] = [];
  let first = -1, x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  const close = () => {
    if (first >= 0 && x1 - x0 < minPx && y1 - y0 < minPx) out.push(first);
    first = -1;
  };
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === undefined) continue;
    if (y === null || !Number.isFinite(y)) {
      close();
      continue;
    }
    const px = xPos(xs[i]), py = yPos(y);
    if (first < 0) {
      first = i;
      x0 = x1 = px;
      y0 = y1 = py;
    } else {
      x0 = Math.min(x0, px); x1 = Math.max(x1, px);
      y0 = Math.min(y0, py); y1 = Math.max(y1, py);
      if (x1 - x0 >= minPx || y1 - y0 >= minPx) {
        // a visible segment: skip to its end
        while (i + 1 < ys.length && ys[i + 1] !== null) i++;
        first = -1;
      }
    }
  }
  close();
  return out;
}

/** The order of the tooltip's rows (TensorBoard's "tooltip sorting method"). */
export type TooltipSort = "nearest" | "descending" | "ascending" | "name";

/** Per-view chart options that are not synced settings (owned by the Scalars panel). */
export interface ChartOptions {
  /** Fit the y axis to the 5th-95th percentile of the values drawn. */
  ignoreOutliers: boolean;
  /** The tooltip's row order; nearest the cursor first when unset. */
  tooltipSort?: TooltipSort;
  /** Axis titles [x, y] ("": none); read at each draw (Visdom's xlabel / ylabel). */
  axisLabels?: () => [string, string];
  /** Fixed ends of the y axis (null: from the data), read at each draw (Visdom's ytickmin / ytickmax). */
  yLimits?: () => [number | null, number | null];
  /** Charts that can be pinned (the Scalars tab's): a pin button in the card's head. */
  pins?: Pins;
}

/** Which tags are pinned, and how to pin or unpin one. */
export interface Pins {
  isPinned(tag: string): boolean;
  toggle(tag: string): void;
}

interface Drawn {
  run: string;
  color: string;
  xs: Float64Array;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
  smoothed: Float64Array | null;
  n: number;
  map: XMap;
  ascending: boolean;
  runStart: number;
  merged: boolean;
  from: number;
  /** The series' epoch and version the points are of. */
  epoch: number;
  version: number;
}

export class ScalarChart {
  readonly el: HTMLElement;
  dirty = true;
  /** When it last became dirty (performance.now()): the panel draws the longest-waiting first. */
  dirtySince = 0;
  /** What the last draw drew (series versions, settings, size, zoom): equal means nothing to do. */
  private drawnKey = "";
  /** In view or near it (`visible`), in view itself (`inView`): undefined until first measured;
   * kept current by the panel's IntersectionObservers. */
  visible: boolean | undefined = undefined;
  inView: boolean | undefined = undefined;
  readonly plotEl: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly note: HTMLElement;
  private readonly resetBtn: HTMLButtonElement;
  private readonly wideBtn: HTMLButtonElement;
  private readonly legend: HTMLElement;
  private legendKey = "";
  /** Legend entries by run, kept while the run has points here: a run toggle moves, never rebuilds, them. */
  private readonly legendItems = new Map<string, HTMLElement>();
  /** The highlighted run (nearest the cursor, or hovered in the legend), or null. */
  private highlighted: string | null = null;
  private meta: SeriesMeta[] = [];
  private u: uPlot | null = null;
  /** What the instance was built for (smoothing, axis type, theme) and its runs' lines, in order. */
  private sig = "";
  private plotLines: { run: string; color: string }[] = [];
  /** The y scale the instance draws: log10 or linear (read by its scale, axis and range functions). */
  private logY = false;
  private view: [number, number] | null = null;
  private extent: [number, number] = [0, 1];
  private yPct: [number, number] | null = null;
  /** Per run: incremental smoothing and bucketing, and the series version they reflect. */
  private states = new Map<string, { version: number; smooth: SmoothedColumn; slots: SlotCache }>();
  private drawn: Drawn[] = [];
  private grid: Float64Array = new Float64Array(0);
  private gridKey = "";
  private dots: HTMLElement[] = [];
  private width = 0;
  private height = 0;
  /** Every series of the tag with the runs' visibility: one uPlot line (two when smoothing) each. */
  private series: ScalarSeries[] = [];
  private shown: boolean[] = [];
  /** uPlot instances created so far (data-builds, a test hook: a run toggle must not add one). */
  private builds = 0;
  /** A column of no points, for the lines of hidden runs (uPlot wants one per line). */
  private emptyCol: Slot[] = [];
  /**
   * Per run, the columns the instance holds for its lines and what they were made from (grid,
   * settings, series version): a run toggled off keeps them, so that a toggle changes no data and
   * uPlot keeps the paths of the lines whose y range did not move.
   */
  private held = new Map<string, HeldCols>();
  /** Draws with a zoom detail so far (their slots are made anew each time: a key that never repeats). */
  private mergedDraws = 0;
  private detailTimer: ReturnType<typeof setTimeout> | null = null;
  /** Range requests were sent since the zoom was last reset (their details are this chart's to drop). */
  private detailAsked = false;
  private emptyEl: HTMLElement;
  private pinBtn: HTMLButtonElement | null = null;

  constructor(
    readonly tag: string,
    private readonly ctx: PanelContext,
    private readonly data: ScalarSlice,
    private readonly opts: ChartOptions,
  ) {
    this.plotEl = h("div", { class: "cb-plot" });
    this.tip = h("div", { class: "cb-tooltip" });
    this.note = h("span", { class: "cb-card-note" });
    this.emptyEl = h("div", { class: "cb-empty", text: "no points for the runs shown" });
    this.resetBtn = iconButton("reset", "Reset zoom (or double-click the chart)");
    this.resetBtn.hidden = true;
    this.wideBtn = iconButton("expand", "Expand to the full width");
    const csvBtn = iconButton("download", "Download CSV (every point held, runs shown)");
    this.resetBtn.addEventListener("click", () => this.resetZoom());
    this.wideBtn.addEventListener("click", () => {
      const wide = this.el.classList.toggle("cb-wide");
      this.wideBtn.replaceChildren(iconButton(wide ? "collapse" : "expand", "").firstChild!);
      this.wideBtn.title = wide ? "Back to the grid" : "Expand to the full width";
      this.wideBtn.setAttribute("aria-label", this.wideBtn.title);
      this.wideBtn.setAttribute("aria-pressed", String(wide));
      this.dirty = true;
      this.ctx.requestFlush();
    });
    this.legend = h("div", { class: "cb-legend", hidden: true });
    this.legend.addEventListener("pointerover", (e) => {
      const item = (e.target as Element).closest<HTMLElement>(".cb-legend-item");
      if (item) this.setHighlight(item.dataset.run ?? null);
    });
    this.legend.addEventListener("pointerleave", () => this.setHighlight(null));
    csvBtn.addEventListener("click", () => this.downloadCsv());
    const pins = opts.pins;
    if (pins) {
      this.pinBtn = iconButton("pin", "");
      this.pinBtn.classList.add("cb-pin");
      this.pinBtn.addEventListener("click", () => pins.toggle(tag));
      this.syncPin();
    }
    this.el = h("div", { class: "cb-card cb-scalar-card", "data-tag": tag },
      h("div", { class: "cb-card-head" },
        h("span", { class: "cb-card-title", title: tag, ...describable(tag) }, breakable(tag)),
        this.note,
        h("span", { class: "cb-actions" }, this.resetBtn, ...(this.pinBtn ? [this.pinBtn] : []), csvBtn, this.wideBtn)),
      this.plotEl, this.legend, this.tip);
  }

  /** Show whether this chart is pinned on its pin button (a no-op for charts that cannot be pinned). */
  syncPin() {
    if (!this.pinBtn || !this.opts.pins) return;
    const pinned = this.opts.pins.isPinned(this.tag);
    if (this.pinBtn.getAttribute("aria-pressed") === String(pinned)) return;
    this.pinBtn.setAttribute("aria-pressed", String(pinned));
    this.pinBtn.title = pinned ? "Unpin" : "Pin to the top (pinned section)";
    this.pinBtn.setAttribute("aria-label", this.pinBtn.title);
  }

  /** The series to plot (sorted by run) and which of their runs are shown (default: all). */
  setSeries(series: ScalarSeries[], shown: (run: string) => boolean = () => true) {
    this.series = series;
    this.shown = series.map((s) => shown(s.run));
  }

  /** The series of the runs shown. */
  private shownSeries(): ScalarSeries[] {
    return this.series.filter((_, i) => this.shown[i]);
  }

  resize(width: number, height: number) {
    if (width <= 0 || height <= 0) return;
    if (Math.abs(width - this.width) < 1 && Math.abs(height - this.height) < 1) return;
    this.width = width;
    this.height = height;
    this.dirty = true;
  }

  /** Zoom the x axis to [x0, x1] (a drag in the plot); in steps, asks for finer points of the range. */
  zoom(x0: number, x1: number) {
    if (!(x1 > x0)) return;
    this.view = [x0, x1];
    this.resetBtn.hidden = false;
    this.dirty = true;
    this.ctx.requestFlush();
    this.scheduleDetail();
  }

  /** Back to the whole x extent (button, double-click); the zoom details are dropped. */
  resetZoom() {
    if (this.detailTimer) clearTimeout(this.detailTimer);
    this.detailTimer = null;
    // (only what this chart asked for: another chart zoomed into the same series keeps its detail)
    if (this.detailAsked) this.data.dropDetails(this.series);
    this.detailAsked = false;
    if (!this.view) return;
    this.view = null;
    this.resetBtn.hidden = true;
    this.dirty = true;
    this.ctx.requestFlush();
  }

  private currentX(): [number, number] {
    return this.view ?? this.extent;
  }

  private yRange(min: number | null, max: number | null, log: boolean): [number, number] {
    const [lo, hi] = this.opts.yLimits?.() ?? [null, null];
    if (lo !== null && hi !== null && !tooNarrow(lo, hi) && (!log || lo > 0)) return [lo, hi];
    if (this.yPct) [min, max] = this.yPct;
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return log ? [0.1, 10] : [0, 1];
    // values a few ulps apart are one value (and no axis could tick between them)
    if (log) {
      if (min <= 0) min = max > 0 ? max / 1000 : 1e-3;
      if (max <= min || tooNarrow(min, max)) return [min / 2, min * 2];
      const pad = Math.pow(max / min, 0.05);
      return [min / pad, max * pad];
    }
    if (tooNarrow(min, max)) return evenRange(min, max);
    const pad = (max - min) * 0.06;
    return [min - pad, max + pad];
  }

  /** Width of the plot area in CSS px (from the chart's width: see draw). */
  private plotPx(): number {
    return Math.max(50, (this.width || this.plotEl.clientWidth || 600) - 60);
  }

  /** Points of series s as drawn: with full-resolution detail spliced in when zoomed into it. */
  private pointsOf(s: ScalarSeries) {
    const v = this.view;
    const m = v && this.ctx.settings.x_axis === "step" ? s.withDetail(v[0], v[1]) : null;
    if (m) return { ...m, merged: true };
    return { steps: s.steps, walls: s.walls, values: s.values, n: s.length, merged: false };
  }

  /** Redraw with current data and settings. `runStarts`: first wall time per run. */
  draw(runStarts: Map<string, number>) {
    this.dirty = false;
    const { settings } = this.ctx;
    const theme = this.ctx.theme();
    const w = clampWeight(settings.smoothing);
    const smoothing = w > 0;
    const mode = settings.x_axis;
    const logY = settings.log_y;

    // a redraw that would draw the same thing (a filter, a run toggle or new data elsewhere
    // marked every chart dirty) costs nothing: canvas drawing is what a busy board spends on
    // the options a window sets (Visdom's axis titles and y limits): a change redraws
    const owned = [...(this.opts.axisLabels?.() ?? ["", ""]), ...(this.opts.yLimits?.() ?? [])];
    let key = `${w}|${mode}|${logY}|${theme.id}|${this.width}x${this.height}|${this.view}|${this.opts.ignoreOutliers}|${this.ctx.store.runs.length > 1}|${owned.join("\u0000")}`;
    this.series.forEach((s, k) => {
      key += `|${s.run}\u0000${s.version}:${s.length}:${s.epoch}:${this.ctx.runColor(s.run)}:${this.shown[k] ? 1 : 0}`;
      if (mode === "relative") key += `:${runStarts.get(s.run)}`;
    });
    if (key === this.drawnKey && (this.u || this.emptyEl.isConnected)) return;
    this.drawnKey = key;

    // 1. series as drawn: a line (two with smoothing) for each series with points; the hidden
    // runs' lines stay in the plot, empty and not shown
    const lines: Line[] = [];
    const drawn: Drawn[] = [];
    let lo = Infinity, hi = -Infinity;
    let held = 0, total = 0, decimated = false, merged = false, coarse = false, replaced = 0;
    const replacedIn: string[] = [];
    this.series.forEach((s, k) => {
      if (s.length === 0) return;
      const color = this.ctx.runColor(s.run);
      if (!this.shown[k]) {
        lines.push({ run: s.run, color, d: null });
        return;
      }
      const p = this.pointsOf(s);
      merged ||= p.merged;
      // a zoom detail is itself min/max buckets when the range has more points than the plot shows
      coarse ||= p.merged && s.detail?.decimated === true;
      held += s.length;
      total += s.total;
      decimated ||= s.decimated;
      if (s.replaced) {
        replaced += s.replaced;
        replacedIn.push(`${s.run}: ${fmtInt(s.replaced)}`);
      }
      let smoothed: Float64Array | null = null;
      let from = 0; // lowest index changed since this chart's last draw (0: recompute all)
      if (p.merged) {
        if (smoothing) smoothed = smooth(p.values.subarray(0, p.n), w);
      } else {
        let st = this.states.get(s.run);
        if (!st) this.states.set(s.run, (st = { version: -1, smooth: new SmoothedColumn(), slots: new SlotCache() }));
        from = st.version < 0 ? 0 : s.changedSince(st.version);
        st.version = s.version;
        if (smoothing) {
          from = Math.min(from, st.smooth.update(p.values, p.n, w, from));
          smoothed = st.smooth.out;
        }
      }
      const runStart = runStarts.get(s.run) ?? (p.n ? p.walls[0] : 0);
      const map = mode === "relative" ? { origin: runStart, scale: 1 } : IDENTITY;
      const xs = mode === "step" ? p.steps : p.walls;
      const ascending = mode === "step" ? s.stepsAscending : s.wallsAscending;
      const d: Drawn = {
        run: s.run, color, xs, steps: p.steps, walls: p.walls, values: p.values, smoothed,
        n: p.n, map, ascending, runStart, merged: p.merged, from, epoch: s.epoch, version: s.version,
      };
      if (ascending) {
        lo = Math.min(lo, (xs[0] - map.origin) * map.scale);
        hi = Math.max(hi, (xs[p.n - 1] - map.origin) * map.scale);
      } else {
        for (let i = 0; i < p.n; i++) {
          const x = (xs[i] - map.origin) * map.scale;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      drawn.push(d);
      lines.push({ run: s.run, color, d });
    });
    this.drawn = drawn;
    const relogged = replacedNote(replaced, "points");
    this.note.textContent = [
      decimated
        ? merged ? (coarse ? "min/max per pixel in zoom" : "full resolution in zoom") : `min/max of ${fmtInt(total)} points`
        : "",
      relogged.text,
    ].filter(Boolean).join(" · ");
    this.note.title = [
      decimated
        ? `${fmtInt(held)} points held for ${fmtInt(total)} logged: every bucket keeps its min and max, so spikes show. Zoom in for full resolution.`
        : "",
      replaced ? `${relogged.title} ${replacedIn.join(", ")}.` : "",
    ].filter(Boolean).join(" ");

    this.updateLegend(drawn);
    if (drawn.length === 0 || !Number.isFinite(lo)) {
      this.destroyPlot();
      if (!this.emptyEl.isConnected) this.plotEl.append(this.emptyEl);
      return;
    }
    this.emptyEl.remove();
    if (hi <= lo) {
      const pad = mode === "step" ? 1 : 30;
      lo -= pad;
      hi += pad;
    } else {
      // end the axis on a round value (at most 5% past the data): the grid then stays the same
      // while a live series grows into it, so updates are incremental
      const g = niceStep((hi - lo) / 20);
      hi = Math.ceil(hi / g - 1e-9) * g;
    }
    this.extent = [lo, hi];
    const [x0, x1] = this.currentX();

    // 2. min/max slots on a shared grid, one bucket per CSS pixel (two points per pixel column per
    // series: what a line can show; more only costs canvas time)
    // (from the chart's width, not the plot's: the grid then does not change with the y labels'
    // width, so a toggle draws what a chart built in that state draws, and live updates stay incremental)
    const plotPx = this.plotPx();
    // and fewer when many lines share the chart, so that one chart's drawing stays bounded
    const nLines = drawn.length * (smoothing ? 2 : 1);
    const buckets = Math.max(8, Math.min(4096, Math.round(plotPx), budgetBuckets(nLines)));
    // buckets wider than a pixel column: one sample per half bucket (spikes kept), raw and smoothed
    // lines alike (min and max in time order, a few pixels apart, draw every line as a zigzag of the
    // bucket's period; see downsample.ts), each in the slot nearest its x among up to
    // WIDE_SUB_SLOTS per half (an odd number, at least a pixel apart)
    const wide = plotPx / buckets >= WIDE_BUCKET_PX;
    const reduce: SlotReduce[] | undefined = wide ? (smoothing ? ["sample", "sample"] : ["sample"]) : undefined;
    const sub = wide ? Math.max(1, Math.min(WIDE_SUB_SLOTS, 2 * Math.floor((plotPx / buckets / 2 + 1) / 2) - 1)) : 1;
    if (this.emptyCol.length !== 2 * buckets * sub) this.emptyCol = new Array<Slot>(2 * buckets * sub).fill(undefined);
    const gridKey = `${x0}|${x1}|${buckets}|${sub}`;
    if (wide) {
      const px = (plotPx / buckets).toFixed(1);
      this.note.title += `${this.note.title ? " " : ""}${fmtInt(drawn.length)} lines share the chart's points: ${fmtInt(buckets)} buckets of ${px} px, each half drawn as one of its values at random, or its extreme if that is a spike.`;
    }
    const raw: Slot[][] = [], sm: Slot[][] = [], shownRaw: Slot[][] = [], shownSm: Slot[][] = [];
    // (log scale is `positiveOnly`: the cache keeps its slots when no value is <= 0)
    const cfg = `${mode}|${smoothing}|${wide}`;
    const plotCols = new Map<string, HeldCols>();
    for (const { run, d } of lines) {
      if (!d) {
        // a hidden run's line keeps the columns it has on this grid (it is not drawn, and shown
        // runs alone set the y range): hiding a run changes no data
        const kept = this.held.get(run);
        const cols: HeldCols = kept && kept.grid === gridKey && (kept.sm !== null) === smoothing
          ? kept : { grid: gridKey, key: "empty", raw: this.emptyCol, sm: smoothing ? this.emptyCol : null };
        raw.push(cols.raw);
        if (cols.sm) sm.push(cols.sm);
        plotCols.set(run, cols);
        continue;
      }
      const input = {
        xs: d.xs, n: d.n, ys: d.smoothed ? [d.values, d.smoothed] : [d.values], map: d.map,
        ascending: d.ascending, positiveOnly: logY, reduce, sub,
      };
      const st = this.states.get(d.run);
      const cols = d.merged || !st ? fillSlots(input, x0, x1, buckets) : st.slots.update(input, x0, x1, buckets, d.from, cfg);
      raw.push(cols[0]);
      shownRaw.push(cols[0]);
      if (smoothing) {
        sm.push(cols[1]);
        shownSm.push(cols[1]);
      }
      // what the slots are made of (a zoom detail's are new every time)
      const key = d.merged ? `merged:${++this.mergedDraws}` : `${cfg}|${w}|${logY}|${d.map.origin}|${d.epoch}:${d.version}`;
      plotCols.set(d.run, { grid: gridKey, key, raw: cols[0], sm: smoothing ? cols[1] : null });
    }
    this.yPct = this.opts.ignoreOutliers ? percentileRange(smoothing ? shownSm : shownRaw) : null;
    if (gridKey !== this.gridKey) {
      this.gridKey = gridKey;
      this.grid = slotXs(x0, x1, buckets, sub);
    }
    const data = [this.grid, ...raw, ...sm] as unknown as uPlot.AlignedData;

    // 3. create or update the uPlot instance
    const sig = JSON.stringify([smoothing, mode, theme.id, owned]);
    const width = Math.max(100, Math.floor(this.width || this.plotEl.clientWidth || 600));
    const height = Math.max(80, Math.floor(this.height || this.plotEl.clientHeight || 230));
    const many = drawn.length >= MANY_RUNS;
    const logChanged = logY !== this.logY;
    this.logY = logY;
    const added = this.u && sig === this.sig ? this.addedLines(lines) : null;
    // the instance already holds this data when every line's columns are the ones it was given
    const sameData = added?.length === 0 && !logChanged && lines.every(({ run }) => sameCols(this.held.get(run), plotCols.get(run)));
    this.held = plotCols;
    if (!this.u || added === null) {
      this.destroyPlot();
      this.sig = sig;
      this.plotLines = lines.map(({ run, color }) => ({ run, color }));
      this.u = new uPlot(this.options(lines, smoothing, many, width, height), data, this.plotEl);
      this.el.dataset.builds = String(++this.builds);
      this.applyHighlight();
      this.u.over.addEventListener("mouseleave", this.hideTip);
      this.u.batch(() => {}); // draw now, not in a microtask
    } else {
      const u = this.u;
      u.batch(() => {
        if (added.length) this.addLines(u, lines, added, smoothing, many);
        if (u.width !== width || u.height !== height) u.setSize({ width, height });
        // a run toggled: flip its lines; widths follow the number of runs shown
        const n = lines.length;
        let toggled = false, widened = false;
        lines.forEach((l, k) => {
          const show = l.d !== null;
          for (const [si, width] of smoothing ? [[k + 1, 1], [n + k + 1, many ? 1 : 1.75]] : [[k + 1, many ? 1 : 1.5]]) {
            const s = u.series[si];
            if (s.width !== width) {
              s.width = width;
              widened = true;
            }
            if (s.show !== show) {
              u.setSeries(si, { show }, false);
              toggled = true;
            }
          }
        });
        // a new y transform: the scale's cached ends are in the old one, so force their update
        if (logChanged) u.scales.y.min = u.scales.y.max = undefined;
        // a toggle alone changes no data: setSeries re-ranges y from the lines shown, and uPlot
        // rebuilds the paths only if that range moved (new data, or new widths: their gap clips, all)
        if (!(sameData && toggled && !widened)) u.setData(data, true);
      });
    }
  }

  /**
   * Indices in `lines` of the runs the instance has no line for yet (a run's first points, as
   * runs arrive); null when the instance cannot be brought there by adding (a run gone or
   * recoloured): it is rebuilt then.
   */
  private addedLines(lines: Line[]): number[] | null {
    const old = this.plotLines;
    const added: number[] = [];
    let j = 0;
    for (let k = 0; k < lines.length; k++) {
      if (j < old.length && old[j].run === lines[k].run) {
        if (old[j].color !== lines[k].color) return null;
        j++;
      } else added.push(k);
    }
    return j < old.length ? null : added;
  }

  /** Add the lines of `added` (ascending indices in `lines`) in place; inside the batch that sets their data. */
  private addLines(u: uPlot, lines: Line[], added: number[], smoothing: boolean, many: boolean) {
    const theme = this.ctx.theme();
    const before = this.plotLines.length;
    // in ascending order, the lines before k are in place: k's raw line goes at k + 1, its
    // smoothed line at k + 1 after all m raw lines
    added.forEach((k, i) => {
      const m = before + i + 1;
      const [raw, sm] = seriesOf(lines[k], smoothing, many, theme);
      u.addSeries(raw, k + 1);
      if (sm) u.addSeries(sm, m + k + 1);
    });
    this.plotLines = lines.map(({ run, color }) => ({ run, color }));
    this.meta = metaOf(lines, smoothing, theme);
    this.applyHighlight();
  }

  private options(lines: Line[], smoothing: boolean, many: boolean, width: number, height: number): uPlot.Options {
    const theme = this.ctx.theme();
    const { x_axis: mode } = this.ctx.settings;
    const font = `11px ${theme.font}`;
    const axisBase = {
      stroke: theme.fg2, font, gap: 4,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1, size: 4 },
    };
    const [xLabel, yLabel] = this.opts.axisLabels?.() ?? ["", ""];
    const title = (label: string) => (label ? { label, labelSize: 16, labelFont: font, labelGap: 0 } : {});
    const per = lines.map((l) => seriesOf(l, smoothing, many, theme));
    const series: uPlot.Series[] = [{}, ...per.map((p) => p[0]), ...per.flatMap((p) => (p[1] ? [p[1]] : []))];
    this.meta = metaOf(lines, smoothing, theme);

    const x = xAxis(mode, { ...axisBase, ...title(xLabel) } as uPlot.Axis, font);
    // the y axis as uPlot draws a linear one, or a log10 one (logSplits, logTicks), switched by this.logY
    const yValues = (_u: uPlot, splits: (number | null)[], _ai: number, _space: number, incr: number) => {
      const step = labelStep(splits, incr);
      return splits.map((v) => (v === null ? "" : this.logY ? fmtValue(v) : fmtTick(v, step)));
    };
    const ySplits: SplitsFn = (u, axisIdx, min, max, ...rest) =>
      (this.logY ? logSplits(min, max) : linearSplits(u, axisIdx, min, max, ...rest));

    return {
      width, height,
      legend: { show: false },
      padding: [8, x.padRight, 0, 0],
      scales: {
        x: { time: mode === "wall", range: () => this.currentX() },
        y: {
          // a custom transform (distr 100) rather than distr 1 or 3, so that the log-scale toggle
          // is a redraw of this instance; values <= 0 never reach it on a log scale (slots drop them)
          distr: 100, log: 10,
          fwd: (v) => (this.logY ? Math.log10(v) : v), bwd: (v) => (this.logY ? 10 ** v : v),
          range: (_u, min, max) => this.yRange(min, max, this.logY),
        },
      },
      series,
      axes: [
        x.axis,
        {
          ...axisBase, ...title(yLabel), space: 28, values: yValues, size: axisSize, incrs: Y_INCRS, splits: ySplits,
          filter: (_u: uPlot, sp: number[]) => (this.logY ? logTicks(sp) : sp),
        } as uPlot.Axis,
      ],
      cursor: {
        y: false,
        points: { show: false },
        drag: { x: true, y: false, setScale: false },
        bind: { dblclick: () => () => { this.resetZoom(); return null; } },
      },
      hooks: {
        setSelect: [(u) => this.onSelect(u)],
        setCursor: [(u) => this.onCursor(u)],
        draw: [(u) => this.drawIsolated(u)],
      },
    };
  }

  private onSelect(u: uPlot) {
    const { left, width } = u.select;
    if (width < 4) return;
    const a = u.posToVal(left, "x"), b = u.posToVal(left + width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.zoom(a, b);
  }

  /**
   * Ask the kernel for the points of decimated series in the zoomed step range, as many as the
   * plot can show (so a zoom on a chart of 100 runs stays bounded), unless a detail held serves.
   */
  private scheduleDetail() {
    if (this.detailTimer) clearTimeout(this.detailTimer);
    this.detailTimer = setTimeout(() => {
      this.detailTimer = null;
      const v = this.view;
      if (!v || this.ctx.settings.x_axis !== "step") return;
      const x0 = Math.floor(v[0]), x1 = Math.ceil(v[1]);
      const points = detailPoints(this.plotPx());
      for (const s of this.shownSeries()) {
        if (!s.decimated || !needsDetail(s.detail, x0, x1, points)) continue;
        this.detailAsked = true;
        void this.data.requestRange(s.run, s.tag, x0, x1, points);
      }
    }, 250);
  }

  private hideTip = () => {
    this.tip.style.display = "none";
    for (const d of this.dots) d.style.display = "none";
    this.setHighlight(null);
  };

  /** The run to highlight (others dimmed), or null for none. Only with several runs drawn. */
  setHighlight(run: string | null) {
    if (this.drawn.length < 2) run = null;
    if (run === this.highlighted) return;
    this.highlighted = run;
    this.applyHighlight();
    this.u?.redraw(false);
  }

  private applyHighlight() {
    const hl = this.highlighted;
    const u = this.u;
    if (u) {
      this.meta.forEach((m, k) => {
        const s = u.series[k + 1] as uPlot.Series & { alpha?: number };
        s.alpha = hl === null || m.run === hl ? 1 : DIM_ALPHA;
      });
    }
    for (const item of this.legend.children) {
      const run = (item as HTMLElement).dataset.run;
      item.classList.toggle("cb-hl", hl !== null && run === hl);
      item.classList.toggle("cb-dim", hl !== null && run !== hl);
    }
  }

  /** A legend of the runs drawn (full names); on a board of one run, none. */
  private updateLegend(drawn: Drawn[]) {
    const show = drawn.length > 1 || (drawn.length === 1 && this.ctx.store.runs.length > 1);
    const key = show ? JSON.stringify(drawn.map((d) => [d.run, d.color])) : "";
    if (key === this.legendKey) return;
    this.legendKey = key;
    this.legend.hidden = key === "";
    const held = new Set(this.series.map((s) => s.run));
    for (const run of this.legendItems.keys()) if (!held.has(run)) this.legendItems.delete(run);
    syncChildren(this.legend, key === "" ? [] : drawn.map((d) => this.legendItem(d.run, d.color)));
    if (this.highlighted !== null && !drawn.some((d) => d.run === this.highlighted)) this.highlighted = null;
    this.applyHighlight();
  }

  /** The legend entry of a run in its colour, made once per run and colour. */
  private legendItem(run: string, color: string): HTMLElement {
    const kept = this.legendItems.get(run);
    if (kept && kept.dataset.color === color) return kept;
    const sw = h("span", { class: "cb-swatch" });
    sw.style.background = color;
    const item = h("span", { class: "cb-legend-item", "data-run": run, "data-color": color, title: run }, sw, h("span", {}, breakable(run)));
    this.legendItems.set(run, item);
    return item;
  }

  /** Dots where a line has nothing to join: a one-point series, a point between NaNs. */
  private drawIsolated(u: uPlot) {
    const xs = u.data[0];
    const ctx = u.ctx;
    const r = 2.75 * (uPlot.pxRatio || 1);
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left - r, top - r, width + 2 * r, height + 2 * r);
    ctx.clip();
    this.meta.forEach((m, k) => {
      const si = k + 1;
      const s = u.series[si] as uPlot.Series & { alpha?: number };
      if (!m.top || s.show === false) return;
      const ys = u.data[si] as ArrayLike<number | null | undefined>;
      const idx = isolatedPoints(xs, ys, (x) => u.valToPos(x, "x", true), (y) => u.valToPos(y, "y", true), 1.5 * (uPlot.pxRatio || 1));
      if (!idx.length) return;
      ctx.globalAlpha = s.alpha ?? 1;
      ctx.fillStyle = m.color;
      for (const i of idx) {
        const x = u.valToPos(xs[i], "x", true), y = u.valToPos(ys[i] as number, "y", true);
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.fill();
      }
    });
    ctx.restore();
  }

  private nearest(d: Drawn, x: number): number {
    if (d.n === 0) return -1;
    const mx = (i: number) => (d.xs[i] - d.map.origin) * d.map.scale;
    if (d.ascending) {
      const i = lowerBound(d.xs, d.n, x, d.map);
      if (i >= d.n) return d.n - 1;
      if (i === 0) return 0;
      return x - mx(i - 1) <= mx(i) - x ? i - 1 : i;
    }
    let best = -1, bestDist = Infinity;
    for (let i = 0; i < d.n; i++) {
      const dist = Math.abs(mx(i) - x);
      if (dist < bestDist) { bestDist = dist; best = i; }
    }
    return best;
  }

  private onCursor(u: uPlot) {
    const { left, top } = u.cursor;
    if (left === undefined || top === undefined || left < 0 || this.drawn.length === 0) return this.hideTip();
    const x = u.posToVal(left, "x");
    const logY = this.ctx.settings.log_y;
    const mode = this.ctx.settings.x_axis;
    const [vx0, vx1] = this.currentX();
    const rows = [];
    for (const d of this.drawn) {
      const i = this.nearest(d, x);
      if (i < 0) continue;
      const xv = (d.xs[i] - d.map.origin) * d.map.scale;
      if (xv < vx0 || xv > vx1) continue;
      const value = d.values[i];
      const sm = d.smoothed ? d.smoothed[i] : value;
      const drawable = Number.isFinite(sm) && (!logY || sm > 0);
      const px = u.valToPos(xv, "x");
      const py = drawable ? u.valToPos(sm, "y") : NaN;
      rows.push({ d, i, value, sm, px, py, dist: drawable ? Math.abs(py - top) : Infinity });
    }
    if (rows.length === 0) return this.hideTip();
    rows.sort((a, b) => a.dist - b.dist);
    this.setHighlight(rows[0].dist <= HIGHLIGHT_PX ? rows[0].d.run : null);
    sortTooltipRows(rows, this.opts.tooltipSort ?? "nearest");
    const shown = rows.slice(0, 12);
    const smoothing = this.drawn.some((d) => d.smoothed);
    const timeHead = mode === "wall" ? "Time" : "Relative";
    let html = `<table><tr><th></th>${smoothing ? "<th>Smoothed</th>" : ""}<th>Value</th><th>Step</th><th>${timeHead}</th></tr>`;
    for (const r of shown) {
      const t = mode === "wall" ? fmtWall(r.d.walls[r.i]) : fmtDuration(r.d.walls[r.i] - r.d.runStart);
      const hl = r.d.run === this.highlighted ? " cb-hl" : "";
      html += `<tr class="cb-tip-row${hl}"><td class="cb-tip-run"><div class="cb-tip-name"><span class="cb-swatch" style="background:${r.d.color}"></span><span>${breakableHtml(r.d.run)}</span></div></td>`
        + (smoothing ? `<td>${fmtValue(r.sm)}</td>` : "")
        + `<td>${fmtValue(r.value)}</td><td>${fmtInt(r.d.steps[r.i])}</td><td>${t}</td></tr>`;
    }
    if (rows.length > shown.length) html += `<tr><td class="cb-tip-run" colspan="5">+${rows.length - shown.length} more</td></tr>`;
    this.tip.innerHTML = `${html}</table>`;

    // dots on the lines
    while (this.dots.length < shown.length) {
      const dot = h("div", { class: "cb-dot" });
      u.over.append(dot);
      this.dots.push(dot);
    }
    this.dots.forEach((dot, k) => {
      const r = shown[k];
      if (!r || !Number.isFinite(r.py)) { dot.style.display = "none"; return; }
      if (dot.parentElement !== u.over) u.over.append(dot);
      dot.style.display = "block";
      dot.style.left = `${r.px}px`;
      dot.style.top = `${r.py}px`;
      dot.style.background = r.d.color;
    });

    // tooltip next to the cursor, inside the card
    const tip = this.tip;
    tip.style.display = "block";
    const card = this.el.getBoundingClientRect();
    const over = u.over.getBoundingClientRect();
    const cx = over.left - card.left + left, cy = over.top - card.top + top;
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    let tx = cx + 16;
    if (tx + tw > card.width - 4) tx = Math.max(4, cx - tw - 16);
    // keep it in the part of the card that is visible (the board scrolls inside its cell)
    const clip = this.el.closest(".cb-main")?.getBoundingClientRect();
    const visTop = Math.max(0, (clip?.top ?? 0) - card.top, -card.top);
    const visBottom = Math.min(card.height, (clip?.bottom ?? Infinity) - card.top, window.innerHeight - card.top);
    let ty = cy + 12;
    if (ty + th > visBottom - 4) ty = cy - th - 12;
    ty = Math.max(visTop + 4, ty);
    tip.style.left = `${tx}px`;
    tip.style.top = `${ty}px`;
  }

  downloadCsv() {
    downloadText(`${this.tag.replace(/[^\w.-]+/g, "_")}.csv`, scalarsCsv(this.shownSeries(), false));
  }

  private destroyPlot() {
    if (this.u) {
      this.u.over.removeEventListener("mouseleave", this.hideTip);
      this.u.destroy();
      this.u = null;
      this.dots = [];
    }
    this.sig = "";
  }

  destroy() {
    if (this.detailTimer) clearTimeout(this.detailTimer);
    this.destroyPlot();
    this.el.remove();
  }
}

/** The columns a run's lines have in the plot, and what they were made from. */
interface HeldCols {
  /** The grid they are on (x range and buckets). */
  grid: string;
  /** Settings and series version they were bucketed for ("empty": a hidden run's empty columns). */
  key: string;
  raw: Slot[];
  sm: Slot[] | null;
}

/** Whether two held columns are the same data on the same grid. */
function sameCols(a: HeldCols | undefined, b: HeldCols | undefined): boolean {
  return !!a && !!b && a.grid === b.grid && a.key === b.key && a.raw === b.raw && a.sm === b.sm;
}

/** The uPlot series of a run's line: raw, and smoothed (null without smoothing). */
function seriesOf(l: Line, smoothing: boolean, many: boolean, theme: Theme): [uPlot.Series, uPlot.Series | null] {
  const show = l.d !== null;
  const raw: uPlot.Series = {
    label: l.run, stroke: rawStroke(l.color, smoothing, theme), width: smoothing || many ? 1 : 1.5, show,
    points: { show: false }, spanGaps: false, paths: slotLinePaths,
  };
  if (!smoothing) return [raw, null];
  return [raw, {
    label: `${l.run} (smoothed)`, stroke: l.color, width: many ? 1 : 1.75, show, points: { show: false }, paths: slotLinePaths,
  }];
}

/** Under a smoothed line, the raw one is faint. */
function rawStroke(color: string, smoothing: boolean, theme: Theme): string {
  return smoothing ? withAlpha(color, theme.dark ? 0.32 : 0.25) : color;
}

/** What each series (after x) draws, in the plot's order: every raw line, then every smoothed one. */
function metaOf(lines: Line[], smoothing: boolean, theme: Theme): SeriesMeta[] {
  const meta = lines.map((l) => ({ run: l.run, color: rawStroke(l.color, smoothing, theme), top: !smoothing }));
  if (smoothing) for (const l of lines) meta.push({ run: l.run, color: l.color, top: true });
  return meta;
}

/** A run name as HTML with line-break opportunities after separators (see ui/run-list breakable). */
function breakableHtml(name: string): string {
  return escapeHtml(name).replace(/([/_\-.=,:;+@])/g, "$1<wbr>");
}

/** Width of the y axis from its longest label (uPlot calls this while laying out). */
/** Widths of tick labels by font and text: setting a canvas font and measuring costs more than
 * the rest of an axis layout, and every redraw of every chart asks for the same few labels. */
const labelWidths = new Map<string, number>();
const LABEL_WIDTHS_MAX = 4096;

function axisSize(u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = u.axes[axisIdx] as uPlot.Axis & { _size?: number; font: [string, number] };
  if (cycleNum > 1 && axis._size) return axis._size;
  let size = ((axis.ticks as { size?: number }).size ?? 4) + (axis.gap ?? 4) + 6;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), "");
  if (longest) {
    const key = `${axis.font[0]}\u0000${longest}`;
    let width = labelWidths.get(key);
    if (width === undefined) {
      if (labelWidths.size >= LABEL_WIDTHS_MAX) labelWidths.clear();
      u.ctx.font = axis.font[0];
      width = u.ctx.measureText(longest).width;
      labelWidths.set(key, width);
    }
    size += width / (uPlot.pxRatio || 1);
  }
  return Math.ceil(size);
}

/** Fewer finite values than this are never trimmed: their 5% tails hold less than one value. */
export const OUTLIER_MIN_VALUES = 20;
/** Values beyond the 5th-95th percentile range by at most this fraction of it are kept. */
export const OUTLIER_REACH = 0.5;

/** "Ignore outliers": TensorBoard's 5th to 95th percentile of the finite values drawn (as its
 * d3 quantile filter picks them), widened to the values that lie within OUTLIER_REACH of that
 * range beyond it, and nothing trimmed under OUTLIER_MIN_VALUES values. TensorBoard trims the
 * lowest and highest value of every series of 3 or more, so the last point of a rising 10-epoch
 * accuracy curve fell off the chart; a spike or a loss's first steps still do (docs/decisions.md).
 * Values are selected, not sorted: it runs at every redraw, over every line's slots. */
export function percentileRange(cols: Slot[][]): [number, number] | null {
  const vals: number[] = [];
  for (const c of cols) for (const v of c) if (typeof v === "number" && Number.isFinite(v)) vals.push(v);
  if (vals.length < OUTLIER_MIN_VALUES) return null;
  const a = Float64Array.from(vals), n = a.length;
  const lo = Math.ceil((n - 1) * 0.05), hi = Math.floor((n - 1) * 0.95);
  const top = select(a, n, hi);
  // (the hi smallest are now before it: the lo-th smallest is among them)
  const bottom = lo < hi ? select(a, hi, lo) : top;
  const reach = (top - bottom) * OUTLIER_REACH;
  let min = bottom, max = top;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (v < min && v >= bottom - reach) min = v;
    else if (v > max && v <= top + reach) max = v;
  }
  return [min, max];
}

/**
 * Tooltip rows in `order` (rows come sorted nearest first, which "nearest" keeps): by the value
 * drawn (the smoothed one when smoothing), rows without a finite one last, or by run name.
 */
export function sortTooltipRows<R extends { sm: number; d: { run: string } }>(rows: R[], order: TooltipSort): R[] {
  const byValue = (sign: number) => (a: R, b: R) => {
    const fa = Number.isFinite(a.sm), fb = Number.isFinite(b.sm);
    return fa && fb ? sign * (a.sm - b.sm) : fa ? -1 : fb ? 1 : 0;
  };
  if (order === "descending") rows.sort(byValue(-1));
  else if (order === "ascending") rows.sort(byValue(1));
  else if (order === "name") rows.sort((a, b) => (a.d.run < b.d.run ? -1 : a.d.run > b.d.run ? 1 : 0));
  return rows;
}

/**
 * Series as CSV, one row per point held: `run,step,wall_time,value`, or with `tagColumn`
 * `run,tag,step,wall_time,value` (cellboard.load's to_pandas() columns, tbparse's long form).
 */
export function scalarsCsv(series: Iterable<ScalarSeries>, tagColumn: boolean): string {
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [tagColumn ? "run,tag,step,wall_time,value" : "run,step,wall_time,value"];
  for (const s of series) {
    const head = tagColumn ? `${q(s.run)},${q(s.tag)}` : q(s.run);
    for (let i = 0; i < s.length; i++) lines.push(`${head},${s.steps[i]},${s.walls[i]},${s.values[i]}`);
  }
  return `${lines.join("\n")}\n`;
}
