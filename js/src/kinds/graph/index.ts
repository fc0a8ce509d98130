// Graph: TensorBoard's GRAPHS dashboard for a notebook cell. The model graphs of add_graph /
// add_onnx_graph (also torch's, tensorboardX's and TensorFlow's GraphDefs) as a module tree
// collapsed to the top-level modules, and the summary table cellboard's add_graph logs with it.

import { recordKind, type RecordKind, type RecordSlice } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { GraphPanel } from "./panel";
import { decodeGraph, GRAPH_TAG, type GraphRecord } from "./record";

export type { GraphRecord } from "./record";

/** Graphs held (summary tables not counted). */
export function graphCount(records: RecordSlice<GraphRecord>): number {
  let n = 0;
  for (const l of records.lists.values()) if (l.tag === GRAPH_TAG) n += l.count;
  return n;
}

export const graph: RecordKind<GraphRecord> = recordKind<GraphRecord>({
  name: "graph",
  label: "Graph",
  order: DASHBOARD_ORDER.graphs,
  decode: decodeGraph,
  hasData: (store) => graphCount(store.slice(graph)) > 0,
  createPanel: (ctx, records) => new GraphPanel(ctx, records),
  hooks: (store) => ({ graphCount: String(graphCount(store.slice(graph))) }),
});
