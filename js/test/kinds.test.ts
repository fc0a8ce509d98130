import { describe, expect, it } from "vitest";
import { images, KINDS, scalars } from "../src/kinds";
import { recordKind, type RecordKind } from "../src/kinds/record-kind";
import type { RecordEntry } from "../src/kinds/types";
import { BoardStore } from "../src/store";
import { pickTab } from "../src/view";
import { bytesView, delta, scalarMsg } from "./helpers";

// A kind as another engineer would add it: fields + a buffer, generic records by index.
interface BlipRecord extends RecordEntry {
  level: number;
  bytes: number;
}
const blips: RecordKind<BlipRecord> = recordKind<BlipRecord>({
  name: "blips",
  label: "Blips",
  order: 35,
  decode(e, buffers, base) {
    const buf = buffers.of(e);
    if (!buf) throw new RangeError("missing buffer");
    return { ...base, level: typeof e.level === "number" ? e.level : 0, bytes: buf.byteLength };
  },
  createPanel: () => { throw new Error("no DOM in these tests"); },
  hooks: (store) => ({ blipCount: String(store.slice(blips).count()) }),
});

const newStore = (kinds = [...KINDS, blips]) => {
  const sent: Record<string, unknown>[] = [];
  return { store: new BoardStore({ send: (m) => sent.push(m), kinds }), sent };
};

describe("a kind is one module", () => {
  it("the store holds a new record kind from its registry, in dashboard order", () => {
    const { store, sent } = newStore([blips, ...KINDS].reverse());
    const names = store.kinds.map((k) => k.name);
    expect(names.slice(0, 5)).toEqual(["plots", "scalars", "custom_scalars", "images", "blips"]);
    expect(names.indexOf("blips")).toBeLessThan(names.indexOf("audio"));
    store.handleMessage({
      type: "delta", seq: 1, runs: ["a"],
      entries: { blips: [{ run: "a", tag: "b", index: 0, step: 5, wall: 1, level: 3, buffer: 0 }] },
    }, [bytesView([1, 2, 3])]);
    const l = store.slice(blips).get("a", "b")!;
    expect(l.list()).toMatchObject([{ run: "a", tag: "b", index: 0, step: 5, level: 3, bytes: 3 }]);
    expect(store.hasData(blips)).toBe(true);
    expect(blips.hooks!(store)).toEqual({ blipCount: "1" });
    // the default registry does not know it: ignored
    const { store: plain } = newStore([...KINDS]);
    plain.handleMessage({ type: "delta", seq: 1, runs: [], entries: { blips: [{ run: "a", tag: "b", index: 0, buffer: 0 }] } }, [bytesView([1])]);
    expect(plain.runs).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe("which tab the board opens", () => {
  it("the first kind with data in dashboard order, until the user picks one", () => {
    const { store } = newStore();
    const withData = () => store.kinds.filter((k) => store.hasData(k)).map((k) => k.name);
    // images arrive first
    store.handleMessage({
      type: "delta", seq: 1, runs: ["a"],
      entries: { images: [{ run: "a", tag: "i", index: 0, step: 0, wall: 1, width: 1, height: 1, buffer: 0 }] },
    }, [bytesView([1])]);
    expect(pickTab(withData(), null)).toBe("images");
    // then scalars: the board moves to Scalars
    const d = delta([scalarMsg("a", "loss", 0, [0], [1])], ["a"], 2);
    store.handleMessage(d.content, d.buffers);
    expect(withData()).toEqual(["scalars", "images"]);
    expect(pickTab(withData(), null)).toBe("scalars");
    // the user's choice sticks while it has data
    expect(pickTab(withData(), "images")).toBe("images");
    expect(pickTab(withData(), "text")).toBe("scalars");
    expect(pickTab([], null)).toBe(null);
    expect(store.hasData(scalars) && store.hasData(images)).toBe(true);
  });
});
