// The HPARAMS tab's data, without DOM: sessions (one per run with a session record), their
// columns (hyperparameters, then metrics) and what the table does with them: formatting,
// sorting, the row filter and per-column filters. Everything here is pure and unit-tested.

import { fmtValue } from "../../ui/format";
import { makeFilter } from "../../ui/dom";
import { markdownText } from "../../ui/markdown";

/** A hyperparameter value as the protocol sends it (integral numbers arrive as ints). */
export type HValue = number | string | boolean | null;

/** What the tab needs of the hparams records (a subset of HParamsRecord). */
export interface SessionRecord {
  run: string;
  step: number;
  index: number;
  hparams: Record<string, HValue>;
  metrics: readonly string[];
}
export interface ExperimentRecord {
  metrics: readonly string[];
  domains: Record<string, readonly HValue[]>;
  labels?: Labels;
  descriptions?: Labels;
  intervals?: Record<string, Interval>;
}

/** Text per column (display names, descriptions), by hyperparameter name and by metric name. */
export interface Labels {
  hparams: Readonly<Record<string, string>>;
  metrics: Readonly<Record<string, string>>;
}
export const NO_LABELS: Labels = { hparams: {}, metrics: {} };

/** An interval domain's bounds, [min, max] (TensorFlow's `hp.RealInterval`, `hp.IntInterval`). */
export type Interval = readonly [min: number, max: number];

/** What the experiments say of the columns beyond their values (all optional, first experiment wins). */
export interface ColumnInfo {
  labels: Labels;
  descriptions: Labels;
  intervals: Readonly<Record<string, Interval>>;
}
const NO_INFO: ColumnInfo = { labels: NO_LABELS, descriptions: NO_LABELS, intervals: {} };

/** The last point of a metric's scalar series in a run. */
export interface MetricValue {
  value: number;
  step: number;
}

export interface Column {
  /** Unique among columns: `h:<name>` for a hyperparameter, `m:<tag>` for a metric. */
  key: string;
  name: string;
  /** What the column is titled: the experiment's display name, else `name`. */
  label: string;
  group: "hparam" | "metric";
  /** The experiment's description of the hyperparameter or metric, or "". */
  description: string;
  /** The hyperparameter's declared interval domain, or null. */
  interval: Interval | null;
  /** Numbers on a linear/log axis, or categories (strings, bools, mixed) evenly spaced. */
  type: "number" | "category";
  /** Categories in axis order (category columns): the domain's order, then the others sorted. */
  categories: string[];
  /** Finite range of the values (number columns); NaN when there is none. */
  min: number;
  max: number;
}

export interface Session {
  run: string;
  hparams: Record<string, HValue>;
  metrics: Record<string, MetricValue | undefined>;
}

export interface Model {
  columns: Column[];
  sessions: Session[];
}

export const hparamKey = (name: string) => `h:${name}`;
export const metricKey = (tag: string) => `m:${tag}`;

/** A session's value in a column: a number, a string/bool, or undefined when it has none. */
export function cellValue(s: Session, col: Column): number | string | boolean | undefined {
  if (col.group === "metric") return s.metrics[col.name]?.value;
  const v = s.hparams[col.name];
  if (v === null || v === undefined) return undefined;
  if (col.type === "number") return asNumber(v);
  return v;
}

/** Python sends non-finite floats as strings ("nan", "inf", "-inf"). A Map: `in` on an object
 * literal would also match its prototype's names (a value "constructor"). */
const NONFINITE = new Map<string, number>([["nan", NaN], ["inf", Infinity], ["-inf", -Infinity], ["infinity", Infinity], ["-infinity", -Infinity]]);

