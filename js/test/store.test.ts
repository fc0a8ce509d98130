import { describe, expect, it } from "vitest";
import { histograms, images, scalars, text } from "../src/kinds";
import { BoardStore, seriesKey } from "../src/store";
import { bytesView, delta, f64View, scalarMsg } from "./helpers";

function newStore() {
  const sent: Record<string, unknown>[] = [];
  let t = 0;
  const store = new BoardStore({ send: (m) => sent.push(m), now: () => t });
  return { store, sent, advance: (ms: number) => { t += ms; } };
}

const series = (store: BoardStore, key: string) => store.slice(scalars).series.get(key);
const apply = (store: BoardStore, d: { content: object; buffers: DataView[] }) => store.handleMessage(d.content, d.buffers);
const values = (store: BoardStore, run: string, tag: string) => {
  const s = series(store, seriesKey(run, tag))!;
  return Array.from(s.values.subarray(0, s.length));
};
const steps = (store: BoardStore, run: string, tag: string) => {
  const s = series(store, seriesKey(run, tag))!;
  return Array.from(s.steps.subarray(0, s.length));
};

describe("scalar series", () => {
  it("appends when offset == held", () => {
    const { store, sent } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2], [3, 2, 1])], ["a"]));
    apply(store, delta([scalarMsg("a", "loss", 3, [3, 4], [0.5, 0.4])], ["a"], 2));
    expect(steps(store, "a", "loss")).toEqual([0, 1, 2, 3, 4]);
    expect(values(store, "a", "loss")).toEqual([3, 2, 1, 0.5, 0.4]);
    expect(store.slice(scalars).totals().points).toBe(5);
    expect(sent).toEqual([]);
  });

  it("takes the series again with a new epoch when steps logged again replaced some, and how many", () => {
    const { store } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3, 4], [1, 1, 1, 1, 1])]));
    const s = series(store, seriesKey("a", "loss"))!;
    expect(s.replaced).toBe(0);
    // resumed from step 2: the kernel sends the series whole, in a new epoch
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3], [1, 1, 9, 9], { epoch: 1, replaced: 3 })], [], 2));
    expect(steps(store, "a", "loss")).toEqual([0, 1, 2, 3]);
    expect(values(store, "a", "loss")).toEqual([1, 1, 9, 9]);
    expect(s.replaced).toBe(3);
    apply(store, delta([scalarMsg("a", "loss", 4, [], [], { epoch: 1, replaced: 4, total: 4 })], [], 3));
    expect(s.replaced).toBe(4); // a count change alone is a change
  });

  it("grows past its initial capacity", () => {
    const { store } = newStore();
    const n = 1000;
    for (let i = 0; i < n; i += 10) {
      const st = Array.from({ length: 10 }, (_, j) => i + j);
      apply(store, delta([scalarMsg("a", "t", i, st, st.map((x) => x * 2))]));
    }
    expect(values(store, "a", "t")).toEqual(Array.from({ length: n }, (_, i) => 2 * i));
  });

  it("truncates to offset, then appends (decimated tail resent)", () => {
    const { store, sent } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3, 4], [5, 4, 3, 2, 1], { decimated: true, total: 50 })]));
    const s = series(store, seriesKey("a", "loss"))!;
    const rewrites = s.rewrites;
    apply(store, delta([scalarMsg("a", "loss", 3, [3, 4, 5], [9, 8, 7], { decimated: true, total: 60 })]));
    expect(values(store, "a", "loss")).toEqual([5, 4, 3, 9, 8, 7]);
    expect(s.total).toBe(60);
    expect(s.decimated).toBe(true);
    expect(s.rewrites).toBe(rewrites + 1);
    expect(sent).toEqual([]);
  });

  it("folds held points into min/max pairs before the splice, as numpy's min/max buckets", () => {
    const { store, sent } = newStore();
    const st = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    // ties (first occurrence wins), a NaN (counts as both), signed zeros, a constant group
    apply(store, delta([scalarMsg("a", "loss", 0, st, [3, 1, 1, 5, NaN, 2, 0, 0, -0, 0, 7, 7])]));
    const before = series(store, seriesKey("a", "loss"))!.version;
    // what the board sends for bucket 4 is cellboard.board.messages.minmax_buckets(bucket=4):
    // steps [1, 3, 4, 4, 8, 10], values [1, 5, NaN, NaN, -0, 7]; here the last 2 buckets follow raw
    const m = scalarMsg("a", "loss", 4, [8, 9, 10, 11], [-0, 0, 7, 7], { decimated: true, total: 12 });
    apply(store, delta([{ ...m, entry: { ...m.entry, fold_size: 4, fold_count: 2 } }], [], 2));
    expect(steps(store, "a", "loss")).toEqual([1, 3, 4, 4, 8, 9, 10, 11]);
    expect(values(store, "a", "loss")).toEqual([1, 5, NaN, NaN, -0, 0, 7, 7]);
    expect(Object.is(values(store, "a", "loss")[4], -0)).toBe(true);
    const s = series(store, seriesKey("a", "loss"))!;
    expect(s.changedSince(before)).toBe(0); // charts redraw the whole series
    // folding pairs again (bucket 4 -> 8): groups of 4 held points; the NaN of steps 0-7 wins
    const again = scalarMsg("a", "loss", 2, [8, 10], [-0, 7], { decimated: true, total: 12 });
    apply(store, delta([{ ...again, entry: { ...again.entry, fold_size: 4, fold_count: 1 } }], [], 3));
    expect(steps(store, "a", "loss")).toEqual([4, 4, 8, 10]);
    expect(values(store, "a", "loss")).toEqual([NaN, NaN, -0, 7]);
    expect(sent).toEqual([]);
  });

  it("folding twice equals folding once by the product (random values with ties and NaNs)", () => {
    // min/max buckets compose: what Python sends for bucket 4 then 32 equals its bucket 32
    const { store } = newStore();
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 4096;
    const st = Array.from({ length: n }, (_, i) => i);
    const vs = st.map(() => { const r = rnd(); return r < 0.03 ? NaN : Math.floor(r * 7) - 3; });
    const foldTo = (key: string, ...sizes: number[]) => {
      apply(store, delta([scalarMsg("a", key, 0, st, vs)]));
      const s = series(store, seriesKey("a", key))!;
      for (const size of sizes) s.fold(size, Math.floor(s.length / size));
      return [Array.from(s.steps.subarray(0, s.length)), Array.from(s.values.subarray(0, s.length))];
    };
    const direct = foldTo("direct", 32);
    expect(direct[0].length).toBe(2 * (n / 32));
    expect(foldTo("twice", 4, 16)).toEqual(direct); // raw -> bucket 4 (groups of 4), -> 32 (groups of 8 pairs)
  });

  it("a fold with no new points still reports the series changed", () => {
    const { store } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3], [4, 3, 2, 1])]));
    const changed: string[][] = [];
    store.subscribe((c) => changed.push([...(c.kinds.get("scalars") ?? [])]));
    const m = scalarMsg("a", "loss", 2, [], [], { decimated: true, total: 4 });
    apply(store, delta([{ ...m, entry: { ...m.entry, fold_size: 4, fold_count: 1 } }], [], 2));
    expect(values(store, "a", "loss")).toEqual([4, 1]);
    expect(changed).toEqual([[seriesKey("a", "loss")]]);
  });

  it("a fold of more points than held is a gap: nothing changes, a hello is sent", () => {
    const { store, sent } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2], [1, 2, 3])]));
    const m = scalarMsg("a", "loss", 2, [4], [5], { decimated: true, total: 5 });
    apply(store, delta([{ ...m, entry: { ...m.entry, fold_size: 2, fold_count: 2 } }], [], 2));
    expect(values(store, "a", "loss")).toEqual([1, 2, 3]);
    expect(sent.map((x) => x.type)).toEqual(["hello"]);
  });

  it("replaces the series on offset 0", () => {
    const { store } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3], [1, 1, 1, 1])]));
    apply(store, delta([scalarMsg("a", "loss", 0, [7, 8], [2, 3])]));
    expect(steps(store, "a", "loss")).toEqual([7, 8]);
    expect(values(store, "a", "loss")).toEqual([2, 3]);
  });

  it("a gap keeps what is held and asks for a hello (rate limited)", () => {
    const { store, sent, advance } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1], [1, 2])]));
    apply(store, delta([scalarMsg("a", "loss", 5, [5, 6], [9, 9])]));
    expect(values(store, "a", "loss")).toEqual([1, 2]);
    expect(sent).toEqual([expect.objectContaining({ type: "hello" })]);
    apply(store, delta([scalarMsg("a", "loss", 6, [6], [9])]));
    expect(sent.length).toBe(1); // not again within the interval
    advance(1500);
    apply(store, delta([scalarMsg("a", "loss", 6, [6], [9])]));
    expect(sent.length).toBe(2);
    // the resend from offset 0 repairs the series
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3], [1, 2, 3, 4])]));
    expect(values(store, "a", "loss")).toEqual([1, 2, 3, 4]);
  });

  it("a jump in seq (lost messages) asks for a hello", () => {
    const { store, sent } = newStore();
    apply(store, delta([scalarMsg("a", "t", 0, [0], [1])], ["a"], 4));
    apply(store, delta([scalarMsg("a", "t", 1, [1], [1])], ["a"], 5));
    expect(sent).toEqual([]);
    store.handleMessage({ type: "range", id: 1, run: "a", tag: "t", count: 0, decimated: false, seq: 6 }, []);
    apply(store, delta([scalarMsg("a", "t", 2, [2], [1])], ["a"], 7));
    expect(sent).toEqual([]);
    apply(store, delta([scalarMsg("a", "t", 3, [3], [1])], ["a"], 9)); // 8 was lost
    expect(sent).toEqual([expect.objectContaining({ type: "hello" })]);
    expect(store.slice(scalars).totals().points).toBe(4); // still applied
  });

  it("an epoch change (purge) replaces history; a new epoch with offset > 0 is a gap", () => {
    const { store, sent } = newStore();
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2, 3], [4, 3, 2, 1])]));
    apply(store, delta([scalarMsg("a", "loss", 2, [2, 3], [0, 0], { epoch: 1 })]));
    expect(values(store, "a", "loss")).toEqual([4, 3, 2, 1]);
    expect(sent).toEqual([expect.objectContaining({ type: "hello" })]);
    apply(store, delta([scalarMsg("a", "loss", 0, [0, 1, 2], [7, 7, 6], { epoch: 1 })]));
    expect(values(store, "a", "loss")).toEqual([7, 7, 6]);
    expect(series(store, seriesKey("a", "loss"))!.epoch).toBe(1);
  });

  it("reports the lowest index changed since a version", () => {
    const { store } = newStore();
    apply(store, delta([scalarMsg("a", "t", 0, [0, 1, 2, 3], [0, 0, 0, 0])]));
    const s = series(store, seriesKey("a", "t"))!;
    const v = s.version;
    expect(s.changedSince(v)).toBe(4); // nothing changed
    apply(store, delta([scalarMsg("a", "t", 4, [4, 5], [0, 0])]));
    apply(store, delta([scalarMsg("a", "t", 3, [3, 4, 5, 6], [1, 1, 1, 1])]));
    apply(store, delta([scalarMsg("a", "t", 7, [7], [1])]));
    expect(s.changedSince(v)).toBe(3);
    expect(s.changedSince(s.version - 1)).toBe(7);
    expect(s.changedSince(-5)).toBe(0);
  });

  it("tracks whether steps ascend", () => {
    const { store } = newStore();
    apply(store, delta([scalarMsg("a", "t", 0, [0, 1, 2], [0, 0, 0])]));
    const s = series(store, seriesKey("a", "t"))!;
    expect(s.stepsAscending).toBe(true);
    apply(store, delta([scalarMsg("a", "t", 3, [1], [0])]));
    expect(s.stepsAscending).toBe(false);
    apply(store, delta([scalarMsg("a", "t", 3, [5], [0])]));
    expect(s.stepsAscending).toBe(true);
  });

  it("notifies subscribers with the changed keys and tracks runs", () => {
    const { store } = newStore();
    const changes: string[][] = [];
    store.subscribe((c) => changes.push([...(c.kinds.get("scalars") ?? [])]));
    apply(store, delta([scalarMsg("b", "x", 0, [0], [1]), scalarMsg("a", "x", 0, [0], [1])], ["b", "a"]));
    expect(changes).toEqual([[seriesKey("b", "x"), seriesKey("a", "x")]]);
    expect(store.runs).toEqual(["a", "b"]);
    expect(store.runOrder.get("b")).toBe(0);
    expect(store.slice(scalars).totals().tags).toBe(1);
  });
});

