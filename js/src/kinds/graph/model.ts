// The model behind the Graph tab: the module tree of a GraphDef and what is visible of it.
//
// Node names are scopes joined by "/": torch's `Net/Conv2d[conv1]/input.1` (model, module
// `Type[attribute]`, then the op's own name), TensorFlow's `dense/MatMul`. Every scope is a group;
// a node sits in the group of its name's scope. A group holding a single node and nothing else
// (torch's `Conv2d[conv1]/weight/weight.5`) is folded into that node. Constant plumbing
// (`prim::Constant`, and list/tuple constructions of constants only: torch's stride and padding
// lists) is not drawn: its values show in the tooltip of the op that reads it.
//
// What is visible is decided by the set of expanded groups: a node whose ancestors are all
// expanded is drawn itself; otherwise its outermost collapsed ancestor stands for it (one box).
// Edges between two boxes carry the shape of the tensor that flows (the source node's output).

import type { RawNode, ShapeTree, SummaryRow, SummaryTable } from "./record";

export interface OpNode {
  kind: "op";
  id: string;
  index: number;
  name: string;
  label: string;
  op: string;
  /** Indices of the drawn nodes it reads (constant plumbing resolved away). */
  inputs: number[];
  shape: number[] | null;
  attr: string;
  /** Values of the constants it reads (shown in its tooltip). */
  consts: string[];
  parent: Group;
  /** Constant plumbing: not drawn. */
  hidden: boolean;
}

export interface Group {
  kind: "group";
  id: string;
  /** The scope path ("Net/Conv2d[conv1]"); "" for the root. */
  path: string;
  label: string;
  /** The module's type (torch's `Conv2d[conv1]` -> Conv2d), or null for a plain scope. */
  type: string | null;
  /** torch's qualified module name (`layer1.0.conv1`; "" for the model itself), or null. */
  module: string | null;
  parent: Group | null;
  depth: number;
  groups: Group[];
  ops: OpNode[];
  /** Drawn ops inside, at any depth. */
  size: number;
  /** Parameters of the module and its children (from the summary table), or null when unknown. */
  params: number | null;
  /** Output shape: the shape leaving the group (first one), or null. */
  shape: number[] | null;
}

export interface GraphModel {
  root: Group;
  ops: OpNode[];
  groups: Map<string, Group>;
  /** Ops drawn when everything is expanded. */
  drawn: number;
}

const MODULE = /^(.*)\[([^\]]*)\]$/; // torch's `Type[attribute]` scope segment
const CONST_OPS = new Set(["prim::Constant", "Const"]);
const PACK_OPS = new Set(["prim::ListConstruct", "prim::TupleConstruct"]);

function newGroup(path: string, label: string, parent: Group | null): Group {
  const m = MODULE.exec(label);
  const module = m ? (parent?.module ? `${parent.module}.${m[2]}` : m[2]) : null;
  return {
    kind: "group", id: `g:${path}`, path, label, type: m ? m[1] : null, module, parent,
    depth: parent ? parent.depth + 1 : 0, groups: [], ops: [], size: 0, params: null, shape: null,
  };
}

/** The constant a hidden node stands for, as its tooltip shows it (`[1, 1]`, `0`). */
function constText(nodes: RawNode[], i: number, depth = 0): string {
  const n = nodes[i];
  if (PACK_OPS.has(n.op) && depth < 3) return `[${n.inputs.map((j) => constText(nodes, j, depth + 1)).join(", ")}]`;
  const m = /^value:\s*(.*)$/.exec(n.attr);
  return m ? m[1] : n.attr || "?";
}

/** Which nodes are constant plumbing (a constant, or a list of constants). */
function constantNodes(nodes: RawNode[]): boolean[] {
  const out = nodes.map((n) => CONST_OPS.has(n.op) && n.inputs.length === 0);
  // lists of lists: a few passes settle any nesting torch writes
  for (let pass = 0; pass < 3; pass++) {
    nodes.forEach((n, i) => {
      if (!out[i] && PACK_OPS.has(n.op) && n.inputs.every((j) => out[j])) out[i] = true;
    });
  }
  return out;
}