/** A protocol value as a number: numbers, and the texts of non-finite floats; else undefined. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  return typeof v === "string" ? NONFINITE.get(v.toLowerCase()) : undefined;
}

/** The category label of a value (its axis position and filter text). */
export function categoryOf(v: number | string | boolean): string {
  return typeof v === "string" ? v : String(v);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/**
 * The columns for these sessions: hyperparameters in first-seen order, then metric tags. A number
 * column's range takes in its declared domain (discrete values, an interval's bounds), so that its
 * axis spans the search space rather than only the values tried so far.
 */
export function inferColumns(
  sessions: readonly Session[], metricTags: readonly string[], domains: Record<string, readonly HValue[]>,
  info: Partial<ColumnInfo> = NO_INFO,
): Column[] {
  const labels = info.labels ?? NO_LABELS, descriptions = info.descriptions ?? NO_LABELS, intervals = info.intervals ?? {};
  const names: string[] = [];
  const seen = new Set<string>();
  for (const s of sessions) for (const k of Object.keys(s.hparams)) if (!seen.has(k)) { seen.add(k); names.push(k); }
  const cols: Column[] = names.map((name) => {
    const label = labels.hparams[name] ?? name;
    const description = descriptions.hparams[name] ?? "";
    const interval = intervals[name] ?? null;
    const vals = sessions.map((s) => s.hparams[name]).filter((v): v is Exclude<HValue, null> => v !== null && v !== undefined);
    const numeric = vals.length > 0 && vals.every((v) => asNumber(v) !== undefined);
    if (numeric) {
      const nums = [...vals.map((v) => asNumber(v)!), ...(domains[name] ?? []).map((d) => asNumber(d) ?? NaN), ...(interval ?? [])];
      const [min, max] = finiteRange(nums);
      return { key: hparamKey(name), name, label, group: "hparam", description, interval, type: "number", categories: [], min, max };
    }
    const dom = (domains[name] ?? []).filter((d) => d !== null).map((d) => categoryOf(d as string));
    const rest = [...new Set(vals.map(categoryOf))].filter((c) => !dom.includes(c)).sort(collator.compare);
    return {
      key: hparamKey(name), name, label, group: "hparam", description, interval, type: "category", categories: [...dom, ...rest], min: NaN, max: NaN,
    };
  });
  for (const tag of metricTags) {
    const [min, max] = finiteRange(sessions.map((s) => s.metrics[tag]?.value ?? NaN));
    cols.push({
      key: metricKey(tag), name: tag, label: labels.metrics[tag] ?? tag, group: "metric", description: descriptions.metrics[tag] ?? "",
      interval: null, type: "number", categories: [], min, max,
    });
  }
  return cols;
}

/** A bound as text: exact for numbers, as Python writes the others ("inf", "-inf", "nan"). */
const fmtBound = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");

/**
 * What a column's header tooltip adds to its name: the experiment's description (as text) and, for an
 * interval domain, "domain: [min, max]"; "" when the experiment says neither.
 */
export function columnTip(col: Column): string {
  const lines = col.description ? [markdownText(col.description)] : []; // descriptions are markdown
  if (col.interval) lines.push(`domain: [${fmtBound(col.interval[0])}, ${fmtBound(col.interval[1])}]`);
  return lines.join("\n");
}

function finiteRange(vals: readonly number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of vals) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}

/**
 * Where a session's metric may be logged, in the order looked up: the session's own run with the
 * whole name as its tag (torch's "hparam/accuracy"), then each split of the name into a sub-run
 * and a tag ("validation/epoch_loss": tag "epoch_loss" of run "<session>/validation"), as
 * TensorFlow's metric groups name them.
 */
export function metricSeriesKeys(run: string, name: string): [run: string, tag: string][] {
  const out: [string, string][] = [[run, name]];
  for (let i = name.indexOf("/"); i > 0 && i < name.length - 1; i = name.indexOf("/", i + 1)) {
    out.push([run === "." ? name.slice(0, i) : `${run}/${name.slice(0, i)}`, name.slice(i + 1)]);
  }
  return out;
}

