import { describe, expect, it } from "vitest";
import { hparams, KINDS } from "../src/kinds";
import {
  axisPositions, axisScale, brushed, brushFracs, brushFromFracs, canLog, categoryScale, colorScale, inBrush,
  linearScale, logScale, nearestLine, niceTicks, sequentialColor, type Brush,
} from "../src/kinds/hparams/geometry";
import {
  asNumber, buildModel, cellValue, columnFilter, columnTip, compareCells, fmtCell, inferColumns, inferMetricNames, metricNameOf,
  metricSeriesKeys, rowFilter, sessionOf, sortSessions, type Column, type Session,
} from "../src/kinds/hparams/model";
import { metricSeries } from "../src/kinds/hparams/metrics";
import { EXPERIMENT_TAG, gather, SESSION_TAG, sessionCount } from "../src/kinds/hparams/record";
import type { ScalarSeries, ScalarSlice } from "../src/kinds/scalars/series";
import { jitter } from "../src/kinds/hparams/scatter";
import { scalars } from "../src/kinds/scalars";
import { BoardStore } from "../src/store";
import { Buffers } from "../src/wire";
import { scalarMsg } from "./helpers";

const base = { run: "r", tag: SESSION_TAG, index: 0, step: 0, wall: 1 };

describe("hparams entries", () => {
  it("decode hparams, metrics and domains; list values become text", () => {
    const rec = hparams.decode({
      ...base, hparams: { lr: 0.01, layers: 3, opt: "adam", bn: true, none: null, list: [1, 2] },
      metrics: ["acc", 3, ""], domains: { opt: ["adam", "sgd"], bad: 1 },
    }, new Buffers());
    expect(rec.hparams).toEqual({ lr: 0.01, layers: 3, opt: "adam", bn: true, none: null, list: "[1,2]" });
    expect(rec.metrics).toEqual(["acc"]);
    expect(rec.domains).toEqual({ opt: ["adam", "sgd"] });
    expect(() => hparams.decode({ ...base, hparams: [1] }, new Buffers())).toThrow();
    expect(() => hparams.decode({ ...base, metrics: "acc" }, new Buffers())).toThrow();
    expect(hparams.decode({ ...base }, new Buffers()).hparams).toEqual({});
  });

  it("sessions live in the store with the scalars their metrics read", () => {
    const store = new BoardStore({ send: () => {}, kinds: KINDS });
    expect(store.hasData(hparams)).toBe(false);
    const sc = scalarMsg("trial_1", "hparam/acc", 0, [0, 10], [0.5, 0.75]);
    store.handleMessage({
      type: "delta", seq: 1, runs: ["trial_0", "trial_1"],
      entries: {
        hparams: [
          { run: "trial_0", tag: EXPERIMENT_TAG, index: 0, step: 0, wall: 1, hparams: {}, metrics: ["hparam/acc"], domains: { opt: ["sgd", "adam"] } },
          { run: "trial_0", tag: SESSION_TAG, index: 0, step: 0, wall: 1, hparams: { lr: 0.1, opt: "adam" }, metrics: [], domains: {} },
          { run: "trial_1", tag: SESSION_TAG, index: 0, step: 0, wall: 1, hparams: { lr: 0.01, opt: "sgd" }, metrics: [], domains: {} },
        ],
        scalars: [{ ...sc.entry, buffer: 0 }],
      },
    }, [sc.buffer]);
    expect(store.hasData(hparams)).toBe(true);
    expect(hparams.hooks!(store)).toEqual({ hparamsSessions: "2" });
    const slice = store.slice(hparams);
    expect(sessionCount(slice)).toBe(2);
    const { sessions, experiments } = gather(slice);
    const model = buildModel(sessions, experiments, (run, tag) => {
      const s = store.slice(scalars).get(run, tag);
      return s?.length ? { value: s.values[s.length - 1], step: s.steps[s.length - 1] } : undefined;
    });
    expect(model.sessions.map((s) => s.run)).toEqual(["trial_0", "trial_1"]);
    expect(model.columns.map((c) => [c.key, c.type])).toEqual([["h:lr", "number"], ["h:opt", "category"], ["m:hparam/acc", "number"]]);
    expect(model.columns[1].categories).toEqual(["sgd", "adam"]); // the domain's order
    expect(model.sessions[1].metrics["hparam/acc"]).toEqual({ value: 0.75, step: 10 }); // the last value
    expect(model.sessions[0].metrics["hparam/acc"]).toBeUndefined(); // no scalars: blank
  });
});

