// The HPARAMS tab: parallel coordinates, the sessions table and a scatter, over one model of the
// sessions (model.ts). Filters (the row filter, per-column filters, the run filter/checkboxes)
// decide which sessions are drawn; brushes on the parallel coordinates decide which are lit: the
// table lists the lit ones, the plots fade the others. Hovering a row, line or point highlights
// the session everywhere. Live: any change of the hparams records, or of a scalar series of a
// session's metric (any series of a session run or its sub-runs while the metrics are inferred),
// rebuilds the model on the next frame.

import { changedKeys } from "../../store-change";
import { h, makeFilter } from "../../ui/dom";
import { scalars } from "../scalars";
import type { RecordSlice } from "../record-kind";
import { splitKey, type Dirt, type Panel, type PanelContext } from "../types";
import {
  axisScale, brushed, canLog, colorScale, sequentialGradient, type AxisScale, type Brush,
} from "./geometry";
import { SessionMetrics } from "./metrics";
import {
  buildModel, cellValue, columnFilter, columnTip, fmtCell, fmtExact, inferMetricNames, metricNameOf, metricSeriesKeys, rowFilter, sortSessions,
  type Column, type MetricValue, type Model, type Session, type SortDir,
} from "./model";
import { ParallelCoords } from "./parcoords";
import { gather, type HParamsRecord } from "./record";
import { Scatter } from "./scatter";
import { SessionsTable } from "./table";
import { injectHParamsCss } from "./style";

const RUN_COLOUR = "__run__";

export class HParamsPanel implements Panel {
  readonly el: HTMLElement;
  private model: Model = { columns: [], sessions: [] };
  private totalSessions = 0;
  private sessionRuns = new Set<string>();
  private metricTags = new Set<string>();
  private dataDirty = true;
  private viewDirty = true;

  // per-view state
  private sort: { key: string; dir: SortDir } | null = null;
  private rowText = "";
  private readonly colFilters = new Map<string, string>();
  private readonly brushes = new Map<string, Brush>();
  private readonly hidden = new Set<string>();
  private readonly logKeys = new Set<string>();
  private colorChoice: string | null = null; // null: the first metric
  private scatterX: string | null = null;
  private scatterY: string | null = null;
  private hover: string | null = null;
  private dragging = false;

  // what the last render drew (brushing and hover update in place)
  private cols: Column[] = [];
  private scales = new Map<string, AxisScale>();
  private shownSessions: Session[] = [];
  private lit = new Set<string>();
  private counts = { shown: 0, total: 0 };

  private readonly table: SessionsTable;
  private readonly pc: ParallelCoords;
  private readonly sc: Scatter;
  private readonly rowInput: HTMLInputElement;
  private readonly countEl = h("span", { class: "cb-muted" });
  private readonly clearBtn = h("button", { class: "cb-linkbtn", type: "button", text: "clear brushes and filters" });
  private readonly colorSelect = h("select", { class: "cb-input", "aria-label": "Colour by" });
  private readonly legend = h("span", { class: "cb-hp-legend" });
  private readonly legendLo = h("span");
  private readonly legendHi = h("span");
  private readonly ramp = h("span", { class: "cb-hp-ramp" });
  private readonly xSelect = h("select", { class: "cb-input", "aria-label": "Scatter x axis (hyperparameter)" });
  private readonly ySelect = h("select", { class: "cb-input", "aria-label": "Scatter y axis (metric)" });
  private readonly tableNote = h("span", { class: "cb-card-note" });
  private readonly controls: HTMLElement;
  private readonly colList = h("ul", { class: "cb-hp-cols" });
  private colListKey = "";
  private readonly ro: ResizeObserver | null;
  /** The expanded sessions' metric charts, by session run. */
  private readonly details = new Map<string, SessionMetrics>();