describe("records by index", () => {
  const img = (index: number, buffer = 0) => ({ run: "a", tag: "img", index, step: index * 10, wall: 1, width: 1, height: 1, mime: "image/png", buffer });
  const msg = (seq: number, entries: object, extra: object = {}) => ({ type: "delta", seq, runs: ["a"], entries, ...extra });

  it("puts each index once; a hole asks for a hello", () => {
    const { store, sent } = newStore();
    store.handleMessage(msg(1, { images: [img(0), img(1, 1)] }), [bytesView([1]), bytesView([2])]);
    store.handleMessage(msg(2, { images: [img(1)] }), [bytesView([9])]);
    const l = store.slice(images).get("a", "img")!;
    expect(l.count).toBe(2);
    expect(Array.from(l.byIndex[1]!.bytes)).toEqual([2]);
    expect(sent).toEqual([]);
    store.handleMessage(msg(3, { images: [img(4)] }), [bytesView([5])]);
    expect(l.count).toBe(3);
    expect(sent).toEqual([expect.objectContaining({ type: "hello" })]);
    expect(l.list().map((r) => r.step)).toEqual([0, 10, 40]);
  });

  it("keeps how many records steps logged again replaced, as the entries say", () => {
    const { store } = newStore();
    store.handleMessage(msg(1, { images: [img(0), img(1, 1)] }), [bytesView([1]), bytesView([2])]);
    const l = store.slice(images).get("a", "img")!;
    expect(l.replaced).toBe(0);
    // resumed: the list is reset and sent again, each entry with the count replaced so far
    store.handleMessage(msg(2, { images: [{ ...img(0), replaced: 1 }, { ...img(1, 1), replaced: 1 }] },
      { reset: [{ kind: "images", run: "a", tag: "img" }] }), [bytesView([1]), bytesView([7])]);
    expect([l.count, l.replaced]).toEqual([2, 1]);
    store.handleMessage(msg(3, { images: [{ ...img(2), replaced: -4 }] }), [bytesView([3])]); // not a count: ignored
    expect(l.replaced).toBe(1);
  });

  it("a reset (purge) clears a record list before the resent records", () => {
    const { store, sent } = newStore();
    store.handleMessage(msg(1, { images: [img(0), img(1, 1), img(2, 2)] }), [bytesView([1]), bytesView([2]), bytesView([3])]);
    store.handleMessage(msg(2, { images: [img(0), img(1, 1)] }, { reset: [{ kind: "images", run: "a", tag: "img" }] }),
      [bytesView([7]), bytesView([8])]);
    const l = store.slice(images).get("a", "img")!;
    expect(l.count).toBe(2);
    expect(Array.from(l.byIndex[0]!.bytes)).toEqual([7]);
    expect(sent).toEqual([]);
  });

  it("a reset may name any kind; unknown kinds are ignored", () => {
    const { store } = newStore();
    store.handleMessage(msg(1, {
      histograms: [{ run: "a", tag: "w", index: 0, step: 0, wall: 1, k: 2, buffer: 0 }],
      text: [{ run: "a", tag: "t", index: 0, step: 0, wall: 1, text: "hi" }, { run: "a", tag: "t", index: 1, step: 1, wall: 1, text: "ho" }],
      scalars: [scalarMsg("a", "loss", 0, [0, 1], [1, 2], { buffer: 1 }).entry],
    }), [f64View([0, 1, 2, 3, 4]), scalarMsg("a", "loss", 0, [0, 1], [1, 2]).buffer]);
    expect(store.slice(text).count()).toBe(2);
    const changes: string[][] = [];
    store.subscribe((c) => changes.push([...c.kinds.keys()].sort()));
    store.handleMessage(msg(2, {}, { reset: [
      { kind: "text", run: "a", tag: "t" },
      { kind: "histograms", run: "a", tag: "w" },
      { kind: "scalars", run: "a", tag: "loss" },
      { kind: "hparams_from_the_future", run: "a", tag: "x" },
      { kind: "images", run: "a", tag: "never-seen" },
    ] }));
    expect(store.slice(text).count()).toBe(0);
    expect(store.slice(histograms).count()).toBe(0);
    expect(store.slice(scalars).totals().points).toBe(0);
    expect(changes).toEqual([["histograms", "scalars", "text"]]);
    // the records resent after the reset are applied from index 0 without a gap
    store.handleMessage(msg(3, { text: [{ run: "a", tag: "t", index: 0, step: 0, wall: 1, text: "again" }] }));
    expect(store.slice(text).get("a", "t")!.list().map((r) => r.text)).toEqual(["again"]);
  });

  it("histograms and text; entries of unknown kinds are ignored", () => {
    const { store, sent } = newStore();
    const changes: string[][] = [];
    store.subscribe((c) => changes.push([...c.kinds.keys()]));
    store.handleMessage(msg(1, {
      histograms: [{ run: "a", tag: "w", index: 0, step: 0, wall: 1, k: 2, buffer: 0 }],
      text: [{ run: "a", tag: "t", index: 0, step: 0, wall: 1, text: "hi" }],
      pr_curves_from_the_future: [{ run: "b", tag: "pr", index: 3, step: 0, wall: 1, buffer: 1 }],
    }), [f64View([0, 1, 2, 3, 4]), f64View([1])]);
    expect(store.slice(histograms).count()).toBe(1);
    expect(store.slice(text).count()).toBe(1);
    expect(store.runs).toEqual(["a"]); // nothing of the unknown kind reached the store
    expect(changes).toEqual([["histograms", "text"]]);
    expect(sent).toEqual([]);
    expect(store.hasData(text)).toBe(true);
    expect(store.hasData(images)).toBe(false);
  });
});