/** `groupTypes`: the class of scopes that are models but not torch `Type[name]` scopes (Keras' nested models). */
export function buildModel(
  nodes: readonly RawNode[], summary: SummaryTable | null = null, groupTypes: Readonly<Record<string, string>> = {},
): GraphModel {
  const raw = nodes as RawNode[];
  const isConst = constantNodes(raw);
  const root = newGroup("", "", null);
  const groups = new Map<string, Group>([["", root]]);
  const groupOf = (path: string): Group => {
    let g = groups.get(path);
    if (g) return g;
    const cut = path.lastIndexOf("/");
    const parent = groupOf(cut < 0 ? "" : path.slice(0, cut));
    g = newGroup(path, path.slice(cut + 1), parent);
    parent.groups.push(g);
    groups.set(path, g);
    return g;
  };
  const ops: OpNode[] = raw.map((n, index) => {
    const cut = n.name.lastIndexOf("/");
    const parent = groupOf(cut < 0 ? "" : n.name.slice(0, cut));
    const op: OpNode = {
      kind: "op", id: `n:${index}`, index, name: n.name, label: n.name.slice(cut + 1) || n.op, op: n.op,
      inputs: n.inputs.filter((j) => !isConst[j]), shape: n.shapes?.[0] ?? null, attr: n.attr,
      consts: n.inputs.filter((j) => isConst[j]).map((j) => constText(raw, j)), parent, hidden: isConst[index],
    };
    parent.ops.push(op);
    return op;
  });
  for (const [path, type] of Object.entries(groupTypes)) {
    const g = groups.get(path);
    if (g && !g.type) g.type = type;
  }
  foldSingletons(root, groups);
  let drawn = 0;
  const count = (g: Group): number => {
    g.size = g.ops.reduce((a, o) => a + (o.hidden ? 0 : 1), 0) + g.groups.reduce((a, c) => a + count(c), 0);
    return g.size;
  };
  drawn = count(root);
  prune(root, groups);
  groupShapes(ops);
  if (summary) groupParams(groups, summary.rows);
  return { root, ops, groups, drawn };
}

/** A group holding one op and no groups becomes that op (labelled with the group's name). */
function foldSingletons(g: Group, groups: Map<string, Group>) {
  for (const c of g.groups) foldSingletons(c, groups);
  const keep: Group[] = [];
  for (const c of g.groups) {
    if (c.groups.length === 0 && c.ops.length === 1 && !c.type) {
      const op = c.ops[0];
      op.parent = g;
      op.label = c.label;
      g.ops.push(op);
      groups.delete(c.path);
    } else keep.push(c);
  }
  g.groups = keep;
}

/** Groups with nothing drawn inside (constants only) are dropped. */
function prune(g: Group, groups: Map<string, Group>) {
  g.groups = g.groups.filter((c) => {
    if (c.size > 0) {
      prune(c, groups);
      return true;
    }
    groups.delete(c.path);
    return false;
  });
}

const within = (g: Group, op: OpNode) => {
  for (let p: Group | null = op.parent; p; p = p.parent) if (p === g) return true;
  return false;
};

/** A group's output shape: the first shape read from inside it by an op outside it. */
function groupShapes(ops: OpNode[]) {
  for (const dst of ops) {
    if (dst.hidden) continue;
    for (const j of dst.inputs) {
      const src = ops[j];
      if (!src.shape) continue;
      for (let g: Group | null = src.parent; g && g.path !== ""; g = g.parent) {
        if (within(g, dst)) break;
        if (!g.shape) g.shape = src.shape;
      }
    }
  }
}

/** torch modules get their parameters (own and children's) from the summary table's rows. */
function groupParams(groups: Map<string, Group>, rows: readonly SummaryRow[]) {
  const own = new Map<string, number>();
  for (const r of rows) if (!r.shared) own.set(r.name, (own.get(r.name) ?? 0) + r.params);
  const modules = [...groups.values()].filter((g) => g.module !== null || (g.depth === 1 && !g.type));
  for (const g of modules) {
    const name = g.module ?? (g.depth === 1 && g.groups.some((c) => c.type) ? "" : null);
    if (name === null) continue;
    let total = 0, found = false;
    for (const [n, p] of own) {
      if (name === "" || n === name || n.startsWith(`${name}.`)) {
        total += p;
        found = true;
      }
    }
    if (found) g.params = total;
  }
}

// ---------------------------------------------------------------------------- expansion

/** What opens first: the model's own scope when one group holds most of the graph (torch's `Net/...`). */
export function initialExpanded(m: GraphModel): Set<string> {
  const out = new Set<string>();
  const big = m.root.groups.filter((g) => g.size > m.drawn / 2);
  if (big.length === 1 && big[0].groups.length > 0) out.add(big[0].path);
  return out;
}

/** Every group: the graph down to its ops. */
export const allExpanded = (m: GraphModel) => new Set([...m.groups.keys()].filter((p) => p !== ""));

