// The graph kind's records (docs/protocol.md, `graph`): a model graph (tag `__graph__`: its nodes,
// compact; a GraphDef's ops, or a Keras model's layers: `source` "keras") or the per-module summary
// table cellboard's add_graph logs with it (tag `_cellboard_/model_summary`, same wall time). Both
// arrive as UTF-8 JSON buffers.

import { isObj, str, toBytes, type Buffers, type Obj } from "../../wire";
import type { RecordEntry } from "../types";

export const GRAPH_TAG = "__graph__";
export const SUMMARY_TAG = "_cellboard_/model_summary";

/** One GraphDef node: output shapes are null when the graph has none (TensorFlow without `_output_shapes`). */
export interface RawNode {
  name: string;
  op: string;
  /** Indices of the nodes it reads (inputs naming no node are left out by the kernel). */
  inputs: number[];
  shapes: number[][] | null;
  attr: string;
}

/** A shape as cellboard.summary keeps it: dims, or a tuple/list/dict of shapes, or null. */
export type ShapeTree = number[] | { tuple: ShapeTree[] } | { list: ShapeTree[] } | { dict: Record<string, ShapeTree> } | null;

export interface SummaryRow {
  name: string;
  type: string;
  depth: number;
  input_shapes: ShapeTree;
  output_shapes: ShapeTree;
  kernel_shape: number[] | null;
  params: number;
  trainable: number;
  frozen: number;
  mult_adds: number;
  leaf: boolean;
  shared: boolean;
}

export interface SummaryTable {
  model: string;
  rows: SummaryRow[];
  total_params: number;
  trainable_params: number;
  mult_adds: number;
  param_bytes: number;
  activation_bytes: number;
  input_bytes: number;
}

/** Where a graph's nodes come from: a GraphDef (ops) or a Keras model's config (layers: TensorBoard's conceptual graph). */
export type GraphSource = "graph_def" | "keras";

export interface GraphDefRecord extends RecordEntry {
  what: "graph";
  source: GraphSource;
  nodes: RawNode[];
  /** The class of each node scope that is a model (a Keras model's nested models), when known. */
  groups: Record<string, string>;
}

export interface SummaryRecord extends RecordEntry {
  what: "summary";
  table: SummaryTable;
}

export type GraphRecord = GraphDefRecord | SummaryRecord;

function jsonBuffer(e: Obj, buffers: Buffers): unknown {
  const buf = buffers.of(e);
  if (!buf) throw new TypeError("graph entry without its buffer");
  return JSON.parse(new TextDecoder().decode(toBytes(buf)));
}

const isInts = (x: unknown): x is number[] => Array.isArray(x) && x.every((d) => typeof d === "number");

function rawNode(x: unknown, n: number): RawNode {
  if (!Array.isArray(x) || x.length < 5) throw new TypeError("graph node is not [name, op, inputs, shapes, attr]");
  const [name, op, inputs, shapes, attr] = x;
  if (typeof name !== "string" || typeof op !== "string" || typeof attr !== "string") throw new TypeError(`bad graph node ${String(name)}`);
  if (!isInts(inputs) || inputs.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) throw new TypeError(`bad inputs of graph node ${name}`);
  if (shapes !== null && !(Array.isArray(shapes) && shapes.every(isInts))) throw new TypeError(`bad shapes of graph node ${name}`);
  return { name, op, inputs, shapes, attr };
}

function summaryTable(x: unknown): SummaryTable {
  const t = x as SummaryTable;
  if (typeof t !== "object" || t === null || !Array.isArray(t.rows) || typeof t.total_params !== "number") {
    throw new TypeError("graph summary is not a summary table");
  }
  for (const r of t.rows) {
    if (typeof r?.name !== "string" || typeof r.type !== "string" || typeof r.params !== "number") {
      throw new TypeError("graph summary row without name, type or params");
    }
  }
  return t;
}

/** A wire entry of the graph kind -> its record (throws when malformed: the entry is skipped). */
export function decodeGraph(e: Obj, buffers: Buffers, base: RecordEntry): GraphRecord {
  const body = jsonBuffer(e, buffers);
  if (e.what === "summary") return { ...base, what: "summary", table: summaryTable(body) };
  const nodes = (body as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) throw new TypeError("graph entry without nodes");
  const source: GraphSource = str(e.source) === "keras" ? "keras" : "graph_def";
  const groups: Record<string, string> = {};
  const g = (body as { groups?: unknown }).groups;
  if (isObj(g)) for (const [path, type] of Object.entries(g)) if (typeof type === "string") groups[path] = type;
  return { ...base, what: "graph", source, nodes: nodes.map((x) => rawNode(x, nodes.length)), groups };
}
