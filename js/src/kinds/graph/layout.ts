// Layout of what is visible (model.ts's VisibleGraph) with dagre: layered, top to bottom.
//
// An expanded group is laid out on its own, bottom-up, then placed in its parent's layout as one
// box of its size (as TensorBoard's graph view does): each dagre run sees one level's boxes only,
// so a fully expanded ResNet (hundreds of nested modules) is many small layouts instead of one
// compound graph (dagre's compound layout took over a minute on ResNet-50's 151 modules). An edge
// between two boxes of different groups is laid out, at the level of their innermost common
// group, between the two members of that level that hold them; it is drawn as a curve from one
// box to the other. Only what is on screen is laid out: a collapsed module is one box.
// dagre, not elkjs: 49 KB minified against 1.49 MB (docs/decisions.md).

import dagre from "@dagrejs/dagre";
import { fmtCount, fmtShape, shortOp, type Group, type OpNode, type VisibleGraph } from "./model";

export interface Box {
  x: number; // top-left corner
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, Box>;
  clusters: Map<string, Box>;
  /** Polyline of each edge, in VisibleGraph.edges order (straight segments; draw smoothed). */
  edges: Point[][];
  /** Milliseconds the layout took. */
  ms: number;
}

export const NODE_H = 46;
export const TITLE_H = 22; // a cluster's title band
const PAD = 10; // inside a cluster, around its boxes
const CHAR_W = 6.6; // average width of a 11.5px character: boxes fit their text without measuring it
const SMALL_LEVEL = 16;
const GRAPH = { rankdir: "TB", nodesep: 18, ranksep: 30, edgesep: 8, marginx: 0, marginy: 0, ranker: "longest-path" };

/** The three lines a box shows: name, type (module type or op), and parameters and output shape. */
export function boxLines(item: OpNode | Group): [string, string, string] {
  if (item.kind === "op") return [item.label, shortOp(item.op), fmtShape(item.shape)];
  const type = item.type ?? `${item.size} ops`;
  const facts = [item.params !== null ? `${fmtCount(item.params)} params` : "", fmtShape(item.shape)].filter(Boolean);
  return [labelOf(item), type, facts.join(" · ")];
}

/** torch's `Conv2d[conv1]` shows as `conv1` (its type is on the next line). */
export const labelOf = (g: Group) => (g.type ? /\[([^\]]*)\]$/.exec(g.label)?.[1] ?? g.label : g.label);

export function boxWidth(item: OpNode | Group): number {
  const longest = Math.max(...boxLines(item).map((s) => s.length));
  // in steps of 12 px: boxes of similar text get equal widths, so repeated blocks share a layout
  return Math.max(72, Math.min(264, Math.ceil((longest * CHAR_W + 22) / 12) * 12));
}

interface Level {
  /** Members: boxes and the clusters directly inside. */
  members: string[];
  edges: Map<string, { from: string; to: string; weight: number; index: number[] }>;
  w: number;
  h: number;
  /** Member centres, relative to the level's top-left. */
  pos: Map<string, Point>;
}

