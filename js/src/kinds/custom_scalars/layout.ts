// The custom scalars layout (docs/protocol.md, `custom_scalars`): decoding the wire entry,
// merging the layouts of all runs as TensorBoard does, and matching chart regexes to tags.
// Pure functions (no DOM): tested in test/custom_scalars.test.ts.

export interface MarginSeries {
  value: string;
  lower: string;
  upper: string;
}

export type ChartSpec =
  | { title: string; multiline: string[] }
  | { title: string; margin: MarginSeries[] };

export interface Category {
  title: string;
  closed: boolean;
  charts: ChartSpec[];
}

const s = (x: unknown): string => (typeof x === "string" ? x : "");

/** One chart of the wire layout; null when it is neither multiline nor margin. */
function decodeChart(c: unknown): ChartSpec | null {
  if (typeof c !== "object" || c === null) return null;
  const o = c as Record<string, unknown>;
  const title = s(o.title);
  if (Array.isArray(o.multiline)) {
    return { title, multiline: o.multiline.filter((t): t is string => typeof t === "string") };
  }
  if (o.margin !== undefined && o.margin !== null) {
    // a list of {value, lower, upper} (the Layout proto's repeated series); one object also accepted
    const list = Array.isArray(o.margin) ? o.margin : [o.margin];
    const margin: MarginSeries[] = [];
    for (const m of list) {
      if (typeof m !== "object" || m === null) continue;
      const r = m as Record<string, unknown>;
      if (typeof r.value === "string" && r.value) margin.push({ value: r.value, lower: s(r.lower), upper: s(r.upper) });
    }
    return { title, margin };
  }
  return null;
}

/** The `layout` field of a custom_scalars entry (throws when it is not a list). */
export function decodeLayout(layout: unknown): Category[] {
  if (!Array.isArray(layout)) throw new TypeError("custom_scalars entry without a layout list");
  const out: Category[] = [];
  for (const c of layout) {
    if (typeof c !== "object" || c === null) continue;
    const o = c as Record<string, unknown>;
    const charts = Array.isArray(o.charts) ? o.charts.map(decodeChart).filter((x): x is ChartSpec => x !== null) : [];
    out.push({ title: s(o.title), closed: o.closed === true, charts });
  }
  return out;
}

const chartKey = (c: ChartSpec) => JSON.stringify(c);

/**
 * TensorBoard's merge (custom_scalars_plugin.layout_impl): runs in sorted order, each run's
 * latest layout; a category seen before (same title) gets the new run's charts appended, minus
 * duplicates; a new category is appended. `closed` comes from the category's first occurrence.
 */
export function mergeLayouts(byRun: ReadonlyMap<string, Category[]>): Category[] {
  const out: Category[] = [];
  const byTitle = new Map<string, { cat: Category; keys: Set<string> }>();
  for (const run of [...byRun.keys()].sort()) {
    for (const c of byRun.get(run)!) {
      const seen = byTitle.get(c.title);
      if (seen) {
        for (const ch of c.charts) {
          const k = chartKey(ch);
          if (seen.keys.has(k)) continue;
          seen.keys.add(k);
          seen.cat.charts.push(ch);
        }
      } else {
        // within one layout, TensorBoard keeps the category's charts as written
        const cat: Category = { title: c.title, closed: c.closed, charts: [...c.charts] };
        byTitle.set(c.title, { cat, keys: new Set(c.charts.map(chartKey)) });
        out.push(cat);
      }
    }
  }
  return out;
}

/**
 * A Python `re` pattern as a JavaScript RegExp with `re.match` semantics: anchored at the start
 * of the tag, not at its end ("loss" matches "loss/train"), as TensorBoard's custom scalars
 * plugin filters tags. Translates the Python-only syntax `(?P<name>...)`, `(?P=name)`, `\A`, `\Z`
 * and leading inline flags `(?i)`, `(?s)`, `(?m)`. Returns null for an empty or invalid pattern
 * (TensorBoard answers `regex_valid: false` and draws nothing).
 */
export function tagMatcher(pattern: string): RegExp | null {
  if (!pattern) return null;
  let src = pattern;
  let flags = "";
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]) if ("ims".includes(f) && !flags.includes(f)) flags += f;
  }
  src = src
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, "(?<$1>")
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, "\\k<$1>")
    .replace(/(^|[^\\])\\A/g, "$1^")
    .replace(/(^|[^\\])\\Z/g, "$1$$");
  try {
    return new RegExp(`^(?:${src})`, flags);
  } catch {
    return null;
  }
}

/** The tags (of `tags`) any of the chart's patterns match, sorted; `invalid` lists bad patterns. */
export function matchTags(patterns: readonly string[], tags: Iterable<string>): { tags: string[]; invalid: string[] } {
  const res: RegExp[] = [];
  const invalid: string[] = [];
  for (const p of patterns) {
    const re = tagMatcher(p);
    if (re) res.push(re);
    else invalid.push(p);
  }
  const out: string[] = [];
  for (const t of tags) if (res.some((re) => re.test(t))) out.push(t);
  return { tags: out.sort(), invalid };
}