const S = (run: string, hp: Session["hparams"], metrics: Record<string, number> = {}): Session => ({
  run, hparams: hp, metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { value: v, step: 1 }])),
});

describe("model", () => {
  it("one session per run (its latest record); metric columns are the union of every record's", () => {
    const m = buildModel([
      { run: "b", step: 0, index: 0, hparams: { x: 1 }, metrics: ["m1"] },
      { run: "a", step: 0, index: 0, hparams: { x: 2 }, metrics: ["m2"] },
      { run: "a", step: 0, index: 1, hparams: { x: 3, y: "s" }, metrics: [] },
    ], [{ metrics: ["m0", "m1"], domains: {} }], () => undefined);
    expect(m.sessions.map((s) => [s.run, s.hparams.x])).toEqual([["a", 3], ["b", 1]]);
    expect(m.columns.map((c) => c.key)).toEqual(["h:x", "h:y", "m:m0", "m:m1", "m:m2"]);
  });

  it("looks a grouped metric up in the session's sub-run (TensorFlow's hp.Metric(tag, group))", () => {
    expect(metricSeriesKeys("lr_0.1", "hparam/acc")).toEqual([["lr_0.1", "hparam/acc"], ["lr_0.1/hparam", "acc"]]);
    expect(metricSeriesKeys("s", "eval/top/k")).toEqual([["s", "eval/top/k"], ["s/eval", "top/k"], ["s/eval/top", "k"]]);
    expect(metricSeriesKeys(".", "validation/acc")).toEqual([[".", "validation/acc"], ["validation", "acc"]]);
    expect(metricSeriesKeys("s", "acc")).toEqual([["s", "acc"]]);
    const held = new Map([["s/validation\u0000epoch_accuracy", 0.75], ["t\u0000hparam/acc", 0.5]]);
    const value = (run: string, name: string) => {
      for (const [r, tag] of metricSeriesKeys(run, name)) {
        const v = held.get(`${r}\u0000${tag}`);
        if (v !== undefined) return { value: v, step: 1 };
      }
      return undefined;
    };
    const m = buildModel([
      { run: "s", step: 0, index: 0, hparams: { lr: 0.1 }, metrics: [] },
      { run: "t", step: 0, index: 0, hparams: { lr: 0.2 }, metrics: [] },
    ], [{ metrics: ["validation/epoch_accuracy", "hparam/acc"], domains: {} }], value);
    expect(m.sessions.map((s) => [s.run, s.metrics["validation/epoch_accuracy"]?.value, s.metrics["hparam/acc"]?.value]))
      .toEqual([["s", 0.75, undefined], ["t", undefined, 0.5]]);
  });

  it("titles columns with the experiment's display names (TensorFlow's display_name)", () => {
    const rec = hparams.decode({
      ...base, tag: EXPERIMENT_TAG, hparams: {}, metrics: ["accuracy"], domains: {},
      labels: { hparams: { units: "Units", bad: 3 }, metrics: { accuracy: "Accuracy" } },
    }, new Buffers());
    expect(rec.labels).toEqual({ hparams: { units: "Units" }, metrics: { accuracy: "Accuracy" } });
    expect(hparams.decode({ ...base, hparams: {}, metrics: [] }, new Buffers()).labels).toEqual({ hparams: {}, metrics: {} });
    const m = buildModel([{ run: "s", step: 0, index: 0, hparams: { units: 8, lr: 0.1 }, metrics: [] }], [
      { metrics: ["accuracy"], domains: {}, labels: rec.labels },
      { metrics: [], domains: {}, labels: { hparams: { units: "later" }, metrics: {} } }, // the first experiment's wins
    ], () => undefined);
    expect(m.columns.map((c) => [c.name, c.label])).toEqual([["units", "Units"], ["lr", "lr"], ["accuracy", "Accuracy"]]);
  });

  it("decodes descriptions and interval domains defensively (TensorFlow's description=, hp.RealInterval)", () => {
    const rec = hparams.decode({
      ...base, tag: EXPERIMENT_TAG, hparams: {}, metrics: ["acc"], domains: {},
      descriptions: { hparams: { lr: "Learning rate", bad: 3, empty: "" }, metrics: { acc: "Top-1 accuracy" } },
      intervals: { lr: [1e-4, 0.1], units: [1, 4], open: ["-inf", "inf"], short: [1], text: ["a", 1], obj: { min: 0 } },
    }, new Buffers());
    expect(rec.descriptions).toEqual({ hparams: { lr: "Learning rate" }, metrics: { acc: "Top-1 accuracy" } });
    expect(rec.intervals).toEqual({ lr: [1e-4, 0.1], units: [1, 4], open: [-Infinity, Infinity] });
    // absent or malformed: none
    const plain = hparams.decode({ ...base, hparams: {}, metrics: [] }, new Buffers());
    expect([plain.descriptions, plain.intervals]).toEqual([{ hparams: {}, metrics: {} }, {}]);
    const bad = hparams.decode({ ...base, hparams: {}, metrics: [], descriptions: "x", intervals: [[0, 1]] }, new Buffers());
    expect([bad.descriptions, bad.intervals]).toEqual([{ hparams: {}, metrics: {} }, {}]);
    // the texts of non-finite floats are numbers; other texts (also Object's own names) are not
    expect([asNumber("nan"), asNumber("-Inf"), asNumber("constructor"), asNumber("0.5"), asNumber(null)])
      .toEqual([NaN, -Infinity, undefined, undefined, undefined]);
  });

  it("a number column spans its interval domain; descriptions and intervals become header tooltips", () => {
    const sessions = [S("a", { lr: 0.01, units: 2, opt: "adam" }, { acc: 0.5 }), S("b", { lr: 0.02, units: 3, opt: "sgd" })];
    const cols = inferColumns(sessions, ["acc", "loss"], { units: [1, 8] }, {
      descriptions: { hparams: { lr: "Learning rate", opt: "Optimizer" }, metrics: { acc: "Top-1 accuracy" } },
      intervals: { lr: [1e-4, 0.1], units: [1, 4], opt: [0, 1], open: [-Infinity, Infinity] },
    });
    const by = Object.fromEntries(cols.map((c) => [c.name, c]));
    expect(by.lr).toMatchObject({ type: "number", min: 1e-4, max: 0.1, description: "Learning rate", interval: [1e-4, 0.1] });
    expect(by.units).toMatchObject({ min: 1, max: 8, description: "" }); // the discrete domain's values count too
    expect(by.opt).toMatchObject({ type: "category", min: NaN, max: NaN, categories: ["adam", "sgd"] }); // an interval of a text column: no extent
    expect(by.acc).toMatchObject({ description: "Top-1 accuracy", interval: null, min: 0.5, max: 0.5 });
    expect(columnTip(by.lr)).toBe("Learning rate\ndomain: [0.0001, 0.1]");
    expect(columnTip(by.units)).toBe("domain: [1, 4]");
    expect(columnTip(by.acc)).toBe("Top-1 accuracy");
    expect(columnTip(by.loss)).toBe("");
    // descriptions are markdown (TensorBoard renders them): the tooltip shows their text
    const md = inferColumns([S("a", { lr: 0.1 })], [], {}, {
      descriptions: { hparams: { lr: "The **learning rate** of [Adam](https://arxiv.org/abs/1412.6980), `lr`.\n\n- per step" }, metrics: {} },
    })[0];
    expect(columnTip(md)).toBe("The learning rate of Adam, lr.\nper step");
    expect(canLog(by.lr)).toBe(true);
    // an open bound is no extent (the values' range stays) but the tooltip says it
    const open = inferColumns([S("a", { w: 0.5 }), S("b", { w: 2 })], [], {}, { intervals: { w: [-Infinity, Infinity] } })[0];
    expect([open.min, open.max, columnTip(open)]).toEqual([0.5, 2, "domain: [-inf, inf]"]);
    // through buildModel: the first experiment's description and interval win, as its display name
    const m = buildModel([{ run: "s", step: 0, index: 0, hparams: { lr: 0.05 }, metrics: [] }], [
      { metrics: ["acc"], domains: {}, descriptions: { hparams: { lr: "first" }, metrics: {} }, intervals: { lr: [0.001, 0.1] } },
      { metrics: [], domains: {}, descriptions: { hparams: { lr: "later" }, metrics: { acc: "Accuracy" } }, intervals: { lr: [0, 1] } },
    ], () => undefined);
    expect(m.columns.map((c) => [c.name, c.description, c.interval, c.min, c.max])).toEqual([
      ["lr", "first", [0.001, 0.1], 0.001, 0.1], ["acc", "Accuracy", null, NaN, NaN],
    ]);
  });

  it("infers the metrics as TensorBoard does when no record names one (Keras' hp.KerasCallback)", () => {
    const sessions = new Set(["lr_0.01", "lr_0.1"]);
    expect(sessionOf("lr_0.01/train", sessions)).toBe("lr_0.01");
    expect(sessionOf("lr_0.01", sessions)).toBe("lr_0.01");
    expect(sessionOf("lr_0.010/train", sessions)).toBeNull(); // a prefix of the name, not of the path
    expect(sessionOf("other", sessions)).toBeNull();
    expect(sessionOf("a/b", new Set(["."]))).toBe(".");
    expect(metricNameOf("lr_0.1/validation", "epoch_loss", sessions)).toBe("validation/epoch_loss");
    expect(metricNameOf("lr_0.1", "final", sessions)).toBe("final");
    expect(metricNameOf("x/validation", "epoch_loss", new Set(["."]))).toBe("x/validation/epoch_loss");
    const series: [string, string][] = [
      ["lr_0.01/train", "epoch_loss"], ["lr_0.01/validation", "epoch_loss"], ["lr_0.1/train", "epoch_loss"],
      ["lr_0.1/validation", "epoch_accuracy"], ["lr_0.1", "final"], ["unrelated", "loss"],
    ];
    expect(inferMetricNames(sessions, series)).toEqual(["final", "train/epoch_loss", "validation/epoch_accuracy", "validation/epoch_loss"]);
    // inferred only when no record names a metric
    const rec = (run: string, metrics: string[]) => ({ run, step: 0, index: 0, hparams: { lr: 1 }, metrics });
    const infer = (runs: ReadonlySet<string>) => inferMetricNames(runs, series);
    expect(buildModel([rec("lr_0.01", []), rec("lr_0.1", [])], [], () => undefined, infer).columns.map((c) => c.key))
      .toEqual(["h:lr", "m:final", "m:train/epoch_loss", "m:validation/epoch_accuracy", "m:validation/epoch_loss"]);
    expect(buildModel([rec("lr_0.01", ["acc"]), rec("lr_0.1", [])], [], () => undefined, infer).columns.map((c) => c.key))
      .toEqual(["h:lr", "m:acc"]);
  });

  it("infers number and category columns", () => {
    const cols = inferColumns([
      S("a", { lr: 0.1, n: 3, opt: "adam", bn: true, mix: 1, nf: "nan" }),
      S("b", { lr: 0.001, n: 5, opt: "sgd", bn: false, mix: "x", nf: 2 }),
      S("c", { lr: null, n: 4, opt: "Adam", bn: true, mix: 2, nf: "inf" }),
    ], ["acc"], {});
    const by = Object.fromEntries(cols.map((c) => [c.name, c]));
    expect(by.lr).toMatchObject({ type: "number", min: 0.001, max: 0.1 });
    expect(by.n).toMatchObject({ type: "number", min: 3, max: 5 });
    expect(by.opt).toMatchObject({ type: "category", categories: ["adam", "Adam", "sgd"] });
    expect(by.bn).toMatchObject({ type: "category", categories: ["false", "true"] });
    expect(by.mix).toMatchObject({ type: "category", categories: ["1", "2", "x"] });
    expect(by.nf).toMatchObject({ type: "number", min: 2, max: 2 }); // "nan"/"inf" from Python are numbers
    expect(cellValue(S("z", { nf: "-inf" }), by.nf)).toBe(-Infinity);
    expect(by.acc).toMatchObject({ group: "metric", type: "number" });
    expect(Number.isNaN(by.acc.min)).toBe(true);
  });

  it("formats ints as ints, other numbers compactly", () => {
    expect(fmtCell(64)).toBe("64");
    expect(fmtCell(1000000)).toBe("1000000");
    expect(fmtCell(-3)).toBe("-3");
    expect(fmtCell(0.004430375245218269)).toBe("0.0044304");
    expect(fmtCell(1e-5)).toBe("1e-5");
    expect(fmtCell(0.25)).toBe("0.25");
    expect(fmtCell(NaN)).toBe("NaN");
    expect(fmtCell(true)).toBe("true");
    expect(fmtCell("adam")).toBe("adam");
    expect(fmtCell(undefined)).toBe("");
  });

  const cols: Column[] = inferColumns([S("a", { lr: 0.1, opt: "adam" })], ["acc"], {});
  const sessions = [
    S("run10", { lr: 0.1, opt: "sgd" }, { acc: 0.8 }),
    S("run2", { lr: 0.001, opt: "adam" }, { acc: NaN }),
    S("run1", { lr: 0.01, opt: "adam10" }),
    S("run3", { lr: 0.05, opt: "adam9" }, { acc: 0.9 }),
  ];

  it("sorts ascending and descending, missing values last both ways", () => {
    const acc = cols.find((c) => c.name === "acc")!, opt = cols.find((c) => c.name === "opt")!;
    expect(sortSessions(sessions, acc, "asc").map((s) => s.run)).toEqual(["run10", "run3", "run2", "run1"]);
    expect(sortSessions(sessions, acc, "desc").map((s) => s.run)).toEqual(["run3", "run10", "run2", "run1"]);
    expect(sortSessions(sessions, opt, "asc").map((s) => s.hparams.opt)).toEqual(["adam", "adam9", "adam10", "sgd"]);
    expect(sortSessions(sessions, null, "asc").map((s) => s.run)).toEqual(["run1", "run2", "run3", "run10"]);
    expect(sortSessions(sessions, null, "desc").map((s) => s.run)).toEqual(["run10", "run3", "run2", "run1"]);
    expect(compareCells(1, "a", "asc")).toBe(-1);
    expect(compareCells(undefined, undefined, "desc")).toBe(0);
  });

  it("filters rows by regex over runs and values", () => {
    expect(sessions.filter(rowFilter("run1", cols).test).map((s) => s.run)).toEqual(["run10", "run1"]);
    expect(sessions.filter(rowFilter("^adam", cols).test).map((s) => s.run)).toEqual(["run2", "run1", "run3"]);
    expect(sessions.filter(rowFilter("0.9", cols).test).map((s) => s.run)).toEqual(["run3"]);
    const bad = rowFilter("adam(", cols);
    expect(bad.valid).toBe(false);
    expect(sessions.filter(rowFilter("", cols).test)).toHaveLength(4);
  });

  it("per-column filters: comparisons, ranges, regex, empty cells", () => {
    const lr = cols[0], opt = cols[1], acc = cols[2];
    const runs = (f: (s: Session) => boolean) => sessions.filter(f).map((s) => s.run);
    const by = (text: string, c: Column) => { const f = columnFilter(text, c); return (s: Session) => f.test(cellValue(s, c)); };
    expect(runs(by(">0.01", lr))).toEqual(["run10", "run3"]);
    expect(runs(by(">=0.01 <0.1", lr))).toEqual(["run1", "run3"]);
    expect(runs(by("0.001..0.01", lr))).toEqual(["run2", "run1"]);
    expect(runs(by("=0.05", lr))).toEqual(["run3"]);
    expect(runs(by("1e-3..5e-3", lr))).toEqual(["run2"]);
    expect(runs(by("^adam\\d", opt))).toEqual(["run1", "run3"]);
    expect(runs(by("!", acc))).toEqual(["run1"]);
    expect(runs(by("0.8", acc))).toEqual(["run10"]); // not a comparison: text
    expect(columnFilter("[", opt).valid).toBe(false);
  });
});