/** The session run a run belongs to (itself, or the longest session run it is under), or null. */
export function sessionOf(run: string, sessionRuns: ReadonlySet<string>): string | null {
  if (sessionRuns.has(run)) return run;
  for (let i = run.lastIndexOf("/"); i > 0; i = run.lastIndexOf("/", i - 1)) {
    if (sessionRuns.has(run.slice(0, i))) return run.slice(0, i);
  }
  return sessionRuns.has(".") && run !== "." ? "." : null;
}

/**
 * A scalar series as a metric name of its session (`metricSeriesKeys`' inverse): its tag in the
 * session's run, `sub/run/tag` in a sub-run; null outside every session.
 */
export function metricNameOf(run: string, tag: string, sessionRuns: ReadonlySet<string>): string | null {
  const s = sessionOf(run, sessionRuns);
  if (s === null) return null;
  if (s === run) return tag;
  return `${s === "." ? run : run.slice(s.length + 1)}/${tag}`;
}

/**
 * TensorBoard's metrics when no record names any (Keras' `hp.KerasCallback` writes sessions
 * only): every scalar series of a session's run or its sub-runs, sorted by name.
 */
export function inferMetricNames(sessionRuns: ReadonlySet<string>, series: Iterable<readonly [string, string]>): string[] {
  const names = new Set<string>();
  for (const [run, tag] of series) {
    const m = metricNameOf(run, tag, sessionRuns);
    if (m !== null) names.add(m);
  }
  return [...names].sort(collator.compare);
}

/**
 * Sessions from the hparams records: one per run that has a session record (its latest one),
 * metric tags = the union of every record's `metrics` (sessions' and experiments'), in order;
 * `inferred()` when no record names one.
 */
export function buildModel(
  sessionRecords: readonly SessionRecord[],
  experiments: readonly ExperimentRecord[],
  metricValue: (run: string, tag: string) => MetricValue | undefined,
  inferred: (sessionRuns: ReadonlySet<string>) => readonly string[] = () => [],
): Model {
  const latest = new Map<string, SessionRecord>();
  for (const r of sessionRecords) {
    const prev = latest.get(r.run);
    if (!prev || r.step > prev.step || (r.step === prev.step && r.index > prev.index)) latest.set(r.run, r);
  }
  const tags: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => { if (!seen.has(t)) { seen.add(t); tags.push(t); } };
  for (const e of experiments) e.metrics.forEach(add);
  for (const r of sessionRecords) r.metrics.forEach(add);
  if (tags.length === 0) inferred(new Set(latest.keys())).forEach(add);
  const domains: Record<string, readonly HValue[]> = {};
  for (const e of experiments) for (const [k, d] of Object.entries(e.domains)) if (!(k in domains)) domains[k] = d;
  // the first experiment's display name, description or interval of a column wins (as its domain)
  const merged = (pick: (e: ExperimentRecord) => Labels | undefined): Labels => ({
    hparams: Object.assign({}, ...experiments.map((e) => pick(e)?.hparams ?? {}).reverse()),
    metrics: Object.assign({}, ...experiments.map((e) => pick(e)?.metrics ?? {}).reverse()),
  });
  const info: ColumnInfo = {
    labels: merged((e) => e.labels),
    descriptions: merged((e) => e.descriptions),
    intervals: Object.assign({}, ...experiments.map((e) => e.intervals ?? {}).reverse()),
  };
  const sessions: Session[] = [...latest.values()]
    .sort((a, b) => collator.compare(a.run, b.run))
    .map((r) => {
      const metrics: Record<string, MetricValue | undefined> = {};
      for (const t of tags) metrics[t] = metricValue(r.run, t);
      return { run: r.run, hparams: r.hparams, metrics };
    });
  return { columns: inferColumns(sessions, tags, domains, info), sessions };
}

// ------------------------------------------------------------------ formatting

/** A cell: ints as ints ("64", "1000000"), other numbers to 5 significant digits, bools, strings. */
export function fmtCell(v: number | string | boolean | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
    return fmtValue(v);
  }
  return String(v);
}

