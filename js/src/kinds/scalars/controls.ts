// The sidebar controls of the chart settings the Scalars and Custom Scalars tabs share (both
// follow the same synced settings): smoothing as a slider and a number, the x axis, log-scale y
// and "ignore outliers"; and the tooltip's order, an option of the panel's charts in this view.

import type { Settings, XAxis } from "../../settings";
import { h } from "../../ui/dom";
import type { PanelContext } from "../types";
import type { ChartOptions, TooltipSort } from "./chart";

export interface ChartControlsText {
  /** The section's heading. */
  title: string;
  /** Prefixes the inputs' accessible names ("Custom scalars smoothing"), "" for none. */
  prefix: string;
  /** Tooltips of the smoothing and the outliers fields. */
  smoothingTip: string;
  outliersTip: string;
  /** The muted line under the fields. */
  hint: string;
  /** An extra class for the section. */
  className?: string;
}

const MAX_SMOOTHING = 0.999;

/** The board's x axis setting as a select (step, relative or wall time): the chart sidebars' and
 * the Histograms tab's. */
export function xAxisSelect(ctx: PanelContext, ariaLabel: string): HTMLSelectElement {
  const select = h("select", { class: "cb-input cb-grow", "aria-label": ariaLabel },
    h("option", { value: "step", text: "Step" }),
    h("option", { value: "relative", text: "Relative" }),
    h("option", { value: "wall", text: "Wall time" }));
  select.addEventListener("change", () => ctx.setSetting("x_axis", select.value as XAxis));
  return select;
}

export class ChartControls {
  readonly el: HTMLElement;
  private readonly smoothRange: HTMLInputElement;
  private readonly smoothNum: HTMLInputElement;
  private readonly xSelect: HTMLSelectElement;
  private readonly logBox: HTMLInputElement;
  private readonly outlierBox: HTMLInputElement;
  private readonly sortSelect: HTMLSelectElement;

  /** `opts`: the options of the panel's charts; sync() sets their ignoreOutliers. */
  constructor(ctx: PanelContext, text: ChartControlsText, private readonly opts: ChartOptions) {
    const name = (label: string) => (text.prefix ? `${text.prefix} ${label.toLowerCase()}` : label);
    this.smoothRange = h("input", { type: "range", min: 0, max: MAX_SMOOTHING, step: 0.001, "aria-label": name("Smoothing") });
    this.smoothNum = h("input", {
      type: "number", min: 0, max: MAX_SMOOTHING, step: 0.01, class: "cb-input cb-num", "aria-label": name("Smoothing value"),
    });
    // while dragging: the number follows and the charts redraw, the setting is saved on release
    this.smoothRange.addEventListener("input", () => {
      this.smoothNum.value = Number(this.smoothRange.value).toFixed(3);
      ctx.setSetting("smoothing", Number(this.smoothRange.value), false);
    });
    this.smoothRange.addEventListener("change", () => ctx.setSetting("smoothing", Number(this.smoothRange.value)));
    this.smoothNum.addEventListener("change", () => {
      ctx.setSetting("smoothing", Math.min(Math.max(Number(this.smoothNum.value) || 0, 0), MAX_SMOOTHING));
    });
    this.xSelect = xAxisSelect(ctx, name("Horizontal axis"));
    // (benchmarks/bench_browser.py and bench_jupyter.py tell log-y clicks from run toggles by this label)
    this.logBox = h("input", { type: "checkbox", "aria-label": name("Log-scale y axis") });
    this.logBox.addEventListener("change", () => ctx.setSetting("log_y", this.logBox.checked));
    this.outlierBox = h("input", { type: "checkbox" });
    this.outlierBox.addEventListener("change", () => ctx.setSetting("ignore_outliers", this.outlierBox.checked));
    this.sortSelect = h("select", { class: "cb-input cb-grow", "aria-label": name("Tooltip order") },
      h("option", { value: "nearest", text: "Nearest first" }),
      h("option", { value: "descending", text: "Highest first" }),
      h("option", { value: "ascending", text: "Lowest first" }),
      h("option", { value: "name", text: "By run name" }));
    this.sortSelect.addEventListener("change", () => {
      this.opts.tooltipSort = this.sortSelect.value as TooltipSort;
    });
    this.el = h("div", { class: text.className ? `cb-side-section ${text.className}` : "cb-side-section" },
      h("div", { class: "cb-side-title", text: text.title }),
      h("label", { class: "cb-field", title: text.smoothingTip }, h("span", { class: "cb-label", text: "Smoothing" })),
      h("div", { class: "cb-field" }, this.smoothRange, this.smoothNum),
      h("label", { class: "cb-field" }, h("span", { class: "cb-label", text: "X axis" }), this.xSelect),
      h("label", { class: "cb-field" }, this.logBox, h("span", { text: "Log-scale y axis" })),
      h("label", { class: "cb-field", title: text.outliersTip }, this.outlierBox, h("span", { text: "Ignore outliers in y range" })),
      h("label", { class: "cb-field", title: "The order of the runs in a chart's tooltip: nearest the cursor first, by value (the smoothed one when smoothing), or by name" },
        h("span", { class: "cb-label", text: "Tooltip" }), this.sortSelect),
      h("div", { class: "cb-muted", text: text.hint }));
    this.sync(ctx.settings);
  }

  /** Shows the settings (leaving the smoothing input being edited as the user has it), and
   * gives the charts' options the synced ignore_outliers. */
  sync(s: Readonly<Settings>) {
    if (document.activeElement !== this.smoothRange) this.smoothRange.value = String(s.smoothing);
    if (document.activeElement !== this.smoothNum) this.smoothNum.value = s.smoothing.toFixed(3);
    this.xSelect.value = s.x_axis;
    this.logBox.checked = s.log_y;
    this.outlierBox.checked = this.opts.ignoreOutliers = s.ignore_outliers;
    this.sortSelect.value = this.opts.tooltipSort ?? "nearest";
  }
}
