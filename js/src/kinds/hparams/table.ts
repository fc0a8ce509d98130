// The sessions table: a row per session (run swatch and name, hyperparameters, metrics), a
// header that sorts (click: ascending, again: descending), a filter input per column, hover
// highlighting shared with the plots, and an expander per row that shows the session's metrics
// over steps under it (the host's element; TensorBoard's "Show Metrics"). The header is rebuilt
// only when the columns change, so a filter input keeps its focus while rows update.

import { h } from "../../ui/dom";
import { cellValue, columnFilter, columnTip, fmtCell, fmtExact, type Column, type Session, type SortDir } from "./model";

export interface TableHost {
  runColor(run: string): string;
  /** Sort by a column key ("run" for the run name); null: logging order (by run). */
  onSort(key: string | null, dir: SortDir): void;
  onColumnFilter(key: string, text: string): void;
  onHover(run: string | null): void;
  /** The element to show under an expanded session's row, or null when it is collapsed. */
  detailOf(run: string): HTMLElement | null;
  onExpand(run: string, open: boolean): void;
}

const PAGE = 200;

export class SessionsTable {
  readonly el: HTMLElement;
  private readonly table = h("table", { class: "cb-hp-table" });
  private readonly thead = h("thead");
  private readonly tbody = h("tbody");
  private readonly more = h("button", { class: "cb-linkbtn cb-hp-more", type: "button" });
  private readonly empty = h("div", { class: "cb-hp-empty" });
  private columnsKey = "";
  private columns: Column[] = [];
  private readonly arrows = new Map<string, HTMLElement>();
  private readonly filterInputs = new Map<string, HTMLInputElement>();
  private readonly headCells = new Map<string, HTMLElement>();
  private sortState: { key: string; dir: SortDir } | null = null;
  private rowsByRun = new Map<string, HTMLTableRowElement>();
  private hover: string | null = null;
  private limit = PAGE;
  private lastRows: readonly Session[] = [];

  constructor(private readonly host: TableHost) {
    this.table.append(this.thead, this.tbody);
    this.el = h("div", {}, h("div", { class: "cb-hp-table-wrap" }, this.table), this.empty, this.more);
    this.more.addEventListener("click", () => {
      this.limit += 5 * PAGE;
      this.setRows(this.lastRows);
    });
    this.tbody.addEventListener("mouseover", this.onOver);
    this.tbody.addEventListener("mouseleave", this.onLeave);
  }

  /** The columns, sort state and column filters (header rebuilt only when the columns change). */
  setColumns(columns: Column[], sort: { key: string; dir: SortDir } | null, filters: ReadonlyMap<string, string>) {
    // the header's tooltips too: a later experiment record may add a description
    const key = columns.map((c) => `${c.key}\u0001${c.type}\u0001${c.label}\u0001${columnTip(c)}`).join("\u0002");
    if (key !== this.columnsKey) {
      this.columnsKey = key;
      this.columns = columns;
      this.buildHead(filters);
    }
    for (const [k, a] of this.arrows) a.textContent = sort?.key === k ? (sort.dir === "asc" ? "▲" : "▼") : "";
    for (const [k, th] of this.headCells) th.setAttribute("aria-sort", sort?.key === k ? (sort.dir === "asc" ? "ascending" : "descending") : "none");
    for (const [k, inp] of this.filterInputs) {
      const v = filters.get(k) ?? "";
      if (inp.value !== v && inp.ownerDocument.activeElement !== inp) inp.value = v;
      const col = columns.find((c) => c.key === k);
      const valid = !col || columnFilter(v, col).valid;
      inp.classList.toggle("cb-invalid", !valid);
    }
  }

