import { describe, expect, it } from "vitest";
import { KINDS, pr_curves } from "../src/kinds";
import {
  decodePrCurve, nearestPoint, prFrame, prPoints, recordAtStep, stepIndex, thresholdAt, unionSteps, xPx, yPx,
  type PrCurveRecord,
} from "../src/kinds/pr_curves/curve";
import { Buffers } from "../src/wire";
import { BoardStore } from "../src/store";
import { f64View } from "./helpers";

const base = { run: "a", tag: "pr", index: 0, step: 0, wall: 1.7e9 };

/** TP, FP, TN, FN, precision, recall for labels/predictions at n thresholds, as torch computes them. */
function counts(labels: number[], preds: number[], n: number): number[][] {
  const rows = [[], [], [], [], [], []] as number[][];
  for (let i = 0; i < n; i++) {
    const t = n > 1 ? i / (n - 1) : 0;
    let tp = 0, fp = 0, tn = 0, fn = 0;
    labels.forEach((l, k) => {
      const pos = preds[k] >= t;
      if (pos && l) tp++; else if (pos) fp++; else if (l) fn++; else tn++;
    });
    rows[0].push(tp); rows[1].push(fp); rows[2].push(tn); rows[3].push(fn);
    rows[4].push(tp / Math.max(1e-7, tp + fp));
    rows[5].push(tp / Math.max(1e-7, tp + fn));
  }
  return rows;
}

function record(rows: number[][], extra: Partial<PrCurveRecord> = {}): PrCurveRecord {
  const n = rows[0].length;
  return decodePrCurve({ thresholds: n, buffer: 0 }, new Buffers([f64View(rows.flat(), 5)]), { ...base, ...extra });
}

describe("decoding a PR-curve entry", () => {
  it("splits the 6n float64 rows (any byteOffset)", () => {
    const rows = counts([1, 0, 1, 1, 0], [0.9, 0.8, 0.6, 0.3, 0.1], 5);
    const r = record(rows);
    expect(r.n).toBe(5);
    expect([...r.tp]).toEqual(rows[0]);
    expect([...r.fn]).toEqual(rows[3]);
    expect([...r.recall]).toEqual(rows[5]);
  });

  it("infers n from the buffer when `thresholds` is absent; throws on a wrong length or no buffer", () => {
    const buf = new Buffers([f64View(new Array(18).fill(1))]);
    expect(decodePrCurve({ buffer: 0 }, buf, base).n).toBe(3);
    expect(() => decodePrCurve({ thresholds: 4, buffer: 0 }, buf, base)).toThrow(/18 float64/);
    expect(() => decodePrCurve({ buffer: 0 }, new Buffers([f64View([1, 2, 3, 4, 5, 6, 7])]), base)).toThrow();
    expect(() => decodePrCurve({ thresholds: 3 }, buf, base)).toThrow(/missing buffer/);
  });

  it("goes into the store through the registry and counts in data-pr-curve-steps", () => {
    const store = new BoardStore({ send: () => {}, kinds: KINDS });
    const rows = counts([1, 0], [0.7, 0.2], 3).flat();
    store.handleMessage({
      type: "delta", seq: 1, runs: ["a", "b"],
      entries: {
        pr_curves: [
          { run: "a", tag: "pr", index: 0, step: 0, wall: 1, thresholds: 3, buffer: 0 },
          { run: "a", tag: "pr", index: 1, step: 10, wall: 2, thresholds: 3, buffer: 1 },
          { run: "b", tag: "pr", index: 0, step: 5, wall: 2, thresholds: 3, buffer: 2 },
          { run: "b", tag: "pr", index: 1, step: 6, wall: 2, thresholds: 99, buffer: 3 }, // malformed: skipped
        ],
      },
    }, [f64View(rows), f64View(rows, 1), f64View(rows, 2), f64View(rows, 4)]);
    expect(pr_curves.hooks!(store)).toEqual({ prCurveSteps: "3" });
    expect(store.hasData(pr_curves)).toBe(true);
    expect(store.slice(pr_curves).get("a", "pr")!.list().map((r) => r.step)).toEqual([0, 10]);
  });
});

