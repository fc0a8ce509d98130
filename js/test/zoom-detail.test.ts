// @vitest-environment jsdom
// Zoom detail at pixel resolution: a zoom asks for as many points as the plot can show, asks again
// when a decimated detail is too coarse for a deeper zoom, and a reset drops what it brought.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { scalars } from "../src/kinds";
import { detailPoints, MAX_DETAIL_POINTS, ScalarChart } from "../src/kinds/scalars/chart";
import { needsDetail, type RangeDetail, type ScalarSeries } from "../src/kinds/scalars/series";
import type { PanelContext } from "../src/kinds/types";
import { DEFAULTS } from "../src/settings";
import { BoardStore } from "../src/store";
import { delta, f64View, scalarMsg } from "./helpers";

// uPlot reads the device pixel ratio through matchMedia when it loads; jsdom has none
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({
    matches: false, media: query, onchange: null, addEventListener: () => undefined, removeEventListener: () => undefined,
    addListener: () => undefined, removeListener: () => undefined, dispatchEvent: () => false,
  })) as typeof window.matchMedia;
});

const detail = (x0: number, x1: number, points: number, decimated: boolean): RangeDetail => ({
  x0, x1, points, decimated, steps: new Float64Array(0), walls: new Float64Array(0), values: new Float64Array(0),
});

describe("needsDetail", () => {
  it("asks when nothing is held or the detail does not cover the zoom", () => {
    expect(needsDetail(null, 10, 20, 4000)).toBe(true);
    expect(needsDetail(detail(12, 30, 4000, false), 10, 20, 4000)).toBe(true);
    expect(needsDetail(detail(0, 19, 4000, true), 10, 20, 4000)).toBe(true);
  });

  it("reuses a complete detail covering the zoom, however deep", () => {
    expect(needsDetail(detail(0, 1000, 4000, false), 10, 20, 4000)).toBe(false);
    expect(needsDetail(detail(0, 1000, 4000, false), 0, 1000, 4000)).toBe(false);
  });

  it("reuses a decimated detail only while it is as fine as the zoom needs", () => {
    expect(needsDetail(detail(0, 1000, 4000, true), 0, 1000, 4000)).toBe(false); // the same zoom
    expect(needsDetail(detail(0, 1000, 4000, true), 0, 999, 4000)).toBe(true); // deeper
    expect(needsDetail(detail(0, 1000, 4000, true), 400, 600, 4000)).toBe(true);
    // a detail asked for more points than this (narrower) plot shows still serves
    expect(needsDetail(detail(0, 1000, 8000, true), 250, 750, 4000)).toBe(false);
    expect(needsDetail(detail(0, 1000, 8000, true), 300, 700, 4000)).toBe(true);
  });
});

describe("detailPoints", () => {
  it("is about 4 per pixel column, at least 1000, at most the kernel's cap", () => {
    expect(detailPoints(940)).toBe(3760);
    expect(detailPoints(50)).toBe(1000);
    expect(detailPoints(1e6)).toBe(MAX_DETAIL_POINTS);
  });
});

function board() {
  const sent: Record<string, unknown>[] = [];
  const store = new BoardStore({ send: (m) => sent.push(m), now: () => 0 });
  const slice = store.slice(scalars);
  const ctx = {
    store, settings: { ...DEFAULTS, x_axis: "step" }, theme: () => { throw new Error("not drawn here"); },
    runShown: () => true, runColor: () => "#123456", tagShown: () => true, requestFlush: () => undefined, drawBudgetMs: () => 30, send: () => undefined, windowEvents: () => false,
    setSetting: () => undefined,
  } as unknown as PanelContext;
  // two decimated runs of tag "t": 10001 points logged over steps 0..10000, 3 held
  for (const run of ["a", "b"]) {
    const m = scalarMsg(run, "t", 0, [0, 5000, 10000], [1, 2, 3], { decimated: true, total: 10001 });
    store.handleMessage(delta([m], ["a", "b"]).content, delta([m], ["a", "b"]).buffers);
  }
  const series = ["a", "b"].map((r) => slice.get(r, "t")!) as ScalarSeries[];
  const chart = new ScalarChart("t", ctx, slice, { ignoreOutliers: false });
  chart.setSeries(series);
  chart.resize(1000, 300); // a plot area of 940 CSS px: 3760 points a series
  const ranges = () => sent.filter((m) => m.type === "range");
  /** Answer every range request sent so far (and not yet answered) with `count` points. */
  let answered = 0;
  const answer = (count: number, decimated: boolean) => {
    for (const r of ranges().slice(answered)) {
      const x0 = r.x0 as number, x1 = r.x1 as number;
      const steps = Array.from({ length: count }, (_, i) => x0 + ((x1 - x0) * i) / Math.max(1, count - 1));
      store.handleMessage(
        { type: "range", id: r.id, run: r.run, tag: r.tag, count, decimated, buffer: 0 },
        [f64View([...steps, ...steps.map((s) => 1.7e9 + s), ...steps.map((s) => s / 1000)])],
      );
    }
    answered = ranges().length;
  };
  const zoom = (x0: number, x1: number) => {
    chart.zoom(x0, x1);
    vi.advanceTimersByTime(300);
  };
  return { store, slice, series, chart, ranges, answer, zoom };
}

