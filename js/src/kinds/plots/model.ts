// The windows of cellboard.Visdom: one (run = env, tag = win) record list per window, each record
// an operation (python_pkg/cellboard/kinds/plots.py): set / append / remove / opts / close. A
// window is the fold of its records, kept incrementally (records only ever arrive, by index).
// Wire: `{..., op, spec}`, buffer = float64 data (line/scatter: per trace n xs, n ys (, n zs)).

import { ScalarSeries } from "../scalars/series";
import { isObj, num, str, toFloat64, type Buffers, type Obj } from "../../wire";
import type { RecordList } from "../record-kind";
import type { RecordEntry } from "../types";

export const PLOTS = "plots";
export type Op = "set" | "append" | "remove" | "opts" | "close";
const OPS: readonly string[] = ["set", "append", "remove", "opts", "close"];

export interface PlotRecord extends RecordEntry {
  op: Op;
  spec: Obj;
  data: Float64Array;
}

export function decodePlot(e: Obj, buffers: Buffers, base: RecordEntry): PlotRecord {
  const op = str(e.op);
  if (op === null || !OPS.includes(op)) throw new TypeError(`bad plot op ${String(e.op)} for ${base.run}/${base.tag}`);
  const spec = isObj(e.spec) ? e.spec : {};
  const buf = buffers.of(e);
  return { ...base, op: op as Op, spec, data: buf ? toFloat64(buf) : new Float64Array(0) };
}

/** A growable float64 column. */
export class Column {
  a = new Float64Array(8);
  n = 0;
  push(src: ArrayLike<number>) {
    const need = this.n + src.length;
    if (need > this.a.length) {
      let cap = this.a.length;
      while (cap < need) cap *= 2;
      const g = new Float64Array(cap);
      g.set(this.a.subarray(0, this.n));
      this.a = g;
    }
    this.a.set(src, this.n);
    this.n = need;
  }
  get values(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

export interface Trace {
  name: string;
  cols: Column[]; // x, y (, z)
  /** Line windows: the trace as a scalar series (x = step, y = value) for the scalar chart. */
  series: ScalarSeries | null;
}

export interface WindowState {
  type: string;
  opts: Obj;
  spec: Obj;
  traces: Trace[];
  data: Float64Array;
  /** Bumped on every change of this window. */
  version: number;
}

interface TraceMeta {
  name: string;
  n: number;
  dims: number;
}

function traceMetas(spec: Obj): TraceMeta[] {
  const t = spec.traces;
  if (!Array.isArray(t)) return [];
  return t.filter(isObj).map((m) => ({ name: String(m.name ?? ""), n: Math.max(0, num(m.n, 0) | 0), dims: num(m.dims, 2) === 3 ? 3 : 2 }));
}

function appendTrace(state: WindowState, lineKind: boolean, run: string, meta: TraceMeta, data: Float64Array, at: number) {
  let tr = state.traces.find((t) => t.name === meta.name);
  if (!tr) {
    tr = { name: meta.name, cols: [], series: lineKind ? new ScalarSeries(meta.name, run, 0) : null };
    for (let d = 0; d < meta.dims; d++) tr.cols.push(new Column());
    state.traces.push(tr);
  }
  const cols = [];
  for (let d = 0; d < meta.dims; d++) cols.push(data.subarray(at + d * meta.n, at + (d + 1) * meta.n));
  for (let d = 0; d < Math.min(tr.cols.length, cols.length); d++) tr.cols[d].push(cols[d]);
  if (tr.series && meta.n > 0) {
    // points sorted by x within an append (the chart draws in x order)
    const walls = new Float64Array(meta.n).fill(NaN);
    tr.series.splice(tr.series.length, cols[0], walls, cols[1]);
  }
}

/** Apply one record to a window (null: closed / not yet set). Returns the new state. */
export function applyOp(state: WindowState | null, r: PlotRecord): WindowState | null {
  if (r.op === "close") return null;
  if (r.op === "set") {
    const type = str(r.spec.type) ?? "unknown";
    const st: WindowState = {
      type, opts: isObj(r.spec.opts) ? { ...r.spec.opts } : {}, spec: r.spec, traces: [],
      data: new Float64Array(0), version: (state?.version ?? 0) + 1,
    };
    const metas = traceMetas(r.spec);
    if (Array.isArray(r.spec.traces)) {
      let at = 0;
      for (const m of metas) {
        appendTrace(st, type === "line", r.run, m, r.data, at);
        at += m.n * m.dims;
      }
    } else st.data = r.data;
    return st;
  }
  if (!state) return null; // an update of a closed window
  state.version++;
  if (r.op === "opts") {
    if (isObj(r.spec.opts)) state.opts = { ...state.opts, ...r.spec.opts };
  } else if (r.op === "remove") {
    const name = str(r.spec.name);
    state.traces = state.traces.filter((t) => t.name !== name);
  } else if (r.op === "append") {
    let at = 0;
    for (const m of traceMetas(r.spec)) {
      appendTrace(state, state.type === "line", r.run, m, r.data, at);
      at += m.n * m.dims;
    }
  }
  return state;
}

/** Folds a window's record list incrementally (records arrive in index order, put once). */
export class WindowFold {
  private upto = 0;
  private listVersion = -1;
  state: WindowState | null = null;

  /** The window now; refolds from scratch when the list was cleared (a purge). */
  update(list: RecordList<PlotRecord>): WindowState | null {
    if (list.version === this.listVersion) return this.state;
    this.listVersion = list.version;
    if (list.count < this.upto) {
      this.upto = 0;
      this.state = null;
    }
    const recs = list.byIndex;
    while (this.upto < recs.length && recs[this.upto] !== undefined) {
      this.state = applyOp(this.state, recs[this.upto]!);
      this.upto++;
    }
    return this.state;
  }
}

/** Points (or items) a window shows: its data-* hook. */
export function windowPoints(st: WindowState): number {
  if (st.traces.length) return st.traces.reduce((n, t) => n + (t.cols[0]?.n ?? 0), 0);
  const rows = num(st.spec.rows, 0), cols = num(st.spec.cols, 1);
  switch (st.type) {
    case "histogram":
      return num(st.spec.bins, 0);
    case "boxplot":
      return rows;
    case "quiver":
      return st.data.length / 4;
    case "stem":
      return rows * (cols - 1);
    case "pie": case "sunburst":
      return rows;
    case "dual_axis_lines":
      return 2 * rows;
    case "graph":
      return num(st.spec.nodes, 0);
    case "properties":
      return Array.isArray(st.spec.properties) ? st.spec.properties.length : 0;
    case "image": case "text": case "audio": case "svg":
      return 1;
    default:
      return rows * cols;
  }
}
