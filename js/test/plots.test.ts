import { describe, expect, it } from "vitest";
import { applyOp, decodePlot, WindowFold, windowPoints, type PlotRecord } from "../src/kinds/plots/model";
import { colorLut, extent, niceTicks } from "../src/kinds/plots/draw";
import { RecordList } from "../src/kinds/record-kind";
import { Buffers } from "../src/wire";

const rec = (index: number, op: PlotRecord["op"], spec: Record<string, unknown>, data: number[] = []): PlotRecord => ({
  run: "main", tag: "loss", index, step: index, wall: 0, op, spec, data: new Float64Array(data),
});

describe("plots (Visdom windows)", () => {
  it("decodes an entry and its float64 buffer", () => {
    const buf = new Float64Array([1, 2, 3, 4]).buffer;
    const r = decodePlot({ op: "set", spec: { type: "bar" }, buffer: 0 }, new Buffers([new DataView(buf)]),
      { run: "r", tag: "w", index: 0, step: 0, wall: 0 });
    expect(r.op).toBe("set");
    expect([...r.data]).toEqual([1, 2, 3, 4]);
    expect(() => decodePlot({ op: "nope" }, new Buffers([]), { run: "r", tag: "w", index: 0, step: 0, wall: 0 })).toThrow();
  });

  it("folds set / append / remove / opts / close in order", () => {
    let st = applyOp(null, rec(0, "set", { type: "line", opts: { title: "t" }, traces: [{ name: "a", n: 2, dims: 2 }] }, [0, 1, 5, 6]));
    expect(st!.traces[0].series!.length).toBe(2);
    st = applyOp(st, rec(1, "append", { traces: [{ name: "a", n: 1, dims: 2 }, { name: "b", n: 1, dims: 2 }] }, [2, 7, 2, 9]));
    expect(windowPoints(st!)).toBe(4);
    expect([...st!.traces[0].cols[1].values]).toEqual([5, 6, 7]);
    st = applyOp(st, rec(2, "remove", { name: "b" }));
    expect(st!.traces.map((t) => t.name)).toEqual(["a"]);
    st = applyOp(st, rec(3, "opts", { opts: { xlabel: "x" } }));
    expect(st!.opts).toEqual({ title: "t", xlabel: "x" });
    expect(applyOp(st, rec(4, "close", {}))).toBeNull();
    expect(applyOp(null, rec(5, "append", { traces: [] }))).toBeNull(); // updates of a closed window
  });

  it("folds a record list incrementally, up to the first hole", () => {
    const l = new RecordList<PlotRecord>("main", "w");
    const f = new WindowFold();
    l.put(rec(0, "set", { type: "scatter", traces: [{ name: "1", n: 1, dims: 2 }] }, [1, 1]));
    l.put(rec(2, "append", { traces: [{ name: "1", n: 1, dims: 2 }] }, [3, 3]));
    expect(windowPoints(f.update(l)!)).toBe(1);
    l.put(rec(1, "append", { traces: [{ name: "1", n: 1, dims: 2 }] }, [2, 2]));
    expect(windowPoints(f.update(l)!)).toBe(3);
  });

  it("counts matrix windows' points", () => {
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "heatmap", rows: 500, cols: 500 }))!)).toBe(250000);
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "histogram", bins: 30 }))!)).toBe(30);
  });

  it("has ticks, extents and colour maps", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(extent([[1, 1]])).toEqual([0, 2]);
    const lut = colorLut("greys");
    expect(lut[0] & 0xffffff).toBe(0);
    expect(lut[255] & 0xffffff).toBe(0xffffff);
    expect(colorLut("unknown")[0]).toBe(colorLut("viridis")[0]);
  });
});