  constructor(private readonly ctx: PanelContext, private readonly records: RecordSlice<HParamsRecord>) {
    injectHParamsCss();
    const hover = (run: string | null) => this.setHover(run);
    this.table = new SessionsTable({
      runColor: (run) => ctx.runColor(run),
      onSort: (key, dir) => { this.sort = key ? { key, dir } : null; this.invalidate(); },
      onColumnFilter: (key, text) => {
        if (text.trim()) this.colFilters.set(key, text);
        else this.colFilters.delete(key);
        this.invalidate();
      },
      onHover: hover,
      detailOf: (run) => this.details.get(run)?.el ?? null,
      onExpand: (run, open) => {
        if (open && !this.details.has(run)) this.details.set(run, new SessionMetrics(run, ctx, ctx.store.slice(scalars)));
        if (!open) {
          this.details.get(run)?.destroy();
          this.details.delete(run);
        }
        this.invalidate();
      },
    });
    this.pc = new ParallelCoords({
      onBrush: (key, brush) => {
        if (brush) this.brushes.set(key, brush);
        else this.brushes.delete(key);
        this.applyBrushes();
      },
      onDrag: (active) => {
        // rows come and go while brushing: keep the table's height so the page (and the axis
        // under the pointer) does not move during the drag; redraws wait for its end
        this.dragging = active;
        this.table.el.style.minHeight = active ? `${this.table.el.offsetHeight}px` : "";
        if (!active && (this.viewDirty || this.dataDirty)) ctx.requestFlush();
      },
      onHover: hover,
      onToggleLog: (key) => this.toggleLog(key),
      tipContent: (run) => this.tipContent(run),
    });
    this.sc = new Scatter({ runColor: (run) => ctx.runColor(run), onHover: hover, tipContent: (run) => this.tipContent(run) });

    this.rowInput = h("input", { class: "cb-input", type: "search", placeholder: "Filter sessions (regex over runs and values)", "aria-label": "Filter sessions" });
    this.rowInput.addEventListener("input", () => { this.rowText = this.rowInput.value; this.invalidate(); });
    this.clearBtn.addEventListener("click", () => {
      this.brushes.clear();
      this.colFilters.clear();
      this.rowText = this.rowInput.value = "";
      this.invalidate();
    });
    this.colorSelect.addEventListener("change", () => { this.colorChoice = this.colorSelect.value; this.invalidate(); });
    this.xSelect.addEventListener("change", () => { this.scatterX = this.xSelect.value; this.invalidate(); });
    this.ySelect.addEventListener("change", () => { this.scatterY = this.ySelect.value; this.invalidate(); });
    this.legend.append(this.legendLo, this.ramp, this.legendHi);

    const card = (cls: string, title: string, note: HTMLElement | null, right: HTMLElement | null, body: HTMLElement) =>
      h("div", { class: `cb-card cb-hp-card ${cls}` },
        h("div", { class: "cb-card-head" }, h("span", { class: "cb-card-title", text: title }), note, right), body);
    this.el = h("div", { class: "cb-panel cb-panel-hparams" },
      h("div", { class: "cb-hp-bar" }, this.rowInput, this.countEl, this.clearBtn),
      card("cb-hp-pc-card", "Parallel coordinates", h("span", { class: "cb-card-note", text: "drag along an axis to filter" }),
        h("span", { class: "cb-hp-head-right" }, h("span", { text: "colour by" }), this.colorSelect, this.legend), this.pc.el),
      card("cb-hp-table-card", "Sessions", this.tableNote, null, this.table.el),
      card("cb-hp-sc-card", "Scatter", null,
        h("span", { class: "cb-hp-head-right" }, this.ySelect, h("span", { text: "vs" }), this.xSelect), this.sc.el));

    this.controls = h("div", { class: "cb-side-section" },
      h("div", { class: "cb-side-title", text: "HParams columns" }),
      this.colList,
      h("div", { class: "cb-muted", style: "margin-top:8px", text: "Metrics are the last value of each session's scalar series of the metric tag (a/tag: of its sub-run a). Drag along an axis to filter sessions; click the axis to clear." }));

    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      let changed = false;
      for (const e of entries) {
        const w = Math.floor(e.contentRect.width);
        const plot = e.target === this.pc.el ? this.pc : e.target === this.sc.el ? this.sc : null;
        if (plot && w > 0 && w !== plot.width) {
          plot.width = w;
          changed = true;
        }
      }
      if (changed) this.invalidate();
    });
    this.ro?.observe(this.pc.el);
    this.ro?.observe(this.sc.el);
  }

  // ------------------------------------------------------------------ Panel

  settingsEl(): HTMLElement | null {
    return this.controls;
  }

  syncControls() {}

  tagCounts() {
    return this.counts;
  }

  markDirty(d: Dirt) {
    if (d === "all" || changedKeys(d, "hparams").size) {
      this.dataDirty = true;
      return;
    }
    for (const k of changedKeys(d, scalars)) {
      const [run, tag] = splitKey(k);
      const name = metricNameOf(run, tag, this.sessionRuns);
      if (name !== null && (this.metricTags.size === 0 || this.metricTags.has(name))) {
        this.dataDirty = true;
        return;
      }
    }
  }

  shown() {
    this.viewDirty = true;
  }

  flush() {
    if (this.dragging) return; // a rebuild would replace the axis under the pointer
    if (this.dataDirty) this.rebuild();
    if (this.viewDirty) this.render();
    for (const d of this.details.values()) d.flush(); // new points, or a zoom in one of their charts
  }

  destroy() {
    this.ro?.disconnect();
    this.table.destroy();
    this.pc.destroy();
    this.sc.destroy();
    for (const d of this.details.values()) d.destroy();
    this.el.remove();
  }

  // ------------------------------------------------------------------ model

  private invalidate() {
    this.viewDirty = true;
    this.ctx.requestFlush();
  }

  private metricValue = (run: string, name: string): MetricValue | undefined => {
    const slice = this.ctx.store.slice(scalars);
    for (const [r, tag] of metricSeriesKeys(run, name)) {
      const s = slice.get(r, tag);
      if (s && s.length > 0) return { value: s.values[s.length - 1], step: s.steps[s.length - 1] };
    }
    return undefined;
  };

  // over every session, also of runs hidden now (as TensorBoard, and cellboard.load): hiding a run
  // keeps the columns
  private inferredMetrics = (): string[] =>
    inferMetricNames(this.sessionRuns, [...this.ctx.store.slice(scalars).series.keys()].map(splitKey));

  private rebuild() {
    this.dataDirty = false;
    this.viewDirty = true;
    const { sessions, experiments } = gather(this.records);
    this.sessionRuns = new Set(sessions.map((r) => r.run));
    this.totalSessions = this.sessionRuns.size;
    this.model = buildModel(sessions.filter((r) => this.ctx.runShown(r.run)), experiments, this.metricValue, this.inferredMetrics);
    // metric names of every record (also of runs hidden now): their scalars matter when shown
    // again; none named: every scalar of a session matters (the metrics are inferred from them)
    this.metricTags = new Set([...experiments, ...sessions].flatMap((r) => [...r.metrics]));
  }

  // ------------------------------------------------------------------ drawing

  private render() {
    this.viewDirty = false;
    const model = this.model;
    const cols = model.columns.filter((c) => !this.hidden.has(c.key) && (c.group !== "metric" || this.ctx.tagShown(c.name)));
    const metrics = model.columns.filter((c) => c.group === "metric");
    this.counts = { shown: cols.filter((c) => c.group === "metric").length, total: metrics.length };
    this.cols = cols;
    this.scales = new Map(model.columns.map((c) => [c.key, axisScale(c, this.logKeys.has(c.key))]));

    // filters: the row filter and per-column filters decide what is drawn
    const rf = rowFilter(this.rowText, cols);
    this.rowInput.classList.toggle("cb-invalid", !rf.valid);
    const preds: ((s: Session) => boolean)[] = [];
    for (const [key, text] of this.colFilters) {
      if (key === "run") {
        const f = makeFilter(text);
        preds.push((s) => f.test(s.run));
        continue;
      }
      const col = cols.find((c) => c.key === key);
      if (!col) continue;
      const f = columnFilter(text, col);
      preds.push((s) => f.test(cellValue(s, col)));
    }
    this.shownSessions = model.sessions.filter((s) => rf.test(s) && preds.every((p) => p(s)));
    const lit = this.computeLit();

    // colour
    const colorCol = this.colorColumn();
    let color: (s: Session) => string;
    const missing = this.ctx.theme().fg3;
    if (colorCol) {
      const cs = colorScale(colorCol, this.scales.get(colorCol.key)!, this.ctx.theme().dark);
      this.ramp.style.background = sequentialGradient(this.ctx.theme().dark);
      color = (s) => cs.color(cellValue(s, colorCol) as number | undefined) ?? missing;
      this.legendLo.textContent = fmtCell(colorCol.min);
      this.legendHi.textContent = fmtCell(colorCol.max);
      this.legend.hidden = !Number.isFinite(colorCol.min);
      this.legend.title = `${colorCol.label}: low to high${this.logKeys.has(colorCol.key) && canLog(colorCol) ? " (log scale)" : ""}`;
    } else {
      color = (s) => this.ctx.runColor(s.run);
      this.legend.hidden = true;
    }
    this.syncSelects(model.columns, colorCol);

    this.pc.render({
      columns: cols, scales: this.scales, logKeys: this.logKeys, sessions: this.shownSessions, color,
      brushes: this.brushes, lit, hover: this.hover,
    });
    this.table.setColumns(cols, this.sort, this.colFilters);
    this.table.syncSort(this.sort);
    const metricNames = cols.filter((c) => c.group === "metric").map((c) => c.name);
    for (const d of this.details.values()) d.update(metricNames);
    this.renderRows(lit);
    const x = this.pick(this.scatterX, model.columns.filter((c) => c.group === "hparam"));
    const y = this.pick(this.scatterY, metrics);
    this.sc.render({
      x, y, xScale: x ? this.scales.get(x.key)! : null, yScale: y ? this.scales.get(y.key)! : null,
      sessions: this.shownSessions, lit, hover: this.hover,
    });
    this.syncColumnList(model.columns);
  }

  /** Sessions drawn that pass every brush on a shown axis. */
  private computeLit(): Set<string> {
    this.lit = new Set(brushed(this.shownSessions, this.cols, this.brushes).map((s) => s.run));
    return this.lit;
  }

  private renderRows(lit: ReadonlySet<string>) {
    const rows = this.shownSessions.filter((s) => lit.has(s.run));
    const sortCol = this.sort && this.sort.key !== "run" ? this.model.columns.find((c) => c.key === this.sort!.key) ?? null : null;
    this.table.setRows(this.sort ? sortSessions(rows, sortCol, this.sort.dir) : rows);
    const total = this.totalSessions;
    const n = rows.length;
    this.countEl.textContent = n === total ? `${total} session${total === 1 ? "" : "s"}` : `${n} of ${total} sessions`;
    this.tableNote.textContent = this.brushes.size ? `${n} in the brushed range${n === 1 ? "" : "s"}` : "";
    this.clearBtn.hidden = !(this.brushes.size || this.colFilters.size || this.rowText.trim());
  }

  /** A brush changed (during a drag): update lit lines, rows and points without a rebuild. */
  private applyBrushes() {
    const lit = this.computeLit();
    this.pc.setBrushState(this.brushes, lit);
    this.sc.setLit(lit);
    this.renderRows(lit);
  }

  private setHover(run: string | null) {
    if (run === this.hover) return;
    this.hover = run;
    this.table.setHover(run);
    this.pc.setHover(run);
    this.sc.setHover(run);
  }

  private toggleLog(key: string) {
    if (this.logKeys.has(key)) this.logKeys.delete(key);
    else this.logKeys.add(key);
    this.invalidate();
  }

  /** The chosen column among candidates, else the first. */
  private pick(choice: string | null, candidates: Column[]): Column | null {
    return candidates.find((c) => c.key === choice) ?? candidates[0] ?? null;
  }

  private colorColumn(): Column | null {
    if (this.colorChoice === RUN_COLOUR) return null;
    const numeric = this.model.columns.filter((c) => c.type === "number");
    const chosen = numeric.find((c) => c.key === this.colorChoice);
    return chosen ?? numeric.find((c) => c.group === "metric") ?? null;
  }

  private syncSelects(columns: Column[], colorCol: Column | null) {
    const fill = (sel: HTMLSelectElement, opts: { value: string; label: string }[], value: string) => {
      const key = opts.map((o) => `${o.value}\u0001${o.label}`).join("\u0002");
      if (sel.dataset.key !== key) {
        sel.dataset.key = key;
        sel.replaceChildren(...opts.map((o) => h("option", { value: o.value, text: o.label })));
      }
      if (sel.value !== value) sel.value = value;
      sel.disabled = opts.length === 0;
    };
    const metrics = columns.filter((c) => c.group === "metric");
    const numHp = columns.filter((c) => c.group === "hparam" && c.type === "number");
    fill(this.colorSelect, [
      ...metrics.map((c) => ({ value: c.key, label: c.label })),
      ...numHp.map((c) => ({ value: c.key, label: c.label })),
      { value: RUN_COLOUR, label: "run colour" },
    ], colorCol?.key ?? RUN_COLOUR);
    const hps = columns.filter((c) => c.group === "hparam");
    fill(this.xSelect, hps.map((c) => ({ value: c.key, label: c.label })), this.pick(this.scatterX, hps)?.key ?? "");
    fill(this.ySelect, metrics.map((c) => ({ value: c.key, label: c.label })), this.pick(this.scatterY, metrics)?.key ?? "");
  }

  /** Sidebar: a checkbox per column (shown in the plots and table) and a log toggle for positive number columns. */
  private syncColumnList(columns: Column[]) {
    // labels and tooltips too: a later experiment record may name or describe a column
    const key = columns.map((c) => `${c.key}\u0001${canLog(c)}\u0001${c.label}\u0001${columnTip(c)}`).join("\u0002");
    if (key !== this.colListKey) {
      this.colListKey = key;
      const items: HTMLElement[] = [];
      let group = "";
      for (const c of columns) {
        if (c.group !== group) {
          group = c.group;
          items.push(h("li", { class: "cb-hp-group", text: group === "hparam" ? "hyperparameters" : "metrics" }));
        }
        const box = h("input", { type: "checkbox", "data-key": c.key });
        box.addEventListener("change", () => {
          if (box.checked) this.hidden.delete(c.key);
          else this.hidden.add(c.key);
          this.invalidate();
        });
        const tip = columnTip(c);
        const title = `${c.label === c.name ? c.name : `${c.label} (${c.name})`}${tip ? `\n${tip}` : ""}`;
        const li = h("li", {}, h("label", { title }, box, h("span", { text: c.label })));
        if (canLog(c)) {
          const log = h("input", { type: "checkbox", "data-log": c.key });
          log.addEventListener("change", () => this.toggleLog(c.key));
          li.append(h("label", { class: "cb-hp-log", title: "Log scale" }, log, "log"));
        }
        items.push(li);
      }
      if (!items.length) items.push(h("li", { class: "cb-muted", text: "No columns yet." }));
      this.colList.replaceChildren(...items);
    }
    for (const box of this.colList.querySelectorAll<HTMLInputElement>("input[data-key]")) box.checked = !this.hidden.has(box.dataset.key!);
    for (const box of this.colList.querySelectorAll<HTMLInputElement>("input[data-log]")) box.checked = this.logKeys.has(box.dataset.log!);
  }

  /** A session's values (tooltips of both plots). */
  private tipContent(run: string): Node {
    const s = this.model.sessions.find((x) => x.run === run);
    const sw = h("span", { class: "cb-swatch" });
    sw.style.background = this.ctx.runColor(run);
    const head = h("div", { class: "cb-hp-tip-head" }, sw, run);
    if (!s) return head;
    const rows = this.cols.map((c) => {
      const v = cellValue(s, c);
      const m = c.group === "metric" ? s.metrics[c.name] : undefined;
      return h("tr", {},
        h("td", { text: c.label }),
        h("td", { text: v === undefined ? "–" : fmtCell(v), title: fmtExact(v) }),
        h("td", { class: "cb-muted", text: m ? `step ${m.step}` : "" }));
    });
    return h("div", {}, head, h("table", { class: "cb-hp-tip" }, h("tbody", {}, ...rows)));
  }
}