describe("axis scales", () => {
  it("linear: fractions of the range, a flat range in the middle, nice ticks", () => {
    const s = linearScale(2, 6);
    expect(s.frac(2)).toBe(0);
    expect(s.frac(6)).toBe(1);
    expect(s.frac(5)).toBe(0.75);
    expect(s.frac(NaN)).toBeNull();
    expect(s.frac("x")).toBeNull();
    expect(s.invert(0.25)).toBe(3);
    expect(s.ticks().map((t) => t.label)).toEqual(["2", "3", "4", "5", "6"]);
    expect(linearScale(4, 4).frac(4)).toBe(0.5);
    expect(linearScale(NaN, NaN).ticks()).toEqual([]);
    expect(niceTicks(0, 1, 5).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-0.013, 0.027, 4).step).toBe(0.01);
    expect(niceTicks(0.0123, 0.295, 5).values.map((v) => +v.toFixed(3))).toEqual([0.05, 0.1, 0.15, 0.2, 0.25]);
  });

  it("log: decades evenly spaced; only for positive columns", () => {
    const s = logScale(1e-4, 1e-1);
    expect(s.frac(1e-4)).toBeCloseTo(0);
    expect(s.frac(1e-2)).toBeCloseTo(2 / 3);
    expect(s.frac(0)).toBeNull();
    expect(s.invert(1 / 3)).toBeCloseTo(1e-3);
    expect(s.ticks().map((t) => t.label)).toEqual(["1e-4", "0.001", "0.01", "0.1"]);
    const col = inferColumns([S("a", { lr: 0.1 }), S("b", { lr: 0.001 })], [], {})[0];
    expect(canLog(col)).toBe(true);
    expect(axisScale(col, true).kind).toBe("log");
    const neg = inferColumns([S("a", { w: -1 }), S("b", { w: 2 })], [], {})[0];
    expect(canLog(neg)).toBe(false);
    expect(axisScale(neg, true).kind).toBe("linear");
  });

  it("categorical: evenly spaced categories", () => {
    const s = categoryScale(["adam", "sgd", "rmsprop"]);
    expect(s.frac("adam")).toBeCloseTo(1 / 6);
    expect(s.frac("sgd")).toBeCloseTo(0.5);
    expect(s.frac("rmsprop")).toBeCloseTo(5 / 6);
    expect(s.frac("other")).toBeNull();
    expect(s.ticks().map((t) => t.label)).toEqual(["adam", "sgd", "rmsprop"]);
    expect(categoryScale(["true"]).frac(true)).toBe(0.5);
  });
});

