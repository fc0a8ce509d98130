import { describe, expect, it } from "vitest";
import { histograms, images, KINDS, scalars, text } from "../src/kinds";
import { DASHBOARD_ORDER } from "../src/kinds/types";
import { decodeMessage, entriesOf, toFloat64, type Delta } from "../src/protocol";
import { bytesView, f64View } from "./helpers";

describe("buffers", () => {
  it("copies float64 out of a DataView at an odd byteOffset", () => {
    for (const pad of [1, 3, 5, 7, 8]) {
      const dv = f64View([1.5, -2, NaN, 1e300], pad);
      expect(dv.byteOffset % 8 === 0).toBe(pad % 8 === 0);
      const got = toFloat64(dv);
      expect(got.length).toBe(4);
      expect(Array.from(got)).toEqual([1.5, -2, NaN, 1e300]);
      // a copy: changing the source does not change the result
      dv.setFloat64(0, 99, true);
      expect(got[0]).toBe(1.5);
    }
  });

  it("accepts ArrayBuffer and typed-array views", () => {
    expect(Array.from(toFloat64(new Float64Array([1, 2]).buffer))).toEqual([1, 2]);
    const u8 = new Uint8Array(20);
    new DataView(u8.buffer).setFloat64(3, 42, true);
    expect(Array.from(toFloat64(u8.subarray(3, 11)))).toEqual([42]);
  });

  it("rejects buffers whose length is not a multiple of 8", () => {
    expect(() => toFloat64(new DataView(new ArrayBuffer(12)))).toThrow();
  });
});

function deltaOf(content: object, buffers: DataView[] = []): Delta {
  const msg = decodeMessage({ type: "delta", seq: 1, runs: [], ...content }, buffers);
  if (msg.type !== "delta") throw new Error("not a delta");
  return msg.delta;
}