/** Paths of the groups around an op or group (outermost first), excluding the root. */
export function ancestors(item: OpNode | Group): string[] {
  const out: string[] = [];
  for (let g = item.parent; g && g.path !== ""; g = g.parent) out.push(g.path);
  return out.reverse();
}

/** Ops and groups whose name contains `query` (case-insensitive); empty for an empty query. */
export function search(m: GraphModel, query: string): (OpNode | Group)[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const out: (OpNode | Group)[] = [];
  // a group whose own path matches (not only its parent's): its contents match through it
  for (const g of m.groups.values()) {
    const parentPath = g.path.slice(0, g.path.length - g.label.length);
    if (g.path !== "" && g.path.toLowerCase().includes(q) && !parentPath.toLowerCase().includes(q)) out.push(g);
  }
  for (const o of m.ops) {
    if (!o.hidden && o.name.toLowerCase().includes(q) && !out.some((g) => g.kind === "group" && within(g, o))) out.push(o);
  }
  return out;
}

/** `expanded` plus what must open for every match to be drawn itself. */
export function expandTo(expanded: ReadonlySet<string>, matches: readonly (OpNode | Group)[]): Set<string> {
  const out = new Set(expanded);
  for (const item of matches) for (const p of ancestors(item)) out.add(p);
  return out;
}

// ---------------------------------------------------------------------------- what is drawn

export interface VisNode {
  id: string;
  item: OpNode | Group;
  /** The expanded group (cluster) it is drawn in, or null at the top. */
  parent: string | null;
}

export interface VisCluster {
  id: string;
  group: Group;
  parent: string | null;
}

export interface VisEdge {
  from: string;
  to: string;
  shape: number[] | null;
  /** Tensors between the two boxes. */
  count: number;
}

export interface VisibleGraph {
  nodes: VisNode[];
  clusters: VisCluster[];
  edges: VisEdge[];
}

/** The boxes, the expanded groups around them and the edges between them, for these expanded groups. */
export function visible(m: GraphModel, expanded: ReadonlySet<string>): VisibleGraph {
  const rep = new Array<OpNode | Group>(m.ops.length);
  const nodes = new Map<string, VisNode>();
  const clusters = new Map<string, VisCluster>();
  const clusterOf = (g: Group): string | null => {
    if (g.path === "") return null;
    const id = g.id;
    if (!clusters.has(id)) clusters.set(id, { id, group: g, parent: g.parent ? clusterOf(g.parent) : null });
    return id;
  };
  for (const o of m.ops) {
    if (o.hidden) continue;
    let r: OpNode | Group = o;
    const chain = ancestors(o);
    for (const p of chain) {
      if (!expanded.has(p)) {
        r = m.groups.get(p) as Group;
        break;
      }
    }
    rep[o.index] = r;
    if (!nodes.has(r.id)) nodes.set(r.id, { id: r.id, item: r, parent: r.parent ? clusterOf(r.parent) : null });
  }
  const edges = new Map<string, VisEdge>();
  for (const o of m.ops) {
    if (o.hidden) continue;
    const to = rep[o.index].id;
    for (const j of o.inputs) {
      const src = rep[j];
      if (!src || src.id === to) continue;
      const key = `${src.id}\u0000${to}`;
      const e = edges.get(key);
      if (e) e.count++;
      else edges.set(key, { from: src.id, to, shape: m.ops[j].shape, count: 1 });
    }
  }
  return { nodes: [...nodes.values()], clusters: [...clusters.values()], edges: [...edges.values()] };
}

// ---------------------------------------------------------------------------- text

export const fmtShape = (s: readonly number[] | null) => (s ? `[${s.map((d) => (d < 0 ? "?" : d)).join(", ")}]` : "");

/** A summary table's shape (tuples, lists, dicts of shapes) as text. */
export function fmtShapeTree(s: ShapeTree): string {
  if (s === null || s === undefined) return "--";
  if (Array.isArray(s)) return fmtShape(s);
  if ("tuple" in s) return `(${s.tuple.map(fmtShapeTree).join(", ")})`;
  if ("list" in s) return `[${s.list.map(fmtShapeTree).join(", ")}]`;
  if ("dict" in s) return `{${Object.entries(s.dict).map(([k, v]) => `${k}: ${fmtShapeTree(v)}`).join(", ")}}`;
  return "--";
}

/** 44,426 -> "44.4K"; used on boxes (the table shows exact figures). */
export function fmtCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 1 : 2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 1 : 2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(a >= 1e4 ? 1 : 2)}K`;
  return String(n);
}

/** The op's name without torch's `aten::`/`prim::` namespace. */
export const shortOp = (op: string) => op.replace(/^(aten|prim|onnx)::/, "");