describe("notices", () => {
  const notice = (source: string) => ({ source, message: "PermissionError: denied" });

  it("the list is replaced by each message that has one, cleared by an empty one, kept otherwise", () => {
    const { store } = newStore();
    const seen: boolean[] = [];
    store.subscribe((c) => seen.push(c.notices));
    store.handleMessage({ type: "delta", seq: 1, runs: [], notices: [notice("runs/a/x"), notice("runs/b/y")] });
    expect(store.notices.map((n) => n.source)).toEqual(["runs/a/x", "runs/b/y"]);
    store.handleMessage({ type: "delta", seq: 2, runs: [] }); // absent: unchanged
    expect(store.notices.length).toBe(2);
    store.handleMessage({ type: "delta", seq: 3, runs: [], notices: [notice("runs/a/x"), notice("runs/b/y")] }); // same list
    store.handleMessage({ type: "delta", seq: 4, runs: [], notices: [notice("runs/c/z")] });
    expect(store.notices).toEqual([notice("runs/c/z")]);
    store.handleMessage({ type: "delta", seq: 5, runs: [], notices: [] });
    expect(store.notices).toEqual([]);
    expect(seen).toEqual([true, false, false, true, true]);
  });
});

describe("descriptions", () => {
  const described = (run: string, tag: string, description: string) => ({ run, tag, display_name: "", description });

  it("one per tag, the first run's by name; a change is reported only when one differs", () => {
    const { store } = newStore();
    const seen: boolean[] = [];
    store.subscribe((c) => seen.push(c.descriptions));
    store.handleMessage({ type: "delta", seq: 1, runs: [], descriptions: [described("b", "loss", "B"), described("a", "loss", "A")] });
    expect(store.descriptions.get("loss")?.description).toBe("A");
    store.handleMessage({ type: "delta", seq: 2, runs: [] }); // absent: unchanged
    store.handleMessage({ type: "delta", seq: 3, runs: [], descriptions: [described("a", "loss", "A"), described("b", "loss", "B")] });
    store.handleMessage({ type: "delta", seq: 4, runs: [], descriptions: [described("a", "loss", "A"), described("a", "w", "W")] });
    expect([...store.descriptions.keys()]).toEqual(["loss", "w"]);
    expect(seen).toEqual([true, false, false, true]);
  });
});