  private buildHead(filters: ReadonlyMap<string, string>) {
    this.arrows.clear();
    this.filterInputs.clear();
    this.headCells.clear();
    const names = h("tr");
    const inputs = h("tr", { class: "cb-hp-filters" });
    const head = (key: string, label: string, col: Column | null, cls: string) => {
      // the experiment's description and interval domain, if any, under the sort hint
      const tip = col ? columnTip(col) : "";
      const btn = h("button", { class: "cb-hp-sort", type: "button", title: `${label}: click to sort${tip ? `\n${tip}` : ""}`, text: label });
      const arrow = h("span", { class: "cb-hp-arrow" });
      btn.addEventListener("click", () => this.clickSort(key));
      const th = h("th", { class: cls, "data-key": key, scope: "col" }, btn, arrow);
      this.arrows.set(key, arrow);
      this.headCells.set(key, th);
      names.append(th);
      const inp = h("input", {
        class: "cb-input cb-hp-colfilter", type: "search", size: 6, "aria-label": `Filter ${label}`, "data-key": key,
        placeholder: col?.type === "number" ? ">0.1, 1..5" : "regex",
        title: col?.type === "number"
          ? "Comparisons and ranges, all must hold: >0.1  <=3  =64  0.1..0.5 (or a regex over the text); ! = empty cells"
          : "Regular expression (case-insensitive); ! = empty cells",
      });
      inp.value = filters.get(key) ?? "";
      inp.addEventListener("input", () => this.host.onColumnFilter(key, inp.value));
      this.filterInputs.set(key, inp);
      inputs.append(h("th", { class: cls }, inp));
    };
    head("run", "Run", null, "cb-hp-runcol");
    let firstMetric = true;
    for (const c of this.columns) {
      let cls = c.type === "number" ? "cb-hp-num" : "";
      if (c.group === "metric") {
        cls += " cb-hp-metric";
        if (firstMetric) cls += " cb-hp-first-metric";
        firstMetric = false;
      }
      head(c.key, c.label, c, cls.trim());
    }
    this.thead.replaceChildren(names, inputs);
  }

  private clickSort(key: string) {
    const s = this.sortState;
    // ascending first (as TensorBoard), then descending, then ascending again
    const next: SortDir = s?.key === key && s.dir === "asc" ? "desc" : "asc";
    this.sortState = { key, dir: next };
    this.host.onSort(key, next);
  }

  /** Keep the table's idea of the sort in step with the panel's (e.g. after a reset). */
  syncSort(sort: { key: string; dir: SortDir } | null) {
    this.sortState = sort;
  }

  /** The rows to show, in order (already filtered and sorted). */
  setRows(rows: readonly Session[]) {
    this.lastRows = rows;
    const shown = rows.slice(0, this.limit);
    const byRun = new Map<string, HTMLTableRowElement>();
    const trs = shown.flatMap((s) => {
      const sw = h("span", { class: "cb-swatch" });
      sw.style.background = this.host.runColor(s.run);
      const detail = this.host.detailOf(s.run);
      const expand = h("button", {
        class: "cb-hp-expand", type: "button", text: detail ? "▾" : "▸", "aria-expanded": String(!!detail),
        "aria-label": `Show metrics of ${s.run}`, title: "Show metrics: this session's metric series over steps",
      });
      expand.addEventListener("click", () => this.host.onExpand(s.run, !detail));
      const tr = h("tr", { "data-run": s.run },
        h("td", { class: "cb-hp-runcol" }, expand, h("span", { class: "cb-hp-run", title: s.run }, sw, s.run)));
      let firstMetric = true;
      for (const c of this.columns) {
        const v = cellValue(s, c);
        let cls = typeof v === "number" || (v === undefined && c.type === "number") ? "cb-hp-num" : "";
        if (c.group === "metric" && firstMetric) { cls += " cb-hp-first-metric"; firstMetric = false; }
        const td = h("td", { class: cls.trim() || null, text: fmtCell(v) });
        const exact = fmtExact(v);
        if (c.group === "metric") {
          const m = s.metrics[c.name];
          if (m) td.title = `${exact} at step ${m.step}`;
        } else if (exact !== td.textContent) td.title = exact;
        tr.append(td);
      }
      if (s.run === this.hover) tr.classList.add("cb-hp-hover");
      byRun.set(s.run, tr);
      return detail ? [tr, h("tr", { class: "cb-hp-detail" }, h("td", { colspan: this.columns.length + 1 }, detail))] : [tr];
    });
    this.rowsByRun = byRun;
    this.tbody.replaceChildren(...trs);
    const hidden = rows.length - shown.length;
    this.more.hidden = hidden <= 0;
    this.more.textContent = `show ${Math.min(hidden, 5 * PAGE)} more (${hidden} not shown)`;
    this.empty.hidden = rows.length > 0;
    this.empty.textContent = "No session matches the filters and brushes.";
  }

  setHover(run: string | null) {
    if (run === this.hover) return;
    this.rowsByRun.get(this.hover ?? "")?.classList.remove("cb-hp-hover");
    this.hover = run;
    this.rowsByRun.get(run ?? "")?.classList.add("cb-hp-hover");
  }

  private onOver = (e: MouseEvent) => {
    const tr = (e.target as Element | null)?.closest?.("tr");
    const run = tr?.getAttribute("data-run");
    if (run != null) this.host.onHover(run);
  };

  private onLeave = () => this.host.onHover(null);

  destroy() {
    this.tbody.removeEventListener("mouseover", this.onOver);
    this.tbody.removeEventListener("mouseleave", this.onLeave);
    this.el.remove();
  }
}
