// A session's metrics over steps, shown under its row of the sessions table when the row is
// expanded (TensorBoard's "Show Metrics"): one scalar chart per metric column, drawing the series
// the metric's value is the last point of (`metricSeriesKeys`: the session run's tag, or a
// sub-run's), with the Scalars tab's chart, so smoothing, the x axis and log y follow its settings.

import { h } from "../../ui/dom";
import { ScalarChart, type ChartOptions } from "../scalars/chart";
import type { ScalarSeries, ScalarSlice } from "../scalars/series";
import type { PanelContext } from "../types";
import { metricSeriesKeys } from "./model";

/** The series a session's metric is read from (the first of `metricSeriesKeys` with points). */
export function metricSeries(slice: ScalarSlice, run: string, name: string): ScalarSeries | null {
  for (const [r, tag] of metricSeriesKeys(run, name)) {
    const s = slice.get(r, tag);
    if (s && s.length > 0) return s;
  }
  return null;
}

export class SessionMetrics {
  readonly el = h("div", { class: "cb-hp-metrics" });
  private readonly charts = new Map<string, { chart: ScalarChart; series: ScalarSeries }>();
  /** Charts the resize observer has measured: drawn from then on (not at zero size). */
  private readonly sized = new Set<ScalarChart>();
  private readonly empty = h("div", { class: "cb-muted", text: "No metric of this session has scalar points yet." });
  private readonly opts: ChartOptions = { ignoreOutliers: true };
  private readonly ro: ResizeObserver | null;

  constructor(readonly run: string, private readonly ctx: PanelContext, private readonly slice: ScalarSlice) {
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      for (const e of entries) {
        for (const { chart } of this.charts.values()) {
          if (chart.plotEl !== e.target) continue;
          chart.resize(e.contentRect.width, e.contentRect.height);
          if (e.contentRect.width > 0) this.sized.add(chart);
        }
      }
      this.ctx.requestFlush();
    });
  }

  /** Charts for the metric columns `names` (in order), of the current series; drawn by flush. */
  update(names: readonly string[]) {
    this.opts.ignoreOutliers = this.ctx.settings.ignore_outliers;
    const shown: HTMLElement[] = [];
    for (const name of names) {
      const series = metricSeries(this.slice, this.run, name);
      let c = this.charts.get(name);
      if (!series) {
        if (c) this.drop(name);
        continue;
      }
      if (!c) {
        c = { chart: new ScalarChart(name, this.ctx, this.slice, this.opts), series };
        this.charts.set(name, c);
        this.ro?.observe(c.chart.plotEl);
      }
      c.chart.setSeries([series]);
      c.series = series;
      c.chart.dirty = true;
      shown.push(c.chart.el);
    }
    for (const name of [...this.charts.keys()]) if (!names.includes(name)) this.drop(name);
    this.el.replaceChildren(...(shown.length ? shown : [this.empty]));
  }

  /** Draw the charts that changed (new points, settings, a zoom); a chart skips an unchanged draw. */
  flush() {
    for (const { chart, series } of this.charts.values()) {
      if (!chart.dirty || !this.sized.has(chart)) continue;
      chart.draw(new Map([[series.run, series.walls[0]]])); // relative time from the series' start
    }
  }

  private drop(name: string) {
    const c = this.charts.get(name)!;
    this.ro?.unobserve(c.chart.plotEl);
    this.sized.delete(c.chart);
    c.chart.destroy();
    this.charts.delete(name);
  }

  destroy() {
    this.ro?.disconnect();
    for (const { chart } of this.charts.values()) chart.destroy();
    this.charts.clear();
    this.sized.clear();
    this.el.remove();
  }
}