describe("range requests", () => {
  it("sends a request and attaches the reply as detail", async () => {
    const { store, sent } = newStore();
    apply(store, delta([scalarMsg("a", "t", 0, [0, 100], [1, 2], { decimated: true, total: 101 })]));
    expect(series(store, seriesKey("a", "t"))!.changedSince(0)).toBe(0);
    const p = store.slice(scalars).requestRange("a", "t", 10, 20);
    expect(sent[0]).toMatchObject({ type: "range", run: "a", tag: "t", x0: 10, x1: 20 });
    const id = sent[0].id as number;
    store.handleMessage({ type: "range", id, run: "a", tag: "t", count: 2, decimated: false, buffer: 0 },
      [f64View([10, 20, 1, 2, 0.1, 0.2])]);
    const reply = await p;
    expect(reply!.count).toBe(2);
    const s = series(store, seriesKey("a", "t"))!;
    expect(Array.from(s.detail!.values)).toEqual([0.1, 0.2]);
    // spliced into the held points for a zoom inside [10, 20] only
    const m = s.withDetail(12, 18)!;
    expect(Array.from(m.steps)).toEqual([0, 10, 20, 100]);
    expect(Array.from(m.values)).toEqual([1, 0.1, 0.2, 2]);
    expect(s.withDetail(5, 18)).toBe(null);
    // a rewrite of held points drops the detail
    apply(store, delta([scalarMsg("a", "t", 1, [100, 110], [2, 3], { decimated: true, total: 111 })]));
    expect(s.detail).toBe(null);
  });

  it("a reply nobody waits for is ignored", () => {
    const { store } = newStore();
    store.handleMessage({ type: "range", id: 42, run: "a", tag: "t", count: 0, decimated: false }, []);
    expect(store.slice(scalars).series.size).toBe(0);
  });
});

