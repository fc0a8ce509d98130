import { describe, expect, it } from "vitest";
import { customScalars, KINDS, scalars } from "../src/kinds";
import { decodeLayout, matchTags, mergeLayouts, tagMatcher, type Category } from "../src/kinds/custom_scalars/layout";
import { envelope, joinMargin } from "../src/kinds/custom_scalars/margin";
import { currentLayout } from "../src/kinds/custom_scalars/record";
import { BoardStore } from "../src/store";
import { f64View } from "./helpers";

const TAG = "custom_scalars__config__";

const multi = (title: string, ...multiline: string[]) => ({ title, multiline });
const margin = (title: string, value: string, lower: string, upper: string) => ({ title, margin: [{ value, lower, upper }] });
const cat = (title: string, charts: object[], closed = false) => ({ title, closed, charts });

describe("custom scalars layout", () => {
  it("decodes the wire layout (margin as a list or one object; junk skipped)", () => {
    const l = decodeLayout([
      cat("Losses", [multi("loss", "loss/.*"), margin("acc", "acc", "acc_lo", "acc_hi")], true),
      { title: "Other", charts: [{ title: "m", margin: { value: "v", lower: "l", upper: "u" } }, { title: "nothing" }, 3] },
      "junk",
    ]);
    expect(l).toEqual([
      { title: "Losses", closed: true, charts: [{ title: "loss", multiline: ["loss/.*"] }, { title: "acc", margin: [{ value: "acc", lower: "acc_lo", upper: "acc_hi" }] }] },
      { title: "Other", closed: false, charts: [{ title: "m", margin: [{ value: "v", lower: "l", upper: "u" }] }] },
    ]);
    expect(() => decodeLayout(undefined)).toThrow();
  });

  it("merges runs as TensorBoard: sorted runs, categories by title, duplicate charts once", () => {
    const byRun = new Map<string, Category[]>([
      ["b", decodeLayout([cat("A", [multi("x", "x"), multi("y", "y")]), cat("C", [multi("z", "z")])])],
      ["a", decodeLayout([cat("A", [multi("x", "x")], true), cat("B", [multi("w", "w")])])],
    ]);
    const merged = mergeLayouts(byRun);
    expect(merged.map((c) => c.title)).toEqual(["A", "B", "C"]);
    expect(merged[0].charts.map((c) => c.title)).toEqual(["x", "y"]);
    expect(merged[0].closed).toBe(true); // from run "a", the first in order
    // the inputs are not modified
    expect(byRun.get("a")![0].charts).toHaveLength(1);
  });

  it("matches tags as Python's re.match: anchored at the start only", () => {
    const tags = ["loss", "loss/train", "train/loss", "eval/loss", "Loss_big", "acc"];
    expect(matchTags(["loss"], tags).tags).toEqual(["loss", "loss/train"]);
    expect(matchTags(["loss$"], tags).tags).toEqual(["loss"]);
    expect(matchTags([".*/loss"], tags).tags).toEqual(["eval/loss", "train/loss"]);
    expect(matchTags(["acc", "eval/.*"], tags).tags).toEqual(["acc", "eval/loss"]);
    expect(matchTags(["(?i)loss_"], tags).tags).toEqual(["Loss_big"]);
    expect(matchTags(["a|loss/t"], tags).tags).toEqual(["acc", "loss/train"]); // alternation stays anchored
    expect(matchTags(["(", "", "acc"], tags)).toEqual({ tags: ["acc"], invalid: ["(", ""] });
  });

  it("translates Python-only regex syntax", () => {
    expect(tagMatcher("(?P<k>ab)_(?P=k)")!.test("ab_ab")).toBe(true);
    expect(tagMatcher("(?P<k>ab)_(?P=k)")!.test("ab_ba")).toBe(false);
    expect(tagMatcher("\\Aloss\\Z")!.test("loss")).toBe(true);
    expect(tagMatcher("\\Aloss\\Z")!.test("loss2")).toBe(false);
    expect(tagMatcher("[unclosed")).toBeNull();
  });
});

