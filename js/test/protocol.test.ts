import { describe, expect, it } from "vitest";
import { decodeMessage, toFloat64 } from "../src/protocol";
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

describe("decodeMessage", () => {
  it("decodes a full delta", () => {
    const scalarBuf = f64View([10, 20, 1.7e9, 1.7e9 + 1, 0.5, 0.25], 3);
    const png = bytesView([0x89, 0x50, 0x4e, 0x47], 5);
    const hist = f64View([0, 1, 2, 3, 5, 6, 7], 1); // k=3: 4 edges then 3 counts
    const msg = decodeMessage({
      type: "delta", seq: 17, runs: ["a", "b"],
      scalars: [{ run: "a", tag: "loss", epoch: 2, offset: 120, count: 2, decimated: true, total: 150, buffer: 0 }],
      images: [{ run: "a", tag: "img", index: 3, step: 300, wall: 1.7e9, width: 1, height: 1, mime: "image/png", buffer: 1 }],
      histograms: [{ run: "b", tag: "w", index: 5, step: 500, wall: 1.7e9, k: 3, buffer: 2 }],
      text: [{ run: "b", tag: "notes/text_summary", index: 0, step: 0, wall: 1.7e9, text: "**hi**" }],
    }, [scalarBuf, png, hist]);
    expect(msg.type).toBe("delta");
    if (msg.type !== "delta") return;
    const d = msg.delta;
    expect(d.seq).toBe(17);
    expect(d.runs).toEqual(["a", "b"]);
    expect(d.errors).toEqual([]);
    const s = d.scalars[0];
    expect([s.epoch, s.offset, s.count, s.decimated, s.total]).toEqual([2, 120, 2, true, 150]);
    expect(Array.from(s.steps)).toEqual([10, 20]);
    expect(Array.from(s.walls)).toEqual([1.7e9, 1.7e9 + 1]);
    expect(Array.from(s.values)).toEqual([0.5, 0.25]);
    expect(Array.from(d.images[0].bytes)).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(d.images[0].index).toBe(3);
    expect(Array.from(d.histograms[0].edges)).toEqual([0, 1, 2, 3]);
    expect(Array.from(d.histograms[0].counts)).toEqual([5, 6, 7]);
    expect(d.text[0].text).toBe("**hi**");
  });

  it("skips malformed entries and reports them", () => {
    const msg = decodeMessage({
      type: "delta", seq: 1, runs: [],
      scalars: [
        { run: "a", tag: "x", offset: 0, count: 2, buffer: 0 }, // wrong length: 3 floats for count 2
        { run: "a", tag: "y", offset: 0, count: 1, buffer: 1 },
        { run: "a", tag: "z", offset: 0, count: 1, buffer: 9 }, // missing buffer
        "nonsense",
      ],
      histograms: [{ run: "a", tag: "h", index: 0, step: 0, k: 4, buffer: 1 }],
    }, [f64View([1, 2, 3]), f64View([1, 2, 3])]);
    if (msg.type !== "delta") throw new Error("not a delta");
    expect(msg.delta.scalars.map((s) => s.tag)).toEqual(["y"]);
    expect(msg.delta.histograms).toEqual([]);
    expect(msg.delta.errors.length).toBe(4);
  });

  it("decodes range replies and ignores unknown messages", () => {
    const r = decodeMessage({ type: "range", id: 3, run: "a", tag: "t", count: 1, decimated: false, buffer: 0 },
      [f64View([1000, 1.7e9, 0.1], 7)]);
    expect(r.type).toBe("range");
    if (r.type === "range") expect(Array.from(r.reply!.values)).toEqual([0.1]);
    expect(decodeMessage({ type: "what" }, []).type).toBe("ignored");
    expect(decodeMessage(null, []).type).toBe("ignored");
  });
});
