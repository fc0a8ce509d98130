// PR curves: per tag, every shown run's precision-recall curve at a step picked by the card's
// slider, with TensorBoard's handling of undefined precision (curve.ts) and a per-run tooltip of
// the nearest threshold. Wire: `{..., thresholds: n}`, buffer = Float64Array(6n).

import { recordCount, recordKind, type RecordKind } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { decodePrCurve, type PrCurveRecord } from "./curve";
import { PrCurvesPanel } from "./panel";

export type { PrCurveRecord } from "./curve";

export const pr_curves: RecordKind<PrCurveRecord> = recordKind<PrCurveRecord>({
  name: "pr_curves",
  label: "PR Curves",
  order: DASHBOARD_ORDER.pr_curves,
  decode: decodePrCurve,
  createPanel: (ctx, records) => new PrCurvesPanel(ctx, records),
  hooks: (store) => ({ prCurveSteps: String(recordCount(store, pr_curves)) }),
});