describe("margin charts", () => {
  it("joins lower and upper to the value series on step", () => {
    const value = { steps: [0, 1, 2, 3], walls: [10, 11, 12, 13], values: [5, 6, 7, 8], length: 4 };
    const lower = { steps: [0, 2, 3, 3], values: [4, 6, 1, 7], length: 4 }; // step 3 logged twice: the last wins
    const c = joinMargin(value, lower, null);
    expect(Array.from(c.lower)).toEqual([4, NaN, 6, 7]);
    expect(Array.from(c.upper)).toEqual([NaN, NaN, NaN, NaN]);
    expect(Array.from(c.value)).toEqual([5, 6, 7, 8]);
  });

  it("keeps the envelope per bucket: value min and max, lowest lower, highest upper", () => {
    const n = 1000;
    const steps = Array.from({ length: n }, (_, i) => i);
    const values = steps.map((i) => (i === 501 ? 100 : Math.sin(i)));
    const c = joinMargin(
      { steps, walls: steps, values, length: n },
      { steps, values: values.map((v, i) => (i === 250 ? -50 : v - 1)), length: n },
      { steps, values: values.map((v) => v + 1), length: n },
    );
    const e = envelope(c.steps, c, 0, n - 1, 50);
    expect(e.n).toBeLessThanOrEqual(100);
    expect(Math.max(...e.value)).toBe(100);
    expect(Math.min(...e.lower)).toBe(-50);
    expect(Math.max(...e.upper)).toBe(101);
    // few points: unchanged
    expect(envelope(c.steps, c, 0, n - 1, 600).n).toBe(n);
  });
});

describe("the custom scalars kind", () => {
  const newStore = () => new BoardStore({ send: () => {}, kinds: [...KINDS] });
  const layoutEntry = (run: string, index: number, layout: object[], wall = 1) =>
    ({ run, tag: TAG, index, step: 0, wall, layout });
  const scalarEntry = (run: string, tag: string, buffer: number) =>
    ({ run, tag, epoch: 0, offset: 0, count: 2, decimated: false, total: 2, buffer });

  it("shows its tab once a layout exists, the latest layout of each run, and counts charts with data", () => {
    const store = newStore();
    expect(store.kinds.map((k) => k.name)).toContain("custom_scalars");
    expect(store.hasData(customScalars)).toBe(false);
    store.handleMessage({
      type: "delta", seq: 1, runs: ["r1"],
      entries: { custom_scalars: [layoutEntry("r1", 0, [cat("Old", [multi("o", "nothing")])])] },
    }, []);
    expect(store.hasData(customScalars)).toBe(true);
    expect(customScalars.hooks!(store)).toEqual({ customScalarCharts: "0" });

    // a second add_custom_scalars in the same run replaces the first
    store.handleMessage({
      type: "delta", seq: 2, runs: ["r1", "r2"],
      entries: {
        custom_scalars: [layoutEntry("r1", 1, [cat("Losses", [multi("loss", "loss"), margin("acc band", "acc", "acc_lo", "acc_hi")])], 2)],
        scalars: [scalarEntry("r1", "loss/train", 0), scalarEntry("r2", "loss/eval", 1)],
      },
    }, [f64View([0, 1, 1, 2, 0.5, 0.4]), f64View([0, 1, 1, 2, 0.6, 0.5])]);
    const { layout } = currentLayout(store.slice(customScalars));
    expect(layout.map((c) => c.title)).toEqual(["Losses"]);
    expect(customScalars.hooks!(store)).toEqual({ customScalarCharts: "1" }); // multiline only: no "acc" yet

    store.handleMessage({
      type: "delta", seq: 3, runs: ["r1", "r2"],
      entries: { scalars: [scalarEntry("r2", "acc", 0)] },
    }, [f64View([0, 1, 1, 2, 0.7, 0.8])]);
    expect(store.slice(scalars).get("r2", "acc")!.length).toBe(2);
    expect(customScalars.hooks!(store)).toEqual({ customScalarCharts: "2" });
  });

  it("merges the layouts of several runs", () => {
    const store = newStore();
    store.handleMessage({
      type: "delta", seq: 1, runs: ["b", "a"],
      entries: {
        custom_scalars: [
          layoutEntry("b", 0, [cat("Shared", [multi("two", "b")]), cat("Only b", [multi("bb", "b")])]),
          layoutEntry("a", 0, [cat("Shared", [multi("one", "a")], true)]),
        ],
      },
    }, []);
    const { layout } = currentLayout(store.slice(customScalars));
    expect(layout.map((c) => [c.title, c.closed, c.charts.map((x) => x.title)])).toEqual([
      ["Shared", true, ["one", "two"]],
      ["Only b", false, ["bb"]],
    ]);
  });
});

describe("tag shades", () => {
  it("keeps the run colour for the first tag and alternates darker / lighter", async () => {
    const { tagShade } = await import("../src/kinds/custom_scalars/panel");
    expect(tagShade("#ff0000", 0, false)).toBe("#ff0000");
    const darker = tagShade("#ff0000", 1, false), lighter = tagShade("#ff0000", 2, false);
    expect(darker).toMatch(/^rgba\((\d+),0,0,1\)$/);
    expect(Number(/\((\d+)/.exec(darker)![1])).toBeLessThan(255);
    expect(lighter).toMatch(/^rgba\(255,(\d+),\1,1\)$/);
    expect(new Set([0, 1, 2, 3, 4].map((i) => tagShade("#3366cc", i, true))).size).toBe(5);
  });
});