export function layout(vis: VisibleGraph): Layout {
  const t0 = performance.now();
  const ROOT = "";
  const parentOf = new Map<string, string>();
  const size = new Map<string, { w: number; h: number }>();
  for (const n of vis.nodes) {
    parentOf.set(n.id, n.parent ?? ROOT);
    size.set(n.id, { w: boxWidth(n.item), h: NODE_H });
  }
  for (const c of vis.clusters) parentOf.set(c.id, c.parent ?? ROOT);
  const levels = new Map<string, Level>();
  const level = (id: string): Level => {
    let l = levels.get(id);
    if (!l) levels.set(id, (l = { members: [], edges: new Map(), w: 0, h: 0, pos: new Map() }));
    return l;
  };
  level(ROOT);
  for (const c of vis.clusters) level(c.id);
  for (const [id, p] of parentOf) level(p).members.push(id);

  // each edge belongs to the level of its endpoints' innermost common cluster
  const chain = (id: string): string[] => {
    const out = [id];
    for (let p = parentOf.get(id); p !== undefined && p !== ROOT; p = parentOf.get(p)) out.push(p);
    return out.reverse(); // outermost first
  };
  const chains = new Map<string, string[]>();
  const chainOf = (id: string) => {
    let c = chains.get(id);
    if (!c) chains.set(id, (c = chain(id)));
    return c;
  };
  vis.edges.forEach((e, i) => {
    const a = chainOf(e.from), b = chainOf(e.to);
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    if (k >= a.length || k >= b.length) return; // one holds the other: not drawn
    const l = level(k === 0 ? ROOT : a[k - 1]);
    const key = `${a[k]}\u0000${b[k]}`;
    const le = l.edges.get(key);
    if (le) {
      le.weight += e.count;
      le.index.push(i);
    } else l.edges.set(key, { from: a[k], to: b[k], weight: e.count, index: [i] });
  });

  // dagre's route of an edge, relative to its level, by VisibleGraph edge index
  const paths = new Map<number, { level: string; pts: Point[]; direct: boolean }>();
  // innermost clusters first: a cluster's size is known before its parent is laid out
  const depth = (id: string) => (id === ROOT ? 0 : chainOf(id).length);
  const order = [...levels.keys()].sort((x, y) => depth(y) - depth(x));
  for (const id of order) {
    const l = levels.get(id) as Level;
    const solved = solveLevel(l, size);
    l.w = solved.w;
    l.h = solved.h;
    l.members.forEach((m, i) => {
      l.pos.set(m, solved.pos[i]);
    });
    let k = 0;
    for (const e of l.edges.values()) {
      const pts = solved.edges[k++];
      if (!pts) continue;
      // an edge between the two members themselves follows dagre's route; one between boxes inside
      // them follows it from member to member, joined to the boxes at both ends
      for (const i of e.index) {
        const direct = vis.edges[i].from === e.from && vis.edges[i].to === e.to;
        paths.set(i, { level: id, pts, direct });
      }
    }
    if (id !== ROOT) size.set(id, { w: l.w + 2 * PAD, h: l.h + TITLE_H + PAD });
  }

  // top-down: absolute boxes
  const nodes = new Map<string, Box>();
  const clusters = new Map<string, Box>();
  const origin = new Map<string, Point>([[ROOT, { x: PAD, y: PAD }]]);
  for (const id of [...order].reverse()) {
    const l = levels.get(id) as Level;
    const o = origin.get(id) as Point;
    for (const m of l.members) {
      const p = l.pos.get(m) as Point;
      const s = size.get(m) as { w: number; h: number };
      const box = { x: o.x + p.x - s.w / 2, y: o.y + p.y - s.h / 2, w: s.w, h: s.h };
      if (levels.has(m) && m !== ROOT) {
        clusters.set(m, box);
        origin.set(m, { x: box.x + PAD, y: box.y + TITLE_H });
      } else nodes.set(m, box);
    }
  }
  const edges: Point[][] = vis.edges.map((e, i) => {
    const a = nodes.get(e.from), b = nodes.get(e.to);
    const path = paths.get(i);
    if (path) {
      const o = origin.get(path.level) as Point;
      const pts = path.pts.map((p) => ({ x: p.x + o.x, y: p.y + o.y }));
      if (path.direct || !a || !b || pts.length < 2) return pts;
      return [{ x: a.x + a.w / 2, y: a.y + a.h }, ...pts, { x: b.x + b.w / 2, y: b.y }];
    }
    if (!a || !b) return [];
    return curve(a, b);
  });
  const root = levels.get(ROOT) as Level;
  return { width: root.w + 2 * PAD, height: root.h + 2 * PAD, nodes, clusters, edges, ms: performance.now() - t0 };
}

interface Solved {
  w: number;
  h: number;
  /** Member centres, in member order. */
  pos: Point[];
  /** Edge routes, in the level's edge order (null: a self edge, not routed). */
  edges: (Point[] | null)[];
}

// Levels with the same boxes and edges get the same layout: a ResNet's blocks, convolutions and
// batch norms repeat by the dozen, so most levels are laid out once (and again after a collapse
// and re-expand, not at all). Keyed by sizes and edges by member position; a bounded cache.
const solvedCache = new Map<string, Solved>();
const CACHE_MAX = 5000;

function solveLevel(l: Level, size: Map<string, { w: number; h: number }>): Solved {
  const index = new Map(l.members.map((m, i) => [m, i]));
  const edges = [...l.edges.values()];
  const key = `${l.members.map((m) => { const s = size.get(m) as { w: number; h: number }; return `${s.w}x${s.h}`; }).join(",")}|${
    edges.map((e) => `${index.get(e.from)}>${index.get(e.to)}:${e.weight}`).join(",")}`;
  const hit = solvedCache.get(key);
  if (hit) return hit;
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph(GRAPH);
  g.setDefaultEdgeLabel(() => ({}));
  for (const m of l.members) {
    const s = size.get(m) as { w: number; h: number };
    g.setNode(m, { width: s.w, height: s.h });
  }
  for (const e of edges) if (e.from !== e.to) g.setEdge(e.from, e.to, { weight: e.weight });
  // dagre's crossing-minimisation sweeps cost ~2 ms even for one box: small levels (most modules) skip them
  dagre.layout(g, { disableOptimalOrderHeuristic: l.members.length <= SMALL_LEVEL });
  const info = g.graph();
  const solved: Solved = {
    w: info.width ?? 0,
    h: info.height ?? 0,
    pos: l.members.map((m) => {
      const n = g.node(m);
      return { x: n.x, y: n.y };
    }),
    edges: edges.map((e) => (e.from === e.to ? null : ((g.edge(e.from, e.to)?.points ?? []) as Point[]).map((p) => ({ x: p.x, y: p.y })))),
  };
  if (solvedCache.size >= CACHE_MAX) solvedCache.clear();
  solvedCache.set(key, solved);
  return solved;
}

/** From the bottom of `a` to the top of `b` (or the side, when `b` is not below). */
function curve(a: Box, b: Box): Point[] {
  const from = { x: a.x + a.w / 2, y: a.y + a.h };
  if (b.y >= from.y) {
    const to = { x: b.x + b.w / 2, y: b.y };
    const dy = Math.max(12, (to.y - from.y) / 2);
    return [from, { x: from.x, y: from.y + dy }, { x: to.x, y: to.y - dy }, to];
  }
  const right = b.x > a.x + a.w;
  const to = { x: right ? b.x : b.x + b.w, y: b.y + b.h / 2 };
  return [from, { x: from.x, y: from.y + 16 }, { x: to.x + (right ? -16 : 16), y: to.y }, to];
}
