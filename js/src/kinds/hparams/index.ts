// HParams: TensorBoard's HPARAMS dashboard for a notebook cell. One session per run with a
// session record; its metrics are the last values of the run's scalar series of the metric tags
// (read live from the scalars slice). A table (sort, filters), parallel coordinates (brush,
// colour by a metric) and a scatter of a metric against a hyperparameter.

import { recordKind, type RecordKind } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { HParamsPanel } from "./panel";
import { decodeHParams, sessionCount, type HParamsRecord } from "./record";

export type { HParamsRecord } from "./record";

export const hparams: RecordKind<HParamsRecord> = recordKind<HParamsRecord>({
  name: "hparams",
  label: "HParams",
  order: DASHBOARD_ORDER.hparams,
  decode: decodeHParams,
  createPanel: (ctx, records) => new HParamsPanel(ctx, records),
  hooks: (store) => ({ hparamsSessions: String(sessionCount(store.slice(hparams))) }),
});