/** The exact value, for a title attribute. */
export function fmtExact(v: number | string | boolean | undefined): string {
  return v === undefined ? "" : String(v);
}

// ------------------------------------------------------------------ sorting

export type SortDir = "asc" | "desc";

/** Order of two values of a column; missing (and NaN) values always sort last. */
export function compareCells(a: number | string | boolean | undefined, b: number | string | boolean | undefined, dir: SortDir): number {
  const missA = a === undefined || (typeof a === "number" && Number.isNaN(a));
  const missB = b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (missA || missB) return missA === missB ? 0 : missA ? 1 : -1;
  let c: number;
  if (typeof a === "number" && typeof b === "number") c = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === "number") c = -1; // numbers before text in a mixed column
  else if (typeof b === "number") c = 1;
  else c = collator.compare(String(a), String(b));
  return dir === "asc" ? c : -c;
}

/** Sessions sorted by a column (stable; ties keep run order); `key` null: by run name. */
export function sortSessions(sessions: readonly Session[], col: Column | null, dir: SortDir): Session[] {
  const out = sessions.map((s, i) => ({ s, i }));
  out.sort((x, y) => {
    const c = col ? compareCells(cellValue(x.s, col), cellValue(y.s, col), dir)
      : (dir === "asc" ? 1 : -1) * collator.compare(x.s.run, y.s.run);
    return c || x.i - y.i;
  });
  return out.map((x) => x.s);
}

// ------------------------------------------------------------------ filters

/** The row filter: a regex (case-insensitive; plain text when invalid) over run name and cells. */
export function rowFilter(pattern: string, columns: readonly Column[]): { test: (s: Session) => boolean; valid: boolean } {
  const f = makeFilter(pattern);
  if (!pattern.trim()) return { test: () => true, valid: true };
  return {
    valid: f.valid,
    test: (s) => f.test(s.run) || columns.some((c) => {
      const v = cellValue(s, c);
      return v !== undefined && (f.test(fmtCell(v)) || f.test(fmtExact(v)));
    }),
  };
}

type Pred = (v: number | string | boolean | undefined) => boolean;

const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?`;

/**
 * A per-column filter. Number columns take comparisons and ranges, all of which must hold:
 * `>0.1`, `<=3`, `=64`, `0.1..0.5`, `>1e-3 <1e-2`; anything else (and category columns) is a
 * case-insensitive regex over the cell text. Empty: everything passes. `!` alone: only empty cells.
 */
export function columnFilter(text: string, col: Column): { test: Pred; valid: boolean } {
  const t = text.trim();
  if (!t) return { test: () => true, valid: true };
  if (t === "!") return { test: (v) => v === undefined, valid: true };
  if (col.type === "number") {
    const parts = t.split(/[\s,]+/).filter(Boolean);
    const preds: ((x: number) => boolean)[] = [];
    for (const p of parts) {
      let m = new RegExp(`^(<=|>=|<|>|=|==)\\s*(${NUM})$`, "i").exec(p);
      if (m) {
        const x = Number(m[2]);
        const op = m[1];
        preds.push(op === "<" ? (v) => v < x : op === "<=" ? (v) => v <= x : op === ">" ? (v) => v > x
          : op === ">=" ? (v) => v >= x : (v) => Math.abs(v - x) <= 1e-12 * Math.max(1, Math.abs(x)));
        continue;
      }
      m = new RegExp(`^(${NUM})\\.\\.(${NUM})$`, "i").exec(p);
      if (m) {
        const lo = Math.min(Number(m[1]), Number(m[2])), hi = Math.max(Number(m[1]), Number(m[2]));
        preds.push((v) => v >= lo && v <= hi);
        continue;
      }
      preds.length = 0;
      break;
    }
    if (preds.length) return { test: (v) => typeof v === "number" && preds.every((p) => p(v)), valid: true };
  }
  const f = makeFilter(t);
  return { test: (v) => v !== undefined && (f.test(fmtCell(v)) || f.test(fmtExact(v))), valid: f.valid };
}