describe("the points of a curve", () => {
  it("thresholds are i / (n - 1), 0 for a single one", () => {
    expect(thresholdAt(0, 5)).toBe(0);
    expect(thresholdAt(4, 5)).toBe(1);
    expect(thresholdAt(2, 5)).toBe(0.5);
    expect(thresholdAt(0, 1)).toBe(0);
  });

  it("leaves out thresholds where TP + FP = 0 (precision undefined), as TensorBoard trims them", () => {
    // predictions all below 0.5: thresholds 0.5, 0.75 and 1 predict nothing positive
    const rows = counts([1, 0, 1, 0], [0.45, 0.3, 0.2, 0.05], 5);
    expect(rows[0].map((tp, i) => tp + rows[1][i])).toEqual([4, 2, 0, 0, 0]);
    const pts = prPoints(record(rows));
    expect(pts.map((p) => p.i)).toEqual([0, 1]);
    expect(pts[0]).toEqual({ i: 0, threshold: 0, precision: 0.5, recall: 1, tp: 2, fp: 2, tn: 0, fn: 0 });
    expect(pts[1].threshold).toBe(0.25);
    expect(pts[1]).toMatchObject({ precision: 0.5, recall: 0.5, tp: 1, fp: 1, tn: 1, fn: 1 });
  });

  it("keeps weighted counts below 1 and skips non-finite precision or recall", () => {
    const r = record([[0.4, 0.2, 0], [0.1, 0, 0], [0, 0, 1], [0, 0.2, 0.4], [0.8, NaN, 0], [1, 0.5, 0]]);
    expect(prPoints(r).map((p) => p.i)).toEqual([0]);
    expect(prPoints(r)[0].tp).toBe(0.4);
  });

  it("degenerate records: one threshold, all-zero counts, no thresholds", () => {
    const one = record(counts([1, 0], [0.9, 0.1], 1));
    expect(one.n).toBe(1);
    expect(prPoints(one)).toEqual([{ i: 0, threshold: 0, precision: 0.5, recall: 1, tp: 1, fp: 1, tn: 0, fn: 0 }]);
    expect(prPoints(record([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]))).toEqual([]);
    const empty = decodePrCurve({ thresholds: 0, buffer: 0 }, new Buffers([new ArrayBuffer(0)]), base);
    expect(empty.n).toBe(0);
    expect(prPoints(empty)).toEqual([]);
  });
});

describe("which record a run shows", () => {
  const recs = [{ step: 0, id: "a" }, { step: 10, id: "b" }, { step: 10, id: "c" }, { step: 30, id: "d" }];

  it("its latest at or before the card's step (the last logged at a step), none before its first", () => {
    expect(recordAtStep(recs, -1)).toBe(null);
    expect(recordAtStep(recs, 0)!.id).toBe("a");
    expect(recordAtStep(recs, 9)!.id).toBe("a");
    expect(recordAtStep(recs, 10)!.id).toBe("c");
    expect(recordAtStep(recs, 29)!.id).toBe("c");
    expect(recordAtStep(recs, 1e9)!.id).toBe("d");
    expect(recordAtStep([], 5)).toBe(null);
  });

  it("the slider covers the union of the runs' steps", () => {
    const steps = unionSteps([recs, [{ step: 5 }, { step: 30 }, { step: 40 }]]);
    expect(steps).toEqual([0, 5, 10, 30, 40]);
    expect(stepIndex(steps, 30)).toBe(3);
    expect(stepIndex(steps, 31)).toBe(3); // a step no longer listed (its run was hidden)
    expect(stepIndex(steps, -5)).toBe(0);
    expect(stepIndex(steps, 99)).toBe(4);
    expect(stepIndex([], 3)).toBe(-1);
  });
});

describe("chart geometry", () => {
  it("maps [0, 1] inside the plot, precision up", () => {
    const f = prFrame(400, 300);
    expect(xPx(f, 0)).toBeGreaterThan(f.left);
    expect(xPx(f, 1)).toBeLessThan(f.left + f.w);
    expect(yPx(f, 1)).toBeGreaterThan(f.top);
    expect(yPx(f, 0)).toBeLessThan(f.top + f.h);
    expect(yPx(f, 1)).toBeLessThan(yPx(f, 0));
    expect(xPx(f, 0.5)).toBeCloseTo(f.left + f.w / 2);
  });

  it("the nearest point is nearest on screen, not in threshold", () => {
    const f = prFrame(400, 300);
    const pts = prPoints(record(counts([1, 1, 0, 1, 0, 0, 1], [0.95, 0.8, 0.7, 0.55, 0.4, 0.2, 0.1], 11)));
    const X = (p: (typeof pts)[0]) => xPx(f, p.recall), Y = (p: (typeof pts)[0]) => yPx(f, p.precision);
    for (const [k, p] of pts.entries()) {
      const hit = nearestPoint(pts, X(p) + 1, Y(p) - 1, X, Y)!;
      // several thresholds may share a point: the lowest such threshold is returned
      expect(pts[hit.index].recall).toBe(p.recall);
      expect(pts[hit.index].precision).toBe(p.precision);
      expect(hit.index).toBeLessThanOrEqual(k);
      expect(hit.dist).toBeCloseTo(Math.SQRT2);
    }
    expect(nearestPoint([], 0, 0, X, Y)).toBe(null);
  });
});