describe("brushes", () => {
  it("a drag on a number axis selects a value range (in data, also on a log axis)", () => {
    const b = brushFromFracs(linearScale(0, 10), 0.8, 0.3) as Extract<Brush, { kind: "range" }>;
    expect(b.kind).toBe("range");
    expect(b.lo).toBeCloseTo(3);
    expect(b.hi).toBeCloseTo(8);
    expect(inBrush(b, 5)).toBe(true);
    expect(inBrush(b, 8.5)).toBe(false);
    expect(inBrush(b, undefined)).toBe(false);
    expect(inBrush(b, NaN)).toBe(false);
    // a drag to an end of the axis is open on that side
    const open = brushFromFracs(linearScale(0, 10), 0, 0.5) as Extract<Brush, { kind: "range" }>;
    expect([open.lo, open.hi]).toEqual([-Infinity, 5]);
    expect(inBrush(open, -100)).toBe(true);
    expect(brushFracs(linearScale(0, 10), open)).toEqual([0, 0.5]);
    expect((brushFromFracs(linearScale(0, 10), 0.5, 1) as Extract<Brush, { kind: "range" }>).hi).toBe(Infinity);
    const lb = brushFromFracs(logScale(1e-4, 1), 0.25, 0.5) as Extract<Brush, { kind: "range" }>;
    expect(lb.lo).toBeCloseTo(1e-3);
    expect(lb.hi).toBeCloseTo(1e-2);
    expect(brushFracs(linearScale(0, 10), b)).toEqual([0.3, 0.8]);
    // the data grew past the brush: clamped to the axis
    expect(brushFracs(linearScale(4, 6), b)).toEqual([0, 1]);
  });

  it("a drag on a category axis selects the categories it covers (or the nearest)", () => {
    const s = categoryScale(["a", "b", "c", "d"]); // at 0.125, 0.375, 0.625, 0.875
    const b = brushFromFracs(s, 0.3, 0.7);
    expect(b).toEqual({ kind: "set", values: new Set(["b", "c"]) });
    expect(brushFracs(s, b)).toEqual([0.25, 0.75]);
    expect(brushFromFracs(s, 0.51, 0.55)).toEqual({ kind: "set", values: new Set(["c"]) });
    expect(inBrush(b, "b")).toBe(true);
    expect(inBrush(b, "a")).toBe(false);
  });

  it("sessions pass when every brush holds", () => {
    const sessions = [
      S("a", { lr: 0.1, opt: "adam" }, { acc: 0.9 }),
      S("b", { lr: 0.01, opt: "sgd" }, { acc: 0.7 }),
      S("c", { lr: 0.001, opt: "adam" }),
    ];
    const cols = inferColumns(sessions, ["acc"], {});
    const brushes = new Map<string, Brush>([["h:opt", { kind: "set", values: new Set(["adam"]) }]]);
    expect(brushed(sessions, cols, brushes).map((s) => s.run)).toEqual(["a", "c"]);
    brushes.set("m:acc", { kind: "range", lo: 0.5, hi: 1 });
    expect(brushed(sessions, cols, brushes).map((s) => s.run)).toEqual(["a"]); // c has no acc
    expect(brushed(sessions, cols, new Map())).toHaveLength(3);
    // a brush on a column that is not shown is ignored
    expect(brushed(sessions, cols.slice(0, 1), brushes)).toHaveLength(3);
  });
});

