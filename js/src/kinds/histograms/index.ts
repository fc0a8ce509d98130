// Histograms: per (run, tag), every logged step's histogram on a canvas, TensorBoard's "offset"
// (ridgeline) and "overlay" views, and its DISTRIBUTIONS view as a third mode ("distribution":
// percentile bands over steps, distribution.ts).

import { recordCount, recordKind, type RecordKind } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { HistogramsPanel } from "./panel";
import { decodeHistogram, type HistogramRecord } from "./record";

export type { HistogramRecord } from "./record";

export const histograms: RecordKind<HistogramRecord> = recordKind<HistogramRecord>({
  name: "histograms",
  label: "Histograms",
  order: DASHBOARD_ORDER.histograms,
  decode: decodeHistogram,
  createPanel: (ctx, records) => new HistogramsPanel(ctx, records),
  redrawOn: ["x_axis"], // the distribution view's horizontal axis
  hooks: (store) => ({ histogramSteps: String(recordCount(store, histograms)) }),
});
