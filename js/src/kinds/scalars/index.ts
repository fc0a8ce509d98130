// Scalars: one chart per tag, one line per run (docs/protocol.md: the one columnar kind).

import { fmtInt } from "../../ui/format";
import { DASHBOARD_ORDER, type KindModule } from "../types";
import { decodeScalarChunk, type ScalarChunk } from "./decode";
import { ScalarsPanel } from "./panel";
import { SCALARS, ScalarSlice } from "./series";

export type { ScalarChunk, RangeReply } from "./decode";
export { ScalarSeries, ScalarSlice } from "./series";

export const scalars: KindModule<ScalarChunk, ScalarSlice> = {
  name: SCALARS,
  label: "Scalars",
  order: DASHBOARD_ORDER.scalars,
  decode: decodeScalarChunk,
  createSlice: (host) => new ScalarSlice(host),
  createPanel: (ctx) => new ScalarsPanel(ctx, ctx.store.slice(scalars)),
  hooks(store) {
    const t = store.slice(scalars).totals();
    return { scalarTags: String(t.tags), scalarPoints: String(t.points) };
  },
  summary(store) {
    const { points } = store.slice(scalars).totals();
    return points ? `${fmtInt(points)} points` : null;
  },
  redrawOn: ["smoothing", "x_axis", "log_y", "ignore_outliers", "pinned"],
  replies: ["range"],
};