describe("decodeMessage (protocol v2)", () => {
  it("decodes a full delta", () => {
    const scalarBuf = f64View([10, 20, 1.7e9, 1.7e9 + 1, 0.5, 0.25], 3);
    const png = bytesView([0x89, 0x50, 0x4e, 0x47], 5);
    const hist = f64View([0, 1, 2, 3, 5, 6, 7], 1); // k=3: 4 edges then 3 counts
    const d = deltaOf({
      seq: 17, runs: ["a", "b"],
      entries: {
        scalars: [{ run: "a", tag: "loss", epoch: 2, offset: 120, count: 2, decimated: true, total: 150, buffer: 0 }],
        images: [{ run: "a", tag: "img", index: 3, step: 300, wall: 1.7e9, width: 1, height: 1, mime: "image/png", buffer: 1 }],
        histograms: [{ run: "b", tag: "w", index: 5, step: 500, wall: 1.7e9, k: 3, buffer: 2 }],
        text: [{ run: "b", tag: "notes/text_summary", index: 0, step: 0, wall: 1.7e9, text: "**hi**" }],
      },
    }, [scalarBuf, png, hist]);
    expect(d.seq).toBe(17);
    expect(d.runs).toEqual(["a", "b"]);
    expect(d.errors).toEqual([]);
    expect(d.notices).toBe(null);
    const s = entriesOf(d, scalars)[0];
    expect([s.epoch, s.offset, s.count, s.decimated, s.total]).toEqual([2, 120, 2, true, 150]);
    expect(Array.from(s.steps)).toEqual([10, 20]);
    expect(Array.from(s.walls)).toEqual([1.7e9, 1.7e9 + 1]);
    expect(Array.from(s.values)).toEqual([0.5, 0.25]);
    const img = entriesOf(d, images)[0];
    expect(Array.from(img.bytes)).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect([img.index, img.step, img.width, img.mime]).toEqual([3, 300, 1, "image/png"]);
    const h = entriesOf(d, histograms)[0];
    expect(Array.from(h.edges)).toEqual([0, 1, 2, 3]);
    expect(Array.from(h.counts)).toEqual([5, 6, 7]);
    expect(entriesOf(d, text)[0].text).toBe("**hi**");
  });

  it("skips malformed entries and reports them", () => {
    const d = deltaOf({
      entries: {
        scalars: [
          { run: "a", tag: "x", offset: 0, count: 2, buffer: 0 }, // wrong length: 3 floats for count 2
          { run: "a", tag: "y", offset: 0, count: 1, buffer: 1 },
          { run: "a", tag: "z", offset: 0, count: 1, buffer: 9 }, // missing buffer
          "nonsense",
        ],
        histograms: [{ run: "a", tag: "h", index: 0, step: 0, k: 4, buffer: 1 }],
        images: [{ run: "a", tag: "i", step: 0, buffer: 0 }], // no index
      },
    }, [f64View([1, 2, 3]), f64View([1, 2, 3])]);
    expect(entriesOf(d, scalars).map((s) => s.tag)).toEqual(["y"]);
    expect(entriesOf(d, histograms)).toEqual([]);
    expect(entriesOf(d, images)).toEqual([]);
    expect(d.errors.length).toBe(5);
  });

  it("ignores kinds it does not know, and anything that is not a list of entries", () => {
    const d = deltaOf({
      entries: {
        audio_from_the_future: [{ run: "a", tag: "x", index: 0, step: 0, buffer: 0 }],
        text: "not a list",
      },
      reset: [{ kind: "meshes_from_the_future", run: "a", tag: "x" }, { kind: "text", run: "a", tag: "t" }],
    }, [bytesView([1])]);
    expect(d.errors).toEqual([]);
    expect([...d.entries.keys()]).toEqual(["text"]);
    expect(entriesOf(d, text)).toEqual([]);
    expect(d.reset).toEqual([{ kind: "text", run: "a", tag: "t" }]);
    // no entries at all, or entries that are not an object
    expect(deltaOf({}).entries.size).toBe(0);
    expect(deltaOf({ entries: [1, 2] }).entries.size).toBe(0);
  });

  it("decodes a scalar fold (absent: none; a group under 2 points is malformed)", () => {
    const buf = () => f64View([10, 1.7e9, 0.5]);
    const d = deltaOf({
      entries: {
        scalars: [
          { run: "a", tag: "x", offset: 4, count: 1, decimated: true, fold_size: 8, fold_count: 2, buffer: 0 },
          { run: "a", tag: "y", offset: 4, count: 1, buffer: 1 },
          { run: "a", tag: "z", offset: 4, count: 1, fold_size: 1, fold_count: 3, buffer: 2 },
        ],
      },
    }, [buf(), buf(), buf()]);
    const [x, y] = entriesOf(d, scalars);
    expect([x.foldSize, x.foldCount, y.foldSize, y.foldCount]).toEqual([8, 2, 0, 0]);
    expect(entriesOf(d, scalars).length).toBe(2);
    expect(d.errors.length).toBe(1);
  });

  it("decodes notices (absent: null; malformed ones skipped)", () => {
    const d = deltaOf({ notices: [{ source: "runs/b/events.out.tfevents.1", message: "PermissionError" }, 7] });
    expect(d.notices).toEqual([{ source: "runs/b/events.out.tfevents.1", message: "PermissionError" }]);
    expect(d.errors.length).toBe(1);
    expect(deltaOf({ notices: [] }).notices).toEqual([]);
    expect(deltaOf({ notices: "no" }).notices).toBe(null);
  });

  it("decodes descriptions (absent: null; a name and a tag are needed)", () => {
    const d = deltaOf({ descriptions: [{ run: "r", tag: "loss", description: "**x**" }, { tag: "t" }, 3] });
    expect(d.descriptions).toEqual([{ run: "r", tag: "loss", displayName: "", description: "**x**" }]);
    expect(d.errors.length).toBe(2);
    expect(deltaOf({}).descriptions).toBe(null);
  });

  it("passes other message types on as replies and ignores what is not a message", () => {
    const r = decodeMessage({ type: "range", id: 3, run: "a", tag: "t", count: 1, buffer: 0 }, []);
    expect(r).toMatchObject({ type: "reply", replyType: "range" });
    expect(decodeMessage({ type: 7 }, []).type).toBe("ignored");
    expect(decodeMessage(null, []).type).toBe("ignored");
  });
});

describe("the kinds registry", () => {
  it("lists the kinds in TensorBoard's dashboard order, each name once", () => {
    const names = KINDS.map((k) => k.name);
    // the same names, in the same order, as python_pkg/cellboard/kinds/__init__.py's KINDS
    expect(names).toEqual(["plots", "scalars", "custom_scalars", "images", "audio", "graph", "histograms", "text", "pr_curves", "hparams", "embeddings", "mesh"]);
    expect(new Set(names).size).toBe(names.length);
    const tb = Object.keys(DASHBOARD_ORDER);
    // kinds whose tab has TensorBoard's dashboard name rather than the wire name
    const dashboard = (n: string) => ({ graph: "graphs", embeddings: "projector" } as Record<string, string>)[n] ?? n;
    const positions = names.map((n) => tb.indexOf(dashboard(n)));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const k of KINDS) expect(k.order).toBe(DASHBOARD_ORDER[dashboard(k.name) as keyof typeof DASHBOARD_ORDER]);
    expect(tb.slice(0, 4)).toEqual(["plots", "scalars", "custom_scalars", "images"]);
  });
});