describe("completeness (sent in hello)", () => {
  const msg = (seq: number, extra: object = {}) => ({ type: "delta", seq, runs: [], entries: {}, ...extra });

  it("is complete from message 1 on, until a message is lost", () => {
    const { store, sent } = newStore();
    store.handleMessage(msg(1), []);
    store.handleMessage(msg(2), []);
    expect(store.complete).toBe(true);
    store.hello(true);
    expect(sent[sent.length - 1]).toEqual({ type: "hello", complete: true, seq: 2 });
    store.handleMessage(msg(4), []); // 3 was lost
    expect(store.complete).toBe(false);
  });

  it("a view that missed the first messages is complete after a whole sync group", () => {
    const { store } = newStore();
    store.handleMessage(msg(3), []);
    expect(store.complete).toBe(false);
    store.handleMessage(msg(4, { sync: 1, sync_first: true }), []);
    store.handleMessage(msg(5, { sync: 1 }), []);
    expect(store.complete).toBe(false);
    store.handleMessage(msg(6, { sync: 1, sync_end: true }), []);
    expect(store.complete).toBe(true);
  });

  it("a sync group with a lost message does not make it complete", () => {
    const { store } = newStore();
    store.handleMessage(msg(3), []);
    store.handleMessage(msg(4, { sync: 2, sync_first: true }), []);
    store.handleMessage(msg(6, { sync: 2, sync_end: true }), []); // 5 lost
    expect(store.complete).toBe(false);
    // a group whose first message was never seen does not count either
    store.handleMessage(msg(7, { sync: 3, sync_end: true }), []);
    expect(store.complete).toBe(false);
  });
});