describe("layout, hit testing and colour", () => {
  it("axes are evenly spaced; the nearest polyline is found between axes", () => {
    expect(axisPositions(3, 500, 50, 50)).toEqual([50, 250, 450]);
    expect(axisPositions(1, 500, 50, 50)).toEqual([250]);
    const xs = [0, 100, 200];
    const ys = [[10, 10, 10], [50, 90, 50], [NaN, 30, 30]];
    expect(nearestLine(xs, ys, 50, 12)).toBe(0);
    expect(nearestLine(xs, ys, 50, 70)).toBe(1); // halfway between 50 and 90
    expect(nearestLine(xs, ys, 50, 30)).toBe(-1); // line 2 has no segment there
    expect(nearestLine(xs, ys, 150, 31)).toBe(2);
    expect(nearestLine(xs, ys, 202, 49)).toBe(1); // just past the last axis
  });

  it("a sequential colour scale, through the axis' scale", () => {
    expect(sequentialColor(0)).toBe("rgb(68,1,84)");
    expect(sequentialColor(1, true)).toBe("rgb(253,231,37)");
    // the ends that would vanish: the darkest on dark backgrounds, the yellowest on white
    const lum = (c: string) => { const [r, g, b] = c.match(/\d+/g)!.map(Number); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    expect(lum(sequentialColor(0, true))).toBeGreaterThan(lum(sequentialColor(0)) + 25);
    expect(lum(sequentialColor(1))).toBeLessThan(lum(sequentialColor(1, true)) - 10);
    expect(sequentialColor(-3)).toBe(sequentialColor(0));
    expect(sequentialColor(NaN)).toBe(sequentialColor(0));
    const col = inferColumns([S("a", { lr: 1e-4 }), S("b", { lr: 1 })], [], {})[0];
    const cs = colorScale(col, axisScale(col, true));
    expect(cs.color(1e-2)).toBe(sequentialColor(0.5));
    expect(cs.color(undefined)).toBeNull();
    expect([cs.lo, cs.hi]).toEqual([1e-4, 1]);
  });

  it("scatter jitter is stable and bounded", () => {
    for (const r of ["a", "trial_1", "trial_12", ""]) {
      expect(jitter(r)).toBe(jitter(r));
      expect(jitter(r)).toBeGreaterThanOrEqual(-0.5);
      expect(jitter(r)).toBeLessThan(0.5);
    }
  });
});

describe("a session's metric series (Show metrics)", () => {
  const series = (run: string, tag: string, length: number) => ({ run, tag, length }) as unknown as ScalarSeries;
  const held = [series("s1", "hparam/acc", 1), series("s1/validation", "epoch_loss", 5), series("s2", "loss", 0)];
  const slice = { get: (run: string, tag: string) => held.find((s) => s.run === run && s.tag === tag) } as unknown as ScalarSlice;

  it("is the series the metric's value is read from: the session's tag, else a sub-run's, none without points", () => {
    expect(metricSeries(slice, "s1", "hparam/acc")?.run).toBe("s1");
    expect(metricSeries(slice, "s1", "validation/epoch_loss")?.run).toBe("s1/validation");
    expect(metricSeries(slice, "s2", "loss")).toBeNull(); // no points yet
    expect(metricSeries(slice, "s3", "hparam/acc")).toBeNull();
  });
});