describe("a chart's zoom details", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("a zoom asks each decimated series for the points its plot can show", () => {
    const { ranges, zoom } = board();
    zoom(1000.4, 8999.6);
    expect(ranges()).toEqual([
      { type: "range", id: expect.any(Number), run: "a", tag: "t", x0: 1000, x1: 9000, points: 3760 },
      { type: "range", id: expect.any(Number), run: "b", tag: "t", x0: 1000, x1: 9000, points: 3760 },
    ]);
  });

  it("a deeper zoom inside a decimated detail asks again; inside a complete one it does not", () => {
    const { series, ranges, answer, zoom } = board();
    zoom(1000, 9000);
    answer(3000, true);
    expect(series.map((s) => s.detail?.decimated)).toEqual([true, true]);
    expect(series[0].detail!.points).toBe(3760);
    zoom(1000, 9000); // the same zoom again: the detail serves
    expect(ranges()).toHaveLength(2);
    zoom(4000, 5000); // deeper: finer buckets wanted
    expect(ranges()).toHaveLength(4);
    expect(ranges()[3]).toMatchObject({ run: "b", x0: 4000, x1: 5000, points: 3760 });
    answer(1001, false); // every point of [4000, 5000]
    expect(series[0].detail).toMatchObject({ x0: 4000, x1: 5000, decimated: false });
    zoom(4200, 4300); // deeper still, inside the complete detail: nothing to ask
    expect(ranges()).toHaveLength(4);
    zoom(3000, 4300); // out of it: asks
    expect(ranges()).toHaveLength(6);
  });

  it("resetting the zoom drops the chart's details and ignores replies still in flight", () => {
    const { slice, series, chart, ranges, answer, zoom } = board();
    zoom(1000, 9000);
    answer(3000, true);
    const versions = series.map((s) => s.version);
    expect(series.every((s) => s.detail !== null)).toBe(true);
    chart.resetZoom();
    expect(series.map((s) => s.detail)).toEqual([null, null]);
    expect(series.map((s, i) => s.version > versions[i])).toEqual([true, true]);
    // a zoom whose replies arrive after the reset brings nothing back
    zoom(2000, 3000);
    expect(ranges()).toHaveLength(4);
    chart.resetZoom();
    answer(500, false);
    expect(series.map((s) => s.detail)).toEqual([null, null]);
    expect(slice.totals().points).toBe(6); // only the held points
  });

  it("a reset before the request is sent sends nothing", () => {
    const { chart, ranges } = board();
    chart.zoom(1000, 9000);
    chart.resetZoom();
    vi.advanceTimersByTime(1000);
    expect(ranges()).toHaveLength(0);
  });

  it("drops the detail of the held series behind a relabelled view (custom scalars)", () => {
    const { slice, series, answer, zoom } = board();
    zoom(1000, 9000);
    answer(3000, true);
    const view = Object.create(series[0], { run: { value: "label", enumerable: true } }) as ScalarSeries;
    slice.dropDetails([view]);
    expect(series[0].detail).toBe(null);
    expect(Object.getOwnPropertyNames(view)).toEqual(["run"]); // nothing written on the view
    expect(series[1].detail).not.toBe(null);
  });
});
