// The Graph tab's table view: cellboard.summary's per-module rows (logged by add_graph next to the
// graph), in call order with the module tree indented, or sorted by parameters or mult-adds.

import { h } from "../../ui/dom";
import { fmtBytes, fmtInt } from "../../ui/format";
import { fmtShape, fmtShapeTree } from "./model";
import type { SummaryRow, SummaryTable } from "./record";

export type SortKey = "params" | "mult_adds";
export type SortDir = "desc" | "asc";

/** Rows in call order, or by `key` (ties keep call order). */
export function sortRows(rows: readonly SummaryRow[], sort: { key: SortKey; dir: SortDir } | null): SummaryRow[] {
  const out = [...rows];
  if (!sort) return out;
  const sign = sort.dir === "desc" ? -1 : 1;
  const pos = new Map(rows.map((r, i) => [r, i]));
  out.sort((a, b) => sign * (a[sort.key] - b[sort.key]) || (pos.get(a) as number) - (pos.get(b) as number));
  return out;
}

function paramsCell(r: SummaryRow): string {
  if (!r.params) return "--";
  if (r.shared) return `shared: ${fmtInt(r.params)}`;
  if (r.frozen === r.params) return `(${fmtInt(r.params)})`; // frozen, as torchinfo shows it
  return r.frozen ? `${fmtInt(r.params)} (${fmtInt(r.frozen)} frozen)` : fmtInt(r.params);
}

const COLUMNS: { label: string; sort?: SortKey; num?: boolean }[] = [
  { label: "Layer" }, { label: "Type" }, { label: "Input shape" }, { label: "Output shape" }, { label: "Kernel shape" },
  { label: "Params", sort: "params", num: true }, { label: "Mult-adds", sort: "mult_adds", num: true },
];

export class SummaryTableView {
  readonly el: HTMLElement;
  private table: SummaryTable | null = null;
  private sort: { key: SortKey; dir: SortDir } | null = null;

  constructor() {
    this.el = h("div", { class: "cb-graph-table" });
  }

  set(table: SummaryTable | null) {
    this.table = table;
    this.render();
  }

  /** Click cycle of a sortable column: largest first, smallest first, call order. */
  toggleSort(key: SortKey) {
    if (this.sort?.key !== key) this.sort = { key, dir: "desc" };
    else this.sort = this.sort.dir === "desc" ? { key, dir: "asc" } : null;
    this.render();
  }

  private render() {
    const t = this.table;
    if (!t) {
      this.el.replaceChildren(h("p", { class: "cb-muted cb-graph-note", text:
        "No summary table for this graph: cellboard's add_graph logs one (torch's and TensorFlow's writers do not). cellboard.summary(model, x) prints it." }));
      this.el.dataset.graphTableRows = "0";
      return;
    }
    const rows = sortRows(t.rows, this.sort);
    const head = h("tr", {}, ...COLUMNS.map((c) => {
      const th = h("th", { class: c.num ? "cb-num-col" : "", scope: "col" });
      if (!c.sort) {
        th.textContent = c.label;
        return th;
      }
      const key = c.sort;
      const dir = this.sort?.key === key ? this.sort.dir : null;
      th.setAttribute("aria-sort", dir === "desc" ? "descending" : dir === "asc" ? "ascending" : "none");
      const b = h("button", { class: "cb-graph-sort", type: "button", "data-sort": key, title: `Sort by ${c.label.toLowerCase()}`,
        text: `${c.label}${dir === "desc" ? " \u25BC" : dir === "asc" ? " \u25B2" : ""}` });
      b.addEventListener("click", () => this.toggleSort(key));
      th.append(b);
      return th;
    }));
    const body = rows.map((r) => {
      const name = this.sort ? r.name || "(model)" : r.name.split(".").pop() || "(model)";
      const layer = h("td", { class: "cb-graph-layer", title: r.name || t.model, text: name });
      if (!this.sort) layer.style.paddingLeft = `${0.5 + 1.1 * r.depth}em`;
      return h("tr", { class: r.leaf ? "" : "cb-graph-container-row" },
        layer,
        h("td", { text: r.type }),
        h("td", { class: "cb-mono", text: fmtShapeTree(r.input_shapes) }),
        h("td", { class: "cb-mono", text: fmtShapeTree(r.output_shapes) }),
        h("td", { class: "cb-mono", text: r.kernel_shape ? fmtShape(r.kernel_shape) : "--" }),
        h("td", { class: "cb-num-col", text: paramsCell(r) }),
        h("td", { class: "cb-num-col", text: r.mult_adds ? fmtInt(r.mult_adds) : "--" }));
    });
    const totals: [string, string][] = [
      ["Total params", fmtInt(t.total_params)],
      ["Trainable params", fmtInt(t.trainable_params)],
      ["Non-trainable params", fmtInt(t.total_params - t.trainable_params)],
      ["Mult-adds", fmtInt(t.mult_adds)],
      ["Input size", fmtBytes(t.input_bytes)],
      ["Forward/backward pass size", fmtBytes(t.activation_bytes)],
      ["Params size", fmtBytes(t.param_bytes)],
    ];
    this.el.replaceChildren(
      h("table", { class: "cb-graph-rows" }, h("thead", {}, head), h("tbody", {}, ...body)),
      h("table", { class: "cb-graph-totals" }, h("tbody", {}, ...totals.map(([k, v]) => h("tr", {}, h("th", { scope: "row", text: k }), h("td", { text: v }))))),
    );
    this.el.dataset.graphTableRows = String(rows.length);
    this.el.dataset.graphTableSort = this.sort ? `${this.sort.key}:${this.sort.dir}` : "";
  }
}