describe("loading progress", () => {
  it("keeps the latest progress and reports the change", () => {
    const { store } = newStore();
    const changes: boolean[] = [];
    store.subscribe((c) => changes.push(c.progress));
    store.handleMessage({ type: "delta", seq: 1, runs: [], entries: {},
      progress: { runs_read: 3, runs: 10, bytes_read: 1000, bytes: 5000, loading: true } }, []);
    expect(store.progress).toEqual({ runsRead: 3, runs: 10, bytesRead: 1000, bytes: 5000, loading: true });
    store.handleMessage({ type: "delta", seq: 2, runs: [], entries: {} }, []);
    expect(store.progress?.runsRead).toBe(3); // absent: unchanged
    store.handleMessage({ type: "delta", seq: 3, runs: [], entries: {},
      progress: { runs_read: 10, runs: 10, bytes_read: 5000, bytes: 5000, loading: false } }, []);
    expect(store.progress?.loading).toBe(false);
    expect(changes).toEqual([true, false, true]);
  });
});

describe("entries the view cannot show", () => {
  it("are counted by message and flagged for the notices banner, the good ones applied", () => {
    const { store } = newStore();
    const good = scalarMsg("a", "loss", 0, [0, 1], [3, 2]);
    const bad = { entry: { ...good.entry, count: 5 }, buffer: good.buffer }; // 5 points in a buffer of 2
    const changes: boolean[] = [];
    store.subscribe((c) => changes.push(c.notices));
    apply(store, delta([bad, good, bad], ["a"]));
    expect(values(store, "a", "loss")).toEqual([3, 2]);
    expect(changes).toEqual([true]);
    expect([...store.viewProblems.values()]).toEqual([2]);
    expect([...store.viewProblems.keys()]).toEqual(["scalars: expected 15 float64, got 6"]);
    apply(store, delta([scalarMsg("a", "loss", 2, [2], [1])], ["a"], 2));
    expect(changes).toEqual([true, false]);
  });
});
