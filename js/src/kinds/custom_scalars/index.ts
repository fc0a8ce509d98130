// Custom scalars (TensorBoard's CUSTOM SCALARS dashboard): the layout of `add_custom_scalars`
// (categories of multiline and margin charts) drawn from the ordinary scalar series. The tab shows
// once a layout exists. Wire: `{..., layout}` (docs/protocol.md).

import { recordKind, type RecordKind } from "../record-kind";
import { scalars } from "../scalars";
import { DASHBOARD_ORDER } from "../types";
import { matchTags } from "./layout";
import { CustomScalarsPanel } from "./panel";
import { CUSTOM_SCALARS, currentLayout, decodeCustomScalars, type CustomScalarsRecord } from "./record";

export type { Category, ChartSpec, MarginSeries } from "./layout";
export type { CustomScalarsRecord } from "./record";

const hookCache = new WeakMap<object, { key: string; charts: number }>();

export const customScalars: RecordKind<CustomScalarsRecord> = recordKind<CustomScalarsRecord>({
  name: CUSTOM_SCALARS,
  label: "Custom Scalars",
  order: DASHBOARD_ORDER.custom_scalars,
  decode: (e, _buffers, base) => decodeCustomScalars(e, base),
  createPanel: (ctx, records) => new CustomScalarsPanel(ctx, records),
  hooks(store) {
    // charts of the layout that have data to draw (any run)
    const { layout, key } = currentLayout(store.slice(customScalars));
    const data = store.slice(scalars);
    const tags = new Set<string>();
    let nonEmpty = 0;
    for (const s of data.series.values()) {
      if (s.length === 0) continue;
      tags.add(s.tag);
      nonEmpty++;
    }
    const full = `${key}|${nonEmpty}|${data.series.size}`;
    const hit = hookCache.get(store);
    if (hit && hit.key === full) return { customScalarCharts: String(hit.charts) };
    let charts = 0;
    for (const cat of layout) {
      for (const c of cat.charts) {
        const ok = "multiline" in c
          ? matchTags(c.multiline, tags).tags.length > 0
          : c.margin.some((m) => tags.has(m.value));
        if (ok) charts++;
      }
    }
    hookCache.set(store, { key: full, charts });
    return { customScalarCharts: String(charts) };
  },
  redrawOn: ["smoothing", "x_axis", "log_y", "ignore_outliers"],
});
